/**
 * Publishing notifications to an SNS topic with PublishBatch, and saying exactly which ones SNS took.
 *
 * - Batches: at most 10 entries per call, Ids unique within the call ("0".."9"), the whole request within the
 *   topic's maximum message size (256 KiB by default; REFERENCE.md, SNS). A message too large to fit alone is cut on
 *   a UTF-8 boundary and ends with a visible `[truncated: …]` marker: never dropped.
 * - Subjects: printable ASCII only, one line, at most 100 characters (longer ones end with "...").
 * - `Failed[]` is read even on HTTP 200: entries SNS may take later (throttling, internal errors) are sent again
 *   with exponential backoff and jitter while the invocation's budget lasts; entries SNS refuses for good
 *   (a SenderFault with InvalidParameter / ValidationError) come back as `rejected` with SNS's code; whatever
 *   is left when the budget runs out comes back `failed`. Every call carries the invocation's abort signal.
 * - Once a batch is left with failures, later batches are not started (their records are re-delivered anyway).
 * - FIFO topics: each notification carries its MessageGroupId and MessageDeduplicationId ({@link fifoId} makes any
 *   text a valid one); batches go out one at a time so a group's order is kept.
 *
 * @example
 * ```ts
 * const outcomes = await publishNotifications(
 *   [{ subject: 'Disk full', message: 'web-1: /var at 99%', attributes: { rule: 'disk', severity: 'high' } }],
 *   { topicArn },
 *   context,
 * );
 * ```
 */
import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { snsClient } from '../aws/clients';
import { sleep } from '../aws/deadline';
import type { SinkWriteContext } from '../kinesis/types';
import { maskedMessage } from '../middleware/errors';
import { logger } from '../middleware/observability';

/** SNS's default maximum message size, which also bounds a whole PublishBatch request. */
export const SNS_MAX_REQUEST_BYTES = 262_144;
/** PublishBatch's entry limit. */
export const SNS_MAX_BATCH_ENTRIES = 10;
/** SNS's subject limit (ASCII characters). */
export const SNS_MAX_SUBJECT_CHARS = 100;
/** SNS's limit on MessageGroupId and MessageDeduplicationId. */
export const SNS_MAX_FIFO_ID_CHARS = 128;

export interface SnsNotification {
  subject?: string;
  message: string;
  /** Message attributes: strings as String, numbers as Number. */
  attributes?: Record<string, string | number>;
  /** FIFO topics only. */
  groupId?: string;
  /** FIFO topics only. */
  deduplicationId?: string;
}

export type PublishOutcome =
  | { status: 'delivered' }
  | { status: 'failed'; errorName: string }
  | { status: 'rejected'; errorName: string; reason: string };

export interface SnsPublishOptions {
  topicArn: string;
  /** The topic's maximum message size (bounds each request). */
  maxRequestBytes?: number;
  /** PublishBatch calls in flight at once (FIFO topics always use 1). */
  concurrency?: number;
  /** First backoff before re-sending failed entries (ms); doubles each round, with jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Don't start a round with less than this left in the budget (ms). */
  minRoundMs?: number;
  client?: SNSClient;
}

/** Entry codes SNS will refuse again however often they are sent. */
const PERMANENT_CODES = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'ValidationError',
  'ValidationException',
]);

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * A subject SNS accepts: printable ASCII, one line, at most `maxChars` (SNS: 100) characters, `...` when cut;
 * undefined if nothing printable is left.
 */
export function fitSubject(
  subject: string | undefined,
  maxChars = SNS_MAX_SUBJECT_CHARS,
): string | undefined {
  if (subject === undefined) return undefined;
  const printable = subject
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (printable === '') return undefined;
  return printable.length <= maxChars ? printable : `${printable.slice(0, maxChars - 3).trimEnd()}...`;
}

/** Any text as a valid FIFO id (1-128 characters of ASCII letters, digits and punctuation). */
export function fifoId(text: string): string {
  let id = text.replace(/[^\x21-\x7e]/g, '_');
  if (id === '') id = '-';
  if (id.length <= SNS_MAX_FIFO_ID_CHARS) return id;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 32);
  return `${id.slice(0, SNS_MAX_FIFO_ID_CHARS - digest.length - 1)}~${digest}`;
}

/** `message` cut to at most `maxBytes` UTF-8 bytes including a visible marker saying how much was cut. */
export function truncateMessage(message: string, maxBytes: number): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= maxBytes) return message;
  const marker = (cut: number) => `\n[truncated: ${cut} of ${bytes.length} bytes not shown]`;
  // The marker's length depends on the number in it: reserve for the longest it can be.
  let keep = Math.max(0, maxBytes - utf8Bytes(marker(bytes.length)));
  // Never cut inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (keep > 0 && (bytes[keep]! & 0xc0) === 0x80) keep--;
  return bytes.subarray(0, keep).toString('utf8') + marker(bytes.length - keep);
}

interface PreparedEntry {
  index: number;
  entry: Omit<PublishBatchRequestEntry, 'Id'>;
  bytes: number;
}

function attributesOf(attributes: SnsNotification['attributes']): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (typeof value === 'number') out[name] = { DataType: 'Number', StringValue: String(value) };
    else if (value !== '') out[name] = { DataType: 'String', StringValue: value };
  }
  return out;
}

/** What counts toward the request size: message, subject, attributes (names, types, values), FIFO ids. */
function overheadBytes(entry: Omit<PublishBatchRequestEntry, 'Id'>): number {
  let bytes = utf8Bytes(entry.Subject ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {}))
    bytes += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
  bytes += utf8Bytes(entry.MessageGroupId ?? '') + utf8Bytes(entry.MessageDeduplicationId ?? '');
  return bytes;
}

export function prepareEntries(
  notifications: readonly SnsNotification[],
  maxRequestBytes: number,
): PreparedEntry[] {
  return notifications.map((notification, index) => {
    const entry: Omit<PublishBatchRequestEntry, 'Id'> = { Message: notification.message };
    const subject = fitSubject(notification.subject);
    if (subject !== undefined) entry.Subject = subject;
    const attributes = attributesOf(notification.attributes);
    if (Object.keys(attributes).length > 0) entry.MessageAttributes = attributes;
    if (notification.groupId !== undefined) entry.MessageGroupId = fifoId(notification.groupId);
    if (notification.deduplicationId !== undefined)
      entry.MessageDeduplicationId = fifoId(notification.deduplicationId);
    const overhead = overheadBytes(entry);
    let messageBytes = utf8Bytes(entry.Message!);
    if (overhead + messageBytes > maxRequestBytes) {
      entry.Message = truncateMessage(entry.Message!, maxRequestBytes - overhead);
      messageBytes = utf8Bytes(entry.Message);
    }
    return { index, entry, bytes: overhead + messageBytes };
  });
}

/** Consecutive runs of at most 10 entries whose bytes fit one request. */
export function planBatches(entries: readonly PreparedEntry[], maxRequestBytes: number): PreparedEntry[][] {
  const batches: PreparedEntry[][] = [];
  let current: PreparedEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      current.length > 0 &&
      (current.length === SNS_MAX_BATCH_ENTRIES || bytes + entry.bytes > maxRequestBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Publishes every notification; one outcome per notification, in order. Never throws. */
export async function publishNotifications(
  notifications: readonly SnsNotification[],
  options: SnsPublishOptions,
  context: SinkWriteContext,
): Promise<PublishOutcome[]> {
  const maxRequestBytes = options.maxRequestBytes ?? SNS_MAX_REQUEST_BYTES;
  const fifo = options.topicArn.endsWith('.fifo');
  const client = options.client ?? snsClient();
  const baseBackoffMs = options.baseBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 2_000;
  const minRoundMs = options.minRoundMs ?? 500;
  const outcomes: PublishOutcome[] = notifications.map(() => ({ status: 'failed', errorName: 'NotSent' }));
  const batches = planBatches(prepareEntries(notifications, maxRequestBytes), maxRequestBytes);

  const publishBatch = async (batch: PreparedEntry[]) => {
    let pending = batch;
    for (let round = 0; pending.length > 0; round++) {
      if (context.signal?.aborted) return;
      if (round > 0) {
        const delay = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (round - 1)) * (0.5 + Math.random() / 2);
        if (context.remainingTimeMs() < delay + minRoundMs) return;
        await sleep(delay, context.signal);
        if (context.signal?.aborted) return;
      } else if (context.remainingTimeMs() < minRoundMs) {
        return;
      }
      const byId = new Map(pending.map((prepared, i) => [String(i), prepared]));
      try {
        const response = await client.send(
          new PublishBatchCommand({
            TopicArn: options.topicArn,
            PublishBatchRequestEntries: pending.map((prepared, i) => ({ Id: String(i), ...prepared.entry })),
          }),
          { abortSignal: context.signal },
        );
        const retry: PreparedEntry[] = [];
        const answered = new Set<string>();
        for (const success of response.Successful ?? []) {
          const prepared = success.Id === undefined ? undefined : byId.get(success.Id);
          if (!prepared) continue;
          answered.add(success.Id!);
          outcomes[prepared.index] = { status: 'delivered' };
        }
        for (const failure of response.Failed ?? []) {
          const prepared = failure.Id === undefined ? undefined : byId.get(failure.Id);
          if (!prepared || answered.has(failure.Id!)) continue;
          answered.add(failure.Id!);
          const code = failure.Code ?? 'UnknownError';
          if (failure.SenderFault && PERMANENT_CODES.has(code)) {
            outcomes[prepared.index] = {
              status: 'rejected',
              errorName: code,
              reason: `SNS refused the notification: ${code}${failure.Message ? ` (${maskedMessage(failure.Message, 200)})` : ''}`,
            };
          } else {
            outcomes[prepared.index] = { status: 'failed', errorName: code };
            retry.push(prepared);
          }
        }
        // An entry SNS did not mention was not taken: send it again.
        for (const [id, prepared] of byId) if (!answered.has(id)) retry.push(prepared);
        if (retry.length > 0)
          logger.warn('PublishBatch entries failed; retrying', {
            round,
            failed: retry.length,
            codes: [
              ...new Set(
                retry.map((prepared) => (outcomes[prepared.index] as { errorName?: string }).errorName),
              ),
            ],
          });
        pending = retry.sort((a, b) => a.index - b.index);
      } catch (error) {
        const errorName = error instanceof Error ? error.name : 'Error';
        for (const prepared of pending) outcomes[prepared.index] = { status: 'failed', errorName };
        logger.warn('PublishBatch call failed', {
          round,
          entries: pending.length,
          errorName,
          errorMessage: maskedMessage(error),
        });
      }
    }
  };

  const concurrency = fifo ? 1 : Math.max(1, options.concurrency ?? 4);
  let next = 0;
  // Once a batch is left with failed entries, later batches are not started: their records come back in the
  // re-delivered batch anyway (the checkpoint is at or before them), and a FIFO topic keeps its order.
  let stopped = false;
  const worker = async () => {
    while (next < batches.length && !stopped && !context.signal?.aborted) {
      const batch = batches[next++]!;
      await publishBatch(batch);
      if (batch.some((prepared) => outcomes[prepared.index]!.status === 'failed')) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return outcomes;
}
