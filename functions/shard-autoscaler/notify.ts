/** Human-readable notifications (SNS, e.g. to an e-mail subscription) of what the autoscaler did and why. */
import type { Decision } from './decide';

export interface Notification {
  /** SNS Subject: at most 100 printable ASCII characters. */
  subject: string;
  message: string;
}

/** A consumer function's reserved concurrency after a scaling; `error` (its name) when it was not set. */
export interface ConsumerConcurrency {
  functionName: string;
  reservedConcurrency: number;
  error?: string;
}

export interface ScaledDetails {
  /** False when PutMetricAlarm/SetAlarmState failed (the next delivery resyncs the alarms). */
  alarmsRewritten?: boolean;
  consumers?: ConsumerConcurrency[];
  concurrencyPerShard?: number;
  warnings?: string[];
}

const subject = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
const when = (ms: number | undefined) => (ms === undefined ? 'n/a' : new Date(ms).toISOString());

export function scaledNotification(
  streamName: string,
  decision: Decision & { action: 'scale' },
  alarm: string,
  details: ScaledDetails = {},
): Notification {
  const { from, to, budget } = decision;
  const consumers = details.consumers ?? [];
  const set = consumers.filter((consumer) => consumer.error === undefined);
  const concurrency: string[] = [];
  if (consumers.length > 0) {
    concurrency.push(
      `Consumers' reserved concurrency: ${to} shards x ${details.concurrencyPerShard ?? 1} = ${consumers[0]!.reservedConcurrency}` +
        (set.length > 0 ? `, set for ${set.map((consumer) => consumer.functionName).join(', ')}` : '') +
        (set.length < consumers.length ? `, NOT set for the others (see the warnings)` : '') +
        '.',
    );
    if (decision.direction === 'down' && set.length > 0) {
      concurrency.push(
        'The reserved concurrency is lower now while the shards merge over the next minutes: consumers may be throttled briefly (their event source mappings retry throttled batches; nothing is lost).',
      );
    }
  }
  const warnings = (details.warnings ?? []).map((warning) => `Warning: ${warning}.`);
  return {
    subject: subject(`Kinesis ${streamName}: ${from} -> ${to} shards (scale ${decision.direction})`),
    message: [
      `Stream ${streamName} is being scaled ${decision.direction} from ${from} to ${to} shards (UpdateShardCount, UNIFORM_SCALING).`,
      '',
      `Why: ${decision.reason}.`,
      `Peak utilisation ${Math.round(decision.utilisation * 100)} % of ${from} shards; about ${Math.round(decision.utilisationAfter * 100)} % of ${to} shards at the same load.`,
      `Budget: ${budget.left} of ${budget.limit} scaling operations left in the rolling 24 h` +
        (budget.nextFreeAt !== undefined
          ? ` (the oldest one leaves the window at ${when(budget.nextFreeAt)})`
          : '') +
        '.',
      `Triggered by alarm ${alarm}. ` +
        (details.alarmsRewritten === false
          ? 'The alarms could not be rewritten: the next delivery resyncs them.'
          : `Both alarms now assume ${to} shards and were reset to INSUFFICIENT_DATA.`),
      ...(decision.pending !== undefined
        ? [
            `${decision.pending} shards pending: UpdateShardCount keeps at least half the shards per operation, so the scale-down alarm is set to fire again while the load fits ${decision.pending}; the next step follows after the cooldown.`,
          ]
        : []),
      ...concurrency,
      ...(warnings.length > 0 ? ['', ...warnings] : []),
    ].join('\n'),
  };
}

export function problemNotification(streamName: string, title: string, details: string[]): Notification {
  return {
    subject: subject(`Kinesis ${streamName}: ${title}`),
    message: [`Stream ${streamName}: ${title}.`, '', ...details].join('\n'),
  };
}
