/**
 * A sink that writes items to one DynamoDB table, in one of two modes:
 *
 * - `batch` (default): BatchWriteItem, 25 puts per call (its limit), so a clean run makes ceil(n / 25) calls.
 *   Items with the same key are collapsed to the latest stream position first (BatchWriteItem rejects a request
 *   that names a key twice, and the latest record is what a put-per-record writer would leave anyway).
 *   UnprocessedItems are retried with exponential backoff and full jitter while the invocation's budget allows;
 *   what is still unprocessed then is mapped back to its items, so only their parents are re-delivered.
 *   Re-delivery of an older record after a newer one has landed overwrites it: use `ordered` when that matters.
 * - `ordered`: one conditional PutItem per key, `attribute_not_exists(<pk>) OR attribute_not_exists(<position>)
 *   OR <position> < :position` (an item some other writer put, without a position, is overwritten), where
 *   the position attribute holds a sortable form of (sequenceNumber, subSequenceNumber). An older stream position
 *   never overwrites a newer one, whether it comes from a re-delivery or from a parent shard read after its
 *   children following a reshard (child shards' sequence numbers are higher). ConditionalCheckFailedException
 *   means a newer (or the same) version is already there: the item counts as delivered. Re-delivery of the SAME
 *   record fails the condition (`<`, not `<=`) and is therefore delivered without a second write.
 *
 * Both modes bound the calls in flight, pass the invocation's abort signal to every call, retry throttling and
 * 5xx answers with backoff while time allows, and report what did not land as `failed` (transient: Lambda
 * re-delivers). Items DynamoDB can never store are `rejected` (the runner dead-letters them): an item over
 * 400 KB (measured as DynamoDB does: attribute names + values, UTF-8) is rejected without a call; an item
 * DynamoDB answers ValidationException for is isolated with single PutItems and rejected with the service's
 * message (quoted parts masked).
 *
 * Values are marshalled by @aws-sdk/lib-dynamodb: pass numbers as `NumberValue` (their exact text) to keep
 * digits a JavaScript number would lose.
 *
 * @example
 * ```ts
 * const sink = createDynamoDbSink({ tableName: 'devices', keyAttributes: ['pk', 'sk'], mode: 'ordered' });
 * await sink.write([{ coordinates, value: { pk: 'd-1', sk: new NumberValue('1764000000123'), temp: 21.5 } }], context);
 * ```
 */
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  type NativeAttributeValue,
  NumberValue,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient } from '../aws/clients';
import { sleep } from '../aws/deadline';
import type { RecordCoordinates, Sink, SinkItem, SinkRejection, SinkWriteContext } from '../kinesis/types';
import { maskedMessage } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import { mapWithConcurrency } from './concurrency';

/** An item as lib-dynamodb marshals it: attribute name -> value. */
export type DynamoDbItem = Record<string, NativeAttributeValue>;
export type DynamoDbWriteMode = 'batch' | 'ordered';

/** DynamoDB's item size limit: 400 KB, counted as attribute names + values in UTF-8. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** BatchWriteItem's limit on put/delete requests per call. */
export const BATCH_WRITE_MAX_ITEMS = 25;
/** The attribute `ordered` mode keeps the stream position in, unless configured otherwise. */
export const DEFAULT_POSITION_ATTRIBUTE = '_seqKey';

export interface DynamoDbSinkOptions {
  tableName: string;
  /** The table's key attribute names: [partition key] or [partition key, sort key]. */
  keyAttributes: readonly [string] | readonly [string, string];
  mode?: DynamoDbWriteMode;
  /** `ordered` mode: the attribute holding the sortable stream position ({@link streamPosition}). */
  positionAttribute?: string;
  /** Calls in flight at once (BatchWriteItem calls in batch mode, PutItem calls in ordered mode). */
  concurrency?: number;
  /** Backoff before retry n (from 0): a random wait in [0, min(maxBackoffMs, baseBackoffMs * 2^n)) ms. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Don't start a call or a backoff with less than this left in the invocation's budget (ms). */
  timeBudgetMarginMs?: number;
  /** lib-dynamodb document client (default: one over shared/aws/clients' DynamoDB client). */
  client?: DynamoDBDocumentClient;
  /** Random source for the jitter (tests). */
  random?: () => number;
}

/**
 * A string that sorts (byte-wise, as DynamoDB compares strings) in stream order: the sequence number's digit
 * count (3 digits), the sequence number, and the subsequence number padded to 10 digits. Sequence numbers have no
 * leading zeros, so a longer one is a larger one: `056:49658520563826370318512419245617917437484032022312157186:0000000002`.
 */
export function streamPosition(coordinates: Pick<RecordCoordinates, 'sequenceNumber' | 'subSequenceNumber'>) {
  const { sequenceNumber, subSequenceNumber } = coordinates;
  return `${String(sequenceNumber.length).padStart(3, '0')}:${sequenceNumber}:${String(subSequenceNumber).padStart(10, '0')}`;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Size DynamoDB charges for a number: 1 byte per two significant digits, plus 1. */
function numberSize(text: string): number {
  let first = -1;
  let last = -1;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x65 || code === 0x45) break; // exponent
    if (code < 0x30 || code > 0x39) continue; // sign, decimal point
    if (code !== 0x30) {
      if (first === -1) first = digits;
      last = digits;
    }
    digits++;
  }
  const significant = first === -1 ? 1 : last - first + 1;
  return Math.ceil(significant / 2) + 1;
}

/** Size of one attribute value, as DynamoDB counts it (docs: "Item sizes and formats"). */
export function attributeValueSize(value: NativeAttributeValue): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (value instanceof NumberValue) return numberSize(value.toString());
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    // A list: 3 bytes, plus 1 byte per element and the element itself.
    let size = 3;
    for (const element of value) size += 1 + attributeValueSize(element as NativeAttributeValue);
    return size;
  }
  if (value instanceof Set) {
    let size = 0;
    for (const element of value) size += attributeValueSize(element as NativeAttributeValue);
    return size;
  }
  // A map: 3 bytes, plus per member 1 byte, its name and its value.
  let size = 3;
  for (const [name, member] of Object.entries(value as Record<string, NativeAttributeValue>)) {
    size += 1 + utf8Bytes(name) + attributeValueSize(member);
  }
  return size;
}

/** An item's size as DynamoDB counts it against the 400 KB limit: attribute names + values (UTF-8). */
export function itemSize(item: DynamoDbItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Bytes(name) + attributeValueSize(value);
  return size;
}

/**
 * Canonical text of a key value, for matching UnprocessedItems back to what was sent: strings as they are,
 * numbers without leading/trailing zeros or exponent differences (DynamoDB may answer `1.5` for `1.50`).
 */
function keyText(value: NativeAttributeValue): string {
  if (typeof value === 'string') return `S${value}`;
  if (value instanceof Uint8Array) return `B${Buffer.from(value).toString('base64')}`;
  const text = String(value instanceof NumberValue ? value.toString() : value);
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return `N${text}`;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`;
  const leading = digits.search(/[1-9]/);
  if (leading === -1) return 'N0';
  const significant = digits.slice(leading).replace(/0+$/, '');
  // Exponent of the first significant digit.
  const position = whole.length - leading - 1 + Number(exponent);
  return `N${sign}${significant}e${position}`;
}

/** Throttling and capacity errors, server errors, timeouts and network errors: worth another try. */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    code?: string;
  };
  if (meta.$retryable) return true;
  if (
    [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
      'InternalServerError',
      'ServiceUnavailable',
      'TimeoutError',
      'RequestTimeout',
      'RequestTimeoutException',
    ].includes(error.name)
  ) {
    return true;
  }
  const status = meta.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP answer at all: a reset or refused connection.
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(meta.code ?? '');
}

/**
 * A ValidationException about one item (a value DynamoDB refuses): that item is rejected for good. One about the
 * table's key schema (wrong key names or types: a configuration error) is not: every item would be dead-lettered,
 * so those fail instead and the shard waits for the configuration to be fixed.
 */
const isItemValidation = (error: unknown) =>
  error instanceof Error &&
  error.name === 'ValidationException' &&
  !/does not match the schema|Type mismatch for key|Missing the key|Requested resource not found/i.test(
    error.message,
  );

interface Member {
  index: number;
  item: DynamoDbItem;
  coordinates: RecordCoordinates;
}

/** One key's write: the latest item for the key (`item`), standing for every member. */
interface Group {
  key: string;
  item: DynamoDbItem;
  latest: Member;
  members: Member[];
}

/** Whether `a` is at a later stream position than `b`. */
function later(a: RecordCoordinates, b: RecordCoordinates): boolean {
  if (a.sequenceNumber !== b.sequenceNumber) {
    if (a.sequenceNumber.length !== b.sequenceNumber.length)
      return a.sequenceNumber.length > b.sequenceNumber.length;
    return a.sequenceNumber > b.sequenceNumber;
  }
  return a.subSequenceNumber > b.subSequenceNumber;
}

export function createDynamoDbSink(options: DynamoDbSinkOptions): Sink<DynamoDbItem> {
  const mode = options.mode ?? 'batch';
  const table = options.tableName;
  const keys = options.keyAttributes;
  const positionAttribute = options.positionAttribute ?? DEFAULT_POSITION_ATTRIBUTE;
  const concurrency = options.concurrency ?? (mode === 'batch' ? 4 : 16);
  const baseBackoffMs = options.baseBackoffMs ?? 50;
  const maxBackoffMs = options.maxBackoffMs ?? 2_000;
  const margin = options.timeBudgetMarginMs ?? 250;
  const random = options.random ?? Math.random;
  // Over the shared client unless one is given; rebuilt when the shared one is replaced (resetClients()).
  let wrapped: { base: ReturnType<typeof dynamoDbClient>; client: DynamoDBDocumentClient } | undefined;
  const client = () => {
    if (options.client) return options.client;
    const base = dynamoDbClient();
    if (wrapped?.base !== base) {
      wrapped = {
        base,
        client: DynamoDBDocumentClient.from(base, {
          marshallOptions: { removeUndefinedValues: true },
          unmarshallOptions: { wrapNumbers: true },
        }),
      };
    }
    return wrapped.client;
  };
  const keyOf = (item: DynamoDbItem) => keys.map((name) => keyText(item[name])).join('\u0000');

  // Per write (Lambda runs one invocation at a time per instance): emitted as metrics when the write ends.
  let retries = 0;
  let stale = 0;

  /**
   * Sleeps before retry `attempt` if the budget allows the wait plus another call; false when it does not (the
   * caller then gives the remaining work back to Lambda).
   */
  async function backoff(attempt: number, context: SinkWriteContext): Promise<boolean> {
    // Full jitter, cut short to leave one more call room in the budget.
    const room = context.remainingTimeMs() - 2 * margin;
    if (context.signal?.aborted || room <= 0) return false;
    const wait = Math.min(room, random() * Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt));
    await sleep(wait, context.signal);
    if (context.signal?.aborted || context.remainingTimeMs() < margin) return false;
    retries += 1;
    return true;
  }
  const canStart = (context: SinkWriteContext) =>
    !context.signal?.aborted && context.remainingTimeMs() >= margin;

  const logFailure = (message: string, error: unknown, items: number) =>
    logger.error(message, {
      table,
      items,
      errorName: error instanceof Error ? error.name : 'Error',
      errorMessage: maskedMessage(error),
    });

  /** Single unconditional/conditional put; 'ok', 'rejected' (with the reason) or 'failed'. */
  async function put(
    group: Group,
    context: SinkWriteContext,
    conditional: boolean,
  ): Promise<{ outcome: 'ok' | 'failed' } | { outcome: 'rejected'; errorName: string; reason: string }> {
    for (let attempt = 0; ; attempt++) {
      if (!canStart(context)) return { outcome: 'failed' };
      try {
        await client().send(
          new PutCommand({
            TableName: table,
            Item: group.item,
            ...(conditional
              ? {
                  // An item without a position (put by another writer) is replaced, never left as is.
                  ConditionExpression:
                    'attribute_not_exists(#pk) OR attribute_not_exists(#position) OR #position < :position',
                  ExpressionAttributeNames: { '#pk': keys[0], '#position': positionAttribute },
                  ExpressionAttributeValues: { ':position': group.item[positionAttribute] as string },
                }
              : {}),
          }),
          { abortSignal: context.signal },
        );
        return { outcome: 'ok' };
      } catch (error) {
        // A newer version (or this very record, re-delivered) is already there.
        if (conditional && (error as Error | null)?.name === 'ConditionalCheckFailedException') {
          stale += 1;
          return { outcome: 'ok' };
        }
        if (isItemValidation(error)) {
          return { outcome: 'rejected', errorName: 'ValidationException', reason: maskedMessage(error) };
        }
        if (!isRetryable(error) || !(await backoff(attempt, context))) {
          logFailure('PutItem failed; its records are handed back to Lambda', error, group.members.length);
          return { outcome: 'failed' };
        }
      }
    }
  }

  /**
   * One BatchWriteItem request (at most 25 groups) until every put is processed or time runs out. Returns the
   * groups that did not land, and those rejected (found by isolating a ValidationException with single puts).
   */
  async function batch(
    groups: Group[],
    context: SinkWriteContext,
  ): Promise<{ failed: Group[]; rejected: Array<{ group: Group; errorName: string; reason: string }> }> {
    let pending = groups;
    for (let attempt = 0; ; attempt++) {
      if (!canStart(context)) return { failed: pending, rejected: [] };
      try {
        const response = await client().send(
          new BatchWriteCommand({
            RequestItems: { [table]: pending.map((group) => ({ PutRequest: { Item: group.item } })) },
          }),
          { abortSignal: context.signal },
        );
        const unprocessed = response.UnprocessedItems?.[table] ?? [];
        if (unprocessed.length === 0) return { failed: [], rejected: [] };
        const byKey = new Map(pending.map((group) => [group.key, group]));
        const next: Group[] = [];
        for (const request of unprocessed) {
          const item = request.PutRequest?.Item as DynamoDbItem | undefined;
          const group = item && byKey.get(keyOf(item));
          if (!group) {
            // Cannot tell which put this is: keep every pending one (a put repeated is harmless).
            next.length = 0;
            next.push(...pending);
            break;
          }
          next.push(group);
        }
        pending = next;
      } catch (error) {
        if (isItemValidation(error)) {
          // One bad item fails the whole request: find it with single puts (the others land that way too).
          const outcomes = await mapWithConcurrency(pending, concurrency, (group) =>
            put(group, context, false),
          );
          const failed: Group[] = [];
          const rejected: Array<{ group: Group; errorName: string; reason: string }> = [];
          outcomes.forEach((outcome, i) => {
            if (outcome.outcome === 'failed') failed.push(pending[i]!);
            else if (outcome.outcome === 'rejected') rejected.push({ group: pending[i]!, ...outcome });
          });
          return { failed, rejected };
        }
        if (!isRetryable(error) || !(await backoff(attempt, context))) {
          logFailure('BatchWriteItem failed; its records are handed back to Lambda', error, pending.length);
          return { failed: pending, rejected: [] };
        }
        continue;
      }
      if (!(await backoff(attempt, context))) {
        logger.warn('BatchWriteItem left items unprocessed when the time budget ran out', {
          table,
          unprocessed: pending.length,
        });
        return { failed: pending, rejected: [] };
      }
    }
  }

  return {
    async write(items: SinkItem<DynamoDbItem>[], context: SinkWriteContext) {
      retries = 0;
      stale = 0;
      const rejected: SinkRejection[] = [];
      const groups = new Map<string, Group>();
      items.forEach(({ coordinates, value }, index) => {
        let item = value;
        if (mode === 'ordered') {
          if (Object.hasOwn(item, positionAttribute)) {
            rejected.push({
              index,
              errorName: 'RecordShapeError',
              reason: `the item already has an attribute "${positionAttribute}", the one ordered mode keeps the stream position in`,
            });
            return;
          }
          item = { ...item, [positionAttribute]: streamPosition(coordinates) };
        }
        const size = itemSize(item);
        if (size > MAX_ITEM_BYTES) {
          rejected.push({
            index,
            errorName: 'ItemTooLargeError',
            reason: `the item is ${size} bytes (attribute names + values, UTF-8); DynamoDB stores at most ${MAX_ITEM_BYTES}`,
          });
          return;
        }
        const key = keyOf(item);
        const member = { index, item, coordinates };
        const group = groups.get(key);
        if (!group) groups.set(key, { key, item, latest: member, members: [member] });
        else {
          group.members.push(member);
          if (later(coordinates, group.latest.coordinates)) {
            group.item = item;
            group.latest = member;
          }
        }
      });

      const all = [...groups.values()];
      const failedGroups: Group[] = [];
      const rejectedGroups: Array<{ group: Group; errorName: string; reason: string }> = [];
      if (mode === 'batch') {
        const chunks: Group[][] = [];
        for (let i = 0; i < all.length; i += BATCH_WRITE_MAX_ITEMS)
          chunks.push(all.slice(i, i + BATCH_WRITE_MAX_ITEMS));
        for (const result of await mapWithConcurrency(chunks, concurrency, (chunk) =>
          batch(chunk, context),
        )) {
          failedGroups.push(...result.failed);
          rejectedGroups.push(...result.rejected);
        }
      } else {
        const outcomes = await mapWithConcurrency(all, concurrency, (group) => put(group, context, true));
        outcomes.forEach((outcome, i) => {
          if (outcome.outcome === 'failed') failedGroups.push(all[i]!);
          else if (outcome.outcome === 'rejected') rejectedGroups.push({ group: all[i]!, ...outcome });
        });
      }

      const failed = failedGroups.flatMap((group) => group.members.map((member) => member.index));
      for (const { group, errorName, reason } of rejectedGroups) {
        rejected.push({ index: group.latest.index, errorName, reason });
        // The older records of that key were never tried: the latest of them that DynamoDB accepts is what a
        // put per record would have left (slow path; the function's transform keeps invalid items out).
        const older = group.members
          .filter((member) => member !== group.latest)
          .sort((a, b) => (later(a.coordinates, b.coordinates) ? -1 : 1));
        for (let i = 0; i < older.length; i++) {
          const member = older[i]!;
          const outcome = await put(
            { ...group, item: member.item, latest: member },
            context,
            mode === 'ordered',
          );
          if (outcome.outcome === 'ok') break; // the rest are older: superseded
          if (outcome.outcome === 'rejected') {
            rejected.push({ index: member.index, errorName: outcome.errorName, reason: outcome.reason });
          } else {
            for (const rest of older.slice(i)) failed.push(rest.index);
            break;
          }
        }
      }
      metrics.addMetric('SinkRetries', MetricUnit.Count, retries);
      if (mode === 'ordered') metrics.addMetric('StaleWritesSkipped', MetricUnit.Count, stale);
      return { failed, rejected };
    },
  };
}
