/**
 * The kinesis-to-sns sink: the alerts of one invocation -> collapsed notifications -> (suppression window) ->
 * PublishBatch (shared/sinks/sns.ts) -> which records failed or were refused.
 *
 * - Collapsing: alerts of the same rule and key (the `groupBy` value, or identical subject and message) inside one
 *   invocation become ONE notification, carrying the count and the first and last occurrence.
 * - A notification stands for every record it collapsed, possibly of several parents: if it is not published, all
 *   of those records fail (and so their parents); if SNS refuses it for good, all of them are rejected
 *   (dead-lettered with SNS's reason). A record that raised several alerts fails if any of them failed.
 * - Suppressed notifications (another invocation published the same alert inside the window) count as handled.
 * - FIFO topics: MessageGroupId = the group (the rule's name without groupBy); MessageDeduplicationId = a hash of
 *   the first occurrence's stream coordinates and the alert, so a re-delivered record is deduplicated by SNS.
 */
import { createHash } from 'node:crypto';
import type {
  RecordCoordinates,
  Sink,
  SinkItem,
  SinkRejection,
  SinkWriteContext,
} from '../../shared/kinesis/types';
import { errorName, maskedMessage } from '../../shared/middleware/errors';
import { logger, MetricUnit, metrics } from '../../shared/middleware/observability';
import { mapWithConcurrency } from '../../shared/sinks/concurrency';
import {
  fitSubject,
  type PublishOutcome,
  publishNotifications,
  SNS_MAX_SUBJECT_CHARS,
  type SnsNotification,
  type SnsPublishOptions,
} from '../../shared/sinks/sns';
import type { Rule } from './rules';
import { createSuppression, suppressionKey } from './suppression';
import type { AlertMatch } from './transform';

export interface AlertSinkOptions {
  topicArn: string;
  rules: readonly Rule[];
  maxRequestBytes?: number;
  suppression?: { tableName: string; windowMs: number; now?: () => number };
  /** Passed to publishNotifications (tests shorten the backoff; the bench brings its own client). */
  publish?: Pick<
    SnsPublishOptions,
    'baseBackoffMs' | 'maxBackoffMs' | 'minRoundMs' | 'concurrency' | 'client'
  >;
}

export interface CollapsedAlert {
  rule: Rule;
  match: AlertMatch;
  count: number;
  first: RecordCoordinates;
  last: RecordCoordinates;
  items: number[];
}

/** Groups the matches of all items by (rule, key), in order of first occurrence. */
export function collapseAlerts(
  items: readonly SinkItem<AlertMatch[]>[],
  rules: readonly Rule[],
): CollapsedAlert[] {
  const byKey = new Map<string, CollapsedAlert>();
  items.forEach((item, index) => {
    for (const match of item.value) {
      const key = `${match.rule}\u0000${match.key}`;
      const alert = byKey.get(key);
      if (alert === undefined) {
        byKey.set(key, {
          rule: rules[match.rule]!,
          match,
          count: 1,
          first: item.coordinates,
          last: item.coordinates,
          items: [index],
        });
      } else {
        alert.count += 1;
        alert.last = item.coordinates;
        if (alert.items.at(-1) !== index) alert.items.push(index);
      }
    }
  });
  return [...byKey.values()];
}

const position = (c: RecordCoordinates) =>
  `${new Date(c.approximateArrivalTimestamp).toISOString()} ${c.shardId} ${c.sequenceNumber}/${c.subSequenceNumber}`;

/** The notification of a collapsed alert: the first occurrence's text, plus the count when there were several. */
export function notificationOf(alert: CollapsedAlert, fifo: boolean): SnsNotification {
  const { rule, match, count, first, last } = alert;
  const message =
    count === 1
      ? match.message
      : `${match.message}\n\n-- ${count} records matched rule ${rule.name} in this batch` +
        `${rule.groupBy ? ` (${rule.groupBy.join('.')}=${JSON.stringify(match.group)})` : ''}\n` +
        `first: ${position(first)}\nlast:  ${position(last)}`;
  const notification: SnsNotification = {
    subject: subjectOf(match.subject, count, rule.name),
    message,
    attributes: { rule: rule.name, severity: rule.severity, stream: first.stream || 'unknown', count },
  };
  if (fifo) {
    notification.groupId = match.group === '' ? rule.name : match.group;
    notification.deduplicationId = alertId(alert);
  }
  return notification;
}

/** The subject within SNS's limit, keeping the `(xN)` of a collapsed alert when the subject itself is cut. */
function subjectOf(subject: string, count: number, ruleName: string): string {
  const suffix = count === 1 ? '' : ` (x${count})`;
  const base = fitSubject(subject, SNS_MAX_SUBJECT_CHARS - suffix.length) ?? fitSubject(ruleName)!;
  return `${base}${suffix}`;
}

/** Deterministic per alert and first occurrence: the same record re-delivered gives the same id. */
export function alertId({ rule, match, first }: CollapsedAlert): string {
  return createHash('sha256')
    .update(`${first.stream}/${first.shardId}/${first.sequenceNumber}/${first.subSequenceNumber}`)
    .update(`\u0000${rule.name}\u0000${match.key}`)
    .digest('hex');
}

export function createAlertSink(options: AlertSinkOptions): Sink<AlertMatch[]> {
  const fifo = options.topicArn.endsWith('.fifo');
  const suppression = options.suppression && createSuppression(options.suppression);
  return {
    async write(items: SinkItem<AlertMatch[]>[], context: SinkWriteContext) {
      const alerts = collapseAlerts(items, options.rules);
      const failed = new Set<number>();
      const rejected = new Map<number, SinkRejection>();
      const claims = new Map<CollapsedAlert, { pk: string; id: string }>();
      let toPublish = alerts;
      if (suppression) {
        const decisions = await mapWithConcurrency(alerts, 8, async (alert) => {
          const claim = { pk: suppressionKey(alert.rule.name, alert.match.key), id: alertId(alert) };
          try {
            const decision = await suppression.claim(claim.pk, claim.id, context);
            if (decision === 'publish') claims.set(alert, claim);
            return decision;
          } catch (error) {
            // Unknown whether another invocation published: hand the records back rather than guess.
            logger.warn('Suppression window check failed; the alert is handed back', {
              rule: alert.rule.name,
              errorName: errorName(error),
              errorMessage: maskedMessage(error),
            });
            for (const index of alert.items) failed.add(index);
            return 'failed' as const;
          }
        });
        toPublish = alerts.filter((_, i) => decisions[i] === 'publish');
        const suppressed = decisions.filter((decision) => decision === 'suppressed').length;
        if (suppressed > 0) metrics.addMetric('AlertsSuppressed', MetricUnit.Count, suppressed);
      }
      const outcomes: PublishOutcome[] =
        toPublish.length === 0
          ? []
          : await publishNotifications(
              toPublish.map((alert) => notificationOf(alert, fifo)),
              { topicArn: options.topicArn, maxRequestBytes: options.maxRequestBytes, ...options.publish },
              context,
            );
      const released: Promise<void>[] = [];
      toPublish.forEach((alert, i) => {
        const outcome = outcomes[i]!;
        if (outcome.status === 'delivered') return;
        if (outcome.status === 'failed') {
          for (const index of alert.items) failed.add(index);
          const claim = claims.get(alert);
          if (claim && suppression && !context.signal?.aborted)
            released.push(suppression.release(claim.pk, claim.id, context).catch(() => undefined));
        } else {
          for (const index of alert.items)
            rejected.set(index, {
              index,
              errorName: outcome.errorName,
              reason: `rule ${alert.rule.name}: ${outcome.reason}`,
            });
        }
      });
      await Promise.all(released);
      const delivered = outcomes.filter((outcome) => outcome.status === 'delivered').length;
      metrics.addMetric('AlertsPublished', MetricUnit.Count, delivered);
      metrics.addMetric(
        'AlertsCollapsed',
        MetricUnit.Count,
        alerts.reduce((n, alert) => n + alert.count - 1, 0),
      );
      return {
        failed: [...failed].sort((a, b) => a - b),
        rejected: [...rejected.values()].filter(({ index }) => !failed.has(index)),
      };
    },
  };
}
