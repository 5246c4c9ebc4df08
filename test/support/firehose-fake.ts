/**
 * A wire-level fake of Amazon Data Firehose's PutRecordBatch, because no emulator implements it. An in-process
 * HTTP server (port 0) speaking the real protocol, so tests drive the real @aws-sdk/client-firehose through
 * shared/aws/clients (point AWS_ENDPOINT_URL_FIREHOSE at `endpoint`):
 *
 *   POST /  Content-Type: application/x-amz-json-1.1  X-Amz-Target: Firehose_20150804.PutRecordBatch
 *   {"DeliveryStreamName": "...", "Records": [{"Data": "<base64>"}]}
 *   -> 200 {"FailedPutCount": n, "Encrypted": false, "RequestResponses": [{"RecordId"} | {"ErrorCode", "ErrorMessage"}]}
 *
 * It enforces the documented quotas (API reference, PutRecordBatch / Firehose quotas) with AWS's error shapes
 * (`x-amzn-ErrorType` header and `{"__type", "message"}` body):
 * - more than 500 records, or a record over 1,000 KiB (1,024,000 bytes before base64): 400 ValidationException;
 * - more than 4 MiB of data in one call: 400 InvalidArgumentException;
 * - an unknown delivery stream: 400 ResourceNotFoundException.
 * Tests can make entries fail (per-entry ServiceUnavailableException with FailedPutCount, on HTTP 200) or
 * throttle whole calls (500 ServiceUnavailableException), and read everything it received.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FIREHOSE_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxBytesPerRecord: 1_024_000,
} as const;

/** One PutRecordBatch call as the fake saw it (rejected calls included). */
export interface FirehoseCall {
  deliveryStreamName: string;
  records: number;
  /** Sum of decoded data bytes. */
  bytes: number;
  /** HTTP status returned. */
  status: number;
  /** Error type for a rejected call; per-entry failures are counted in `failedEntries`. */
  errorType?: string;
  failedEntries: number;
}

export interface EntryContext {
  deliveryStreamName: string;
  /** 1-based number of the PutRecordBatch call (rejected calls count). */
  call: number;
  /** Index of the entry within the call. */
  index: number;
  data: Buffer;
}

export interface FirehoseFake {
  endpoint: string;
  /** Records stored per delivery stream, in arrival order. */
  stored: Map<string, Buffer[]>;
  calls: FirehoseCall[];
  /** Entries for which this returns true fail with ServiceUnavailableException (the call still returns 200). */
  failEntry: ((entry: EntryContext) => boolean) | undefined;
  /** The next `throttleCalls` calls are answered 500 ServiceUnavailableException. */
  throttleCalls: number;
  createDeliveryStream(name: string): void;
  records(name: string): Buffer[];
  reset(): void;
  /**
   * Resolves once no request is being handled (at most `timeoutMs` later): a call an earlier invocation gave up on
   * at its deadline may still be stored after it answered, and must not land in the next test's records.
   */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'Firehose_20150804.';

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'x-amzn-ErrorType': type,
    'x-amzn-RequestId': crypto.randomUUID(),
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}

function sendJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    'Content-Type': 'application/x-amz-json-1.1',
    'x-amzn-RequestId': crypto.randomUUID(),
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFirehoseFake(options: { deliveryStreams?: string[] } = {}): Promise<FirehoseFake> {
  const streams = new Set(options.deliveryStreams ?? []);
  let inFlight = 0;
  const fake: FirehoseFake = {
    endpoint: '',
    stored: new Map(),
    calls: [],
    failEntry: undefined,
    throttleCalls: 0,
    createDeliveryStream: (name) => {
      streams.add(name);
    },
    records: (name) => fake.stored.get(name) ?? [],
    reset: () => {
      fake.stored.clear();
      fake.calls.length = 0;
      fake.failEntry = undefined;
      fake.throttleCalls = 0;
    },
    idle: async (timeoutMs = 5_000) => {
      const until = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = await readBody(request);
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      return sendError(response, 400, 'UnknownOperationException', 'Missing or invalid X-Amz-Target');
    }
    const operation = target.slice(TARGET_PREFIX.length);
    if (operation !== 'PutRecordBatch') {
      return sendError(
        response,
        400,
        'UnknownOperationException',
        `${operation} is not implemented by the fake`,
      );
    }
    let input: { DeliveryStreamName?: string; Records?: { Data?: string }[] };
    try {
      input = JSON.parse(body);
    } catch {
      return sendError(response, 400, 'SerializationException', 'Request body is not valid JSON');
    }
    const name = input.DeliveryStreamName ?? '';
    const records = (input.Records ?? []).map((r) => Buffer.from(r.Data ?? '', 'base64'));
    const call: FirehoseCall = {
      deliveryStreamName: name,
      records: records.length,
      bytes: records.reduce((sum, r) => sum + r.byteLength, 0),
      status: 200,
      failedEntries: 0,
    };
    fake.calls.push(call);
    const reject = (status: number, type: string, message: string) => {
      call.status = status;
      call.errorType = type;
      sendError(response, status, type, message);
    };

    if (records.length === 0 || records.length > FIREHOSE_LIMITS.maxRecordsPerCall) {
      return reject(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length ${
          records.length === 0 ? 'greater than or equal to 1' : 'less than or equal to 500'
        }`,
      );
    }
    const oversized = records.findIndex((r) => r.byteLength > FIREHOSE_LIMITS.maxBytesPerRecord);
    if (oversized >= 0) {
      return reject(
        400,
        'ValidationException',
        `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${records[oversized]!.byteLength}]' at 'records.${
          oversized + 1
        }.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000`,
      );
    }
    if (call.bytes > FIREHOSE_LIMITS.maxBytesPerCall) {
      return reject(400, 'InvalidArgumentException', 'Records size exceeds 4 MB limit');
    }
    if (!streams.has(name)) {
      return reject(
        400,
        'ResourceNotFoundException',
        `Firehose ${name} under account 123456789012 not found.`,
      );
    }
    if (fake.throttleCalls > 0) {
      fake.throttleCalls -= 1;
      return reject(500, 'ServiceUnavailableException', 'Slow down.');
    }

    const stored = fake.stored.get(name) ?? [];
    fake.stored.set(name, stored);
    const responses = records.map((data, index) => {
      if (fake.failEntry?.({ deliveryStreamName: name, call: fake.calls.length, index, data })) {
        call.failedEntries += 1;
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      stored.push(data);
      return { RecordId: crypto.randomUUID().replaceAll('-', '') };
    });
    sendJson(response, { FailedPutCount: call.failedEntries, Encrypted: false, RequestResponses: responses });
  };

  const server: Server = createServer((request, response) => {
    inFlight += 1;
    handle(request, response)
      .catch((error: Error) => sendError(response, 500, 'InternalFailure', error.message))
      .finally(() => (inFlight -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
