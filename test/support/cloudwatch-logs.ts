/** Builders for CloudWatch Logs subscription payloads (gzip JSON), as CloudWatch Logs sends them to Firehose. */
import { gunzipSync, gzipSync } from 'node:zlib';

export interface TestLogEvent {
  id: string;
  timestamp: number;
  message: string;
}

export function cloudWatchLogsPayload(
  logEvents: TestLogEvent[],
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE' = 'DATA_MESSAGE',
): Buffer {
  return gzipSync(
    JSON.stringify({
      messageType,
      owner: '123456789012',
      logGroup: '/aws/lambda/test',
      logStream: '2025/11/22/[$LATEST]stream',
      subscriptionFilters: ['to-firehose'],
      logEvents,
    }),
  );
}

export function unwrapPayload(gzip: Uint8Array): { logEvents: TestLogEvent[]; messageType: string } {
  return JSON.parse(gunzipSync(gzip).toString('utf8'));
}

/**
 * Deterministic random hex text: gzip gets it to about half its size, like busy application logs (so a
 * realistic request, at most ~4 MB of base64 gzip, inflates past the 6,000,000-byte response).
 */
export function noise(length: number, seed: number): string {
  let state = seed >>> 0 || 1;
  const alphabet = '0123456789abcdef';
  let out = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out += alphabet[(state >>> 0) % 16];
  }
  return out;
}

/** `count` log events with `messageBytes`-long noisy messages and ids unique across `prefix`. */
export function logEvents(prefix: string, count: number, messageBytes: number): TestLogEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    timestamp: 1_763_776_800_000 + i,
    message: `${prefix}-${i} ${noise(messageBytes, i * 7919 + prefix.length)}`,
  }));
}
