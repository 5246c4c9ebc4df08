/** Human-readable notifications (SNS, e.g. to an e-mail subscription) of what the autoscaler did and why. */
import type { Decision } from './decide';

export interface Notification {
  /** SNS Subject: at most 100 printable ASCII characters. */
  subject: string;
  message: string;
}

const subject = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
const when = (ms: number | undefined) => (ms === undefined ? 'n/a' : new Date(ms).toISOString());

export function scaledNotification(
  streamName: string,
  decision: Decision & { action: 'scale' },
  alarm: string,
): Notification {
  const { from, to, budget } = decision;
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
      `Triggered by alarm ${alarm}. Both alarms now assume ${to} shards and were reset to INSUFFICIENT_DATA.`,
    ].join('\n'),
  };
}

export function problemNotification(streamName: string, title: string, details: string[]): Notification {
  return {
    subject: subject(`Kinesis ${streamName}: ${title}`),
    message: [`Stream ${streamName}: ${title}.`, '', ...details].join('\n'),
  };
}
