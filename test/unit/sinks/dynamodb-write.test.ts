/**
 * The DynamoDB sink's write() against a scripted document client: batching and collapsing by key, UnprocessedItems
 * matched back by key, which errors are retried, ValidationException isolation, the 400 KB limit, ordered mode's
 * conditional puts, the budget, and the metrics. test/integration/kinesis-to-dynamodb runs the same sink against
 * dynalite, which never leaves items unprocessed or throttles on demand.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  NumberValue,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { RecordCoordinates, SinkItem, SinkWriteContext } from '../../../shared/kinesis/types';
import { logger, metrics } from '../../../shared/middleware/observability';
import {
  attributeValueSize,
  createDynamoDbSink,
  type DynamoDbItem,
  type DynamoDbSinkOptions,
  itemSize,
  MAX_ITEM_BYTES,
  streamPosition,
} from '../../../shared/sinks/dynamodb';

type Command = BatchWriteCommand | PutCommand;

/** A document client answering each call with `answer(command, call number)`; an Error answer is thrown. */
function scriptedClient(answer: (command: Command, n: number) => unknown = () => ({})) {
  const calls: Command[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async send(command: Command, options?: { abortSignal?: AbortSignal }) {
      expect(options).toHaveProperty('abortSignal');
      calls.push(command);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      const reply = answer(command, calls.length);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, calls, maxInFlight: () => maxInFlight };
}

const TABLE = 'devices';
const at = (sequenceNumber: string, subSequenceNumber = 0): RecordCoordinates => ({
  stream: 's',
  shardId: 'shardId-000000000000',
  sequenceNumber,
  subSequenceNumber,
  partitionKey: 'k',
  approximateArrivalTimestamp: 0,
});
const item = (pk: unknown, extra: DynamoDbItem = {}, coordinates = at('100')): SinkItem<DynamoDbItem> => ({
  coordinates,
  value: { pk, ...extra },
});
const many = (n: number) => Array.from({ length: n }, (_, i) => item(`k${i}`, {}, at(String(100 + i))));
const budget = (ms = 60_000): SinkWriteContext => ({ remainingTimeMs: () => ms });
const sinkWith = (client: DynamoDBDocumentClient, over: Partial<DynamoDbSinkOptions> = {}) =>
  createDynamoDbSink({
    tableName: TABLE,
    keyAttributes: ['pk'],
    client,
    baseBackoffMs: 1,
    maxBackoffMs: 1,
    ...over,
  });
const putsOf = (command: Command) =>
  (command as BatchWriteCommand).input.RequestItems![TABLE]!.map((r) => r.PutRequest!.Item!);
const unprocessed = (items: DynamoDbItem[]) => ({
  UnprocessedItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) },
});
const named = (name: string, message = name, extra: object = {}) =>
  Object.assign(new Error(message), { name }, extra);

let addMetric: MockInstance<typeof metrics.addMetric>;
const metric = (name: string) => addMetric.mock.calls.filter(([n]) => n === name).map(([, , value]) => value);
beforeEach(() => {
  addMetric = vi.spyOn(metrics, 'addMetric');
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('batch mode', () => {
  it('writes 25 puts per BatchWriteItem, at most `concurrency` calls at once', async () => {
    const { client, calls, maxInFlight } = scriptedClient();
    const result = await sinkWith(client, { concurrency: 2 }).write(many(60), budget());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(calls.map((c) => putsOf(c).length)).toEqual([25, 25, 10]);
    expect(calls.every((c) => c instanceof BatchWriteCommand)).toBe(true);
    expect(putsOf(calls[0]!)[0]).toEqual({ pk: 'k0' });
    expect(maxInFlight()).toBe(2);
    expect(metric('SinkRetries')).toEqual([0]);
    expect(metric('StaleWritesSkipped')).toEqual([]);
    const byDefault = scriptedClient();
    await sinkWith(byDefault.client).write(many(200), budget());
    expect(byDefault.maxInFlight()).toBe(4);
  });

  it('writes one put per key: the item at the latest stream position, standing for every record of the key', async () => {
    const { client, calls } = scriptedClient();
    const items = [
      item('a', { v: 'seq 10 sub 1' }, at('10', 1)),
      item('a', { v: 'seq 9' }, at('9', 5)),
      item('a', { v: 'seq 10 sub 2' }, at('10', 2)),
      item('a', { v: 'seq 10 sub 0' }, at('10', 0)),
      item('b', { v: 'seq 12' }, at('12')),
      item('b', { v: 'seq 11' }, at('11')),
      item('b', { v: 'seq 13' }, at('13')),
    ];
    const result = await sinkWith(client).write(items, budget());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(putsOf(calls[0]!)).toEqual([
      { pk: 'a', v: 'seq 10 sub 2' },
      { pk: 'b', v: 'seq 13' },
    ]);
  });

  it('collapses keys by value: numbers however written, strings, bytes, and both key attributes', async () => {
    const { client, calls } = scriptedClient();
    const items = [
      item(new NumberValue('1.50'), { sk: 's' }),
      item(new NumberValue('15e-1'), { sk: 's' }),
      item(new NumberValue('0.15E1'), { sk: 't' }),
      item(1.5, { sk: 't' }),
      item('1.5', { sk: 's' }),
      item(new NumberValue('-1.5'), { sk: 's' }),
      item(new NumberValue('0'), { sk: 's' }),
      item(new NumberValue('-0.00'), { sk: 's' }),
      item(new Uint8Array([1, 2]), { sk: 's' }),
      item(new Uint8Array([1, 2]), { sk: 's' }),
      item(new Uint8Array([1, 3]), { sk: 's' }),
    ];
    await sinkWith(client, { keyAttributes: ['pk', 'sk'] }).write(items, budget());
    expect(putsOf(calls[0]!).map((p) => [String(p.pk), p.sk])).toEqual([
      ['1.50', 's'],
      ['0.15E1', 't'],
      ['1.5', 's'],
      ['-1.5', 's'],
      ['0', 's'],
      ['1,2', 's'],
      ['1,3', 's'],
    ]);
  });

  it('sends again only the unprocessed items, matched back by key, and counts the retries', async () => {
    const { client, calls } = scriptedClient((command, n) =>
      n === 1 ? unprocessed([{ pk: new NumberValue('2.0'), v: 1 }, { pk: 'k3' }]) : {},
    );
    const items = [item(new NumberValue('2'), { v: 1 }), ...many(5).slice(1)];
    const result = await sinkWith(client).write(items, budget());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(putsOf(calls[1]!).map((p) => String(p.pk))).toEqual(['2', 'k3']);
    expect(metric('SinkRetries')).toEqual([1]);
  });

  it('sends every pending item again when an unprocessed one cannot be matched', async () => {
    const { client, calls } = scriptedClient((command, n) =>
      n === 1
        ? { UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: { pk: 'k1' } } }, { DeleteRequest: {} }] } }
        : {},
    );
    await sinkWith(client).write(many(3), budget());
    expect(putsOf(calls[1]!).map((p) => p.pk)).toEqual(['k0', 'k1', 'k2']);
  });

  it('hands back every record of the keys still unprocessed when the budget runs out', async () => {
    const warn = vi.spyOn(logger, 'warn');
    let remaining = 60_000;
    const { client, calls } = scriptedClient((command) => {
      remaining = 499; // under twice the margin (2 x 250 ms): no room for a backoff and another call
      return unprocessed(putsOf(command).filter((p) => p.pk === 'k1'));
    });
    const items = [...many(3), item('k1', {}, at('200'))];
    const result = await sinkWith(client, { random: () => 1, baseBackoffMs: 200, maxBackoffMs: 200 }).write(
      items,
      { remainingTimeMs: () => remaining },
    );
    expect(calls).toHaveLength(1);
    expect(result).toEqual({ failed: [1, 3], rejected: [] });
    expect(warn).toHaveBeenCalledWith('BatchWriteItem left items unprocessed when the time budget ran out', {
      table: TABLE,
      unprocessed: 1,
    });
  });

  it.each([
    ['a throttling error', named('ProvisionedThroughputExceededException')],
    ['ThrottlingException', named('ThrottlingException')],
    ['RequestLimitExceeded', named('RequestLimitExceeded')],
    ['InternalServerError', named('InternalServerError')],
    ['ServiceUnavailable', named('ServiceUnavailable')],
    ['TimeoutError', named('TimeoutError')],
    ['RequestTimeout', named('RequestTimeout')],
    ['RequestTimeoutException', named('RequestTimeoutException')],
    ['an error the SDK marks retryable', named('Whatever', 'x', { $retryable: {} })],
    ['HTTP 500', named('Other', 'x', { $metadata: { httpStatusCode: 500 } })],
    ['HTTP 429', named('Other', 'x', { $metadata: { httpStatusCode: 429 } })],
    ['a reset connection', named('Error', 'x', { code: 'ECONNRESET' })],
    ['a refused connection', named('Error', 'x', { code: 'ECONNREFUSED' })],
    ['a broken pipe', named('Error', 'x', { code: 'EPIPE' })],
    ['a connect timeout', named('Error', 'x', { code: 'ETIMEDOUT' })],
  ])('retries the call after %s', async (_, error) => {
    const { client, calls } = scriptedClient((command, n) => (n === 1 ? error : {}));
    const result = await sinkWith(client).write(many(2), budget());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(calls).toHaveLength(2);
    expect(metric('SinkRetries')).toEqual([1]);
  });

  it.each([
    ['AccessDeniedException', named('AccessDeniedException', 'User "arn:secret" is not authorized')],
    ['HTTP 400', named('Other', 'x', { $metadata: { httpStatusCode: 400 } })],
    ['HTTP 499', named('Other', 'x', { $metadata: { httpStatusCode: 499 } })],
    ['an unknown network code', named('Error', 'x', { code: 'EWHATEVER' })],
    ['a thrown string', 'not an error'],
    ['a schema mismatch', named('ValidationException', 'The provided key element does not match the schema')],
    ['a key type mismatch', named('ValidationException', 'Type mismatch for key pk expected: S actual: N')],
    [
      'a missing key',
      named('ValidationException', 'One or more parameter values were invalid: Missing the key pk'),
    ],
    ['a missing table', named('ValidationException', 'Requested resource not found')],
  ])('hands the records back without retrying after %s', async (_, error) => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client, calls } = scriptedClient(() => {
      if (typeof error === 'string') throw error;
      return error;
    });
    const result = await sinkWith(client).write(many(2), budget());
    expect(result).toEqual({ failed: [0, 1], rejected: [] });
    expect(calls).toHaveLength(1);
    expect(errorLog).toHaveBeenCalledWith('BatchWriteItem failed; its records are handed back to Lambda', {
      table: TABLE,
      items: 2,
      errorName: typeof error === 'string' ? 'Error' : error.name,
      errorMessage: expect.any(String),
    });
  });

  it('finds the item DynamoDB refuses with single puts, rejects it with the masked message, and writes the rest', async () => {
    const refusal = () =>
      named('ValidationException', 'One or more parameter values were invalid: "secret" empty');
    const { client, calls } = scriptedClient((command) => {
      if (command instanceof BatchWriteCommand) return refusal();
      return command.input.Item!.pk === 'k1' ? refusal() : {};
    });
    const result = await sinkWith(client).write(many(3), budget());
    expect(result).toEqual({
      failed: [],
      rejected: [
        {
          index: 1,
          errorName: 'ValidationException',
          reason: 'One or more parameter values were invalid: "…" empty',
        },
      ],
    });
    expect(calls.filter((c) => c instanceof PutCommand).map((c) => (c as PutCommand).input)).toEqual([
      { TableName: TABLE, Item: { pk: 'k0' } },
      { TableName: TABLE, Item: { pk: 'k1' } },
      { TableName: TABLE, Item: { pk: 'k2' } },
    ]);
  });

  it('hands back the single puts that fail while isolating', async () => {
    const { client } = scriptedClient((command) => {
      if (command instanceof BatchWriteCommand) return named('ValidationException', 'bad item');
      return command.input.Item!.pk === 'k2' ? named('AccessDeniedException') : {};
    });
    expect(await sinkWith(client).write(many(3), budget())).toEqual({ failed: [2], rejected: [] });
  });

  it('tries the older records of a refused key, latest first, until one lands', async () => {
    const { client, calls } = scriptedClient((command) => {
      if (command instanceof BatchWriteCommand) return named('ValidationException', 'bad item');
      const v = command.input.Item!.v as string;
      return v === 'bad' ? named('ValidationException', 'bad item') : {};
    });
    const items = [
      item('a', { v: 'oldest' }, at('10')),
      item('a', { v: 'bad' }, at('13')),
      item('a', { v: 'ok' }, at('11')),
      item('a', { v: 'bad' }, at('12')),
    ];
    const result = await sinkWith(client).write(items, budget());
    expect(result.failed).toEqual([]);
    expect(result.rejected!.map((r) => r.index)).toEqual([1, 3]);
    expect(calls.filter((c) => c instanceof PutCommand).map((c) => (c as PutCommand).input.Item!.v)).toEqual([
      'bad',
      'bad',
      'ok',
    ]);
  });

  it('hands back the older records of a refused key from the first one that fails', async () => {
    const { client } = scriptedClient((command) => {
      if (command instanceof BatchWriteCommand) return named('ValidationException', 'bad item');
      const v = command.input.Item!.v as string;
      return v === 'bad' ? named('ValidationException', 'bad item') : named('AccessDeniedException');
    });
    const items = [
      item('a', { v: 'x' }, at('10')),
      item('a', { v: 'bad' }, at('13')),
      item('a', { v: 'y' }, at('12')),
    ];
    const result = await sinkWith(client).write(items, budget());
    expect(result.failed.sort()).toEqual([0, 2]);
    expect(result.rejected!.map((r) => r.index)).toEqual([1]);
  });

  it('rejects an item over 400 KB without a call, and writes one of exactly 400 KB', async () => {
    const { client, calls } = scriptedClient();
    const fits = 'x'.repeat(MAX_ITEM_BYTES - 2 - 1 - 1); // "pk" + "a" + "v" + the value
    const result = await sinkWith(client).write(
      [item('a', { v: fits }), item('b', { v: `${fits}é` })],
      budget(),
    );
    expect(result).toEqual({
      failed: [],
      rejected: [
        {
          index: 1,
          errorName: 'ItemTooLargeError',
          reason: `the item is ${MAX_ITEM_BYTES + 2} bytes (attribute names + values, UTF-8); DynamoDB stores at most ${MAX_ITEM_BYTES}`,
        },
      ],
    });
    expect(putsOf(calls[0]!).map((p) => p.pk)).toEqual(['a']);
  });

  it('starts no call with less than the margin left', async () => {
    const { client, calls } = scriptedClient();
    expect(await sinkWith(client, { timeBudgetMarginMs: 300 }).write(many(2), budget(299))).toEqual({
      failed: [0, 1],
      rejected: [],
    });
    expect(calls).toHaveLength(0);
    const exact = scriptedClient();
    await sinkWith(exact.client, { timeBudgetMarginMs: 300 }).write(many(2), budget(300));
    expect(exact.calls).toHaveLength(1);
  });

  it('waits a jittered backoff that doubles per attempt up to the cap, within the budget', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const backoffs = () => timers.mock.calls.map(([, ms]) => ms).filter((ms) => ms !== 1);
    const random = vi.fn(() => 0.5);
    const { client, calls } = scriptedClient((command, n) => (n <= 4 ? named('ThrottlingException') : {}));
    await sinkWith(client, { random, baseBackoffMs: 20, maxBackoffMs: 60 }).write(many(1), budget());
    expect(calls).toHaveLength(5);
    // 0.5 x min(60, 20 x 2^attempt): 10, 20, 30, 30 ms.
    expect(backoffs()).toEqual([10, 20, 30, 30]);
    expect(metric('SinkRetries')).toEqual([4]);

    // Never longer than the budget leaves for the wait and one more call: 560 - 2 x 250 = 60 ms.
    timers.mockClear();
    const short = scriptedClient((command, n) => (n <= 1 ? named('ThrottlingException') : {}));
    await sinkWith(short.client, { random: () => 0.5, baseBackoffMs: 1_000, maxBackoffMs: 5_000 }).write(
      many(1),
      budget(560),
    );
    expect(backoffs()).toEqual([60]);
    expect(short.calls).toHaveLength(2);
  });

  it('gives up when the budget has no room for a backoff and another call', async () => {
    for (const [remaining, calls] of [
      [500, 1],
      [501, 2],
    ] as const) {
      const scripted = scriptedClient((command, n) => (n <= 1 ? named('ThrottlingException') : {}));
      const result = await sinkWith(scripted.client).write(many(1), budget(remaining));
      expect(scripted.calls, String(remaining)).toHaveLength(calls);
      expect(result.failed).toEqual(calls === 1 ? [0] : []);
    }
  });

  it('gives up when less than the margin is left after the backoff', async () => {
    let remaining = 60_000;
    const { client, calls } = scriptedClient(() => {
      remaining = 60_000;
      setTimeout(() => {
        remaining = 249;
      }, 0);
      return named('ThrottlingException');
    });
    const result = await sinkWith(client, { random: () => 1, baseBackoffMs: 20, maxBackoffMs: 20 }).write(
      many(1),
      { remainingTimeMs: () => remaining },
    );
    expect(result.failed).toEqual([0]);
    expect(calls).toHaveLength(1);
    expect(metric('SinkRetries')).toEqual([0]);
  });
});

describe('ordered mode', () => {
  it('puts each key conditionally on being newer, with its stream position', async () => {
    const { client, calls } = scriptedClient();
    const result = await sinkWith(client, { mode: 'ordered' }).write(
      [item('a', {}, at('10', 2)), item('a', {}, at('9')), item('b', {}, at('11'))],
      budget(),
    );
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(calls.map((c) => (c as PutCommand).input)).toEqual([
      {
        TableName: TABLE,
        Item: { pk: 'a', _seqKey: streamPosition(at('10', 2)) },
        ConditionExpression:
          'attribute_not_exists(#pk) OR attribute_not_exists(#position) OR #position < :position',
        ExpressionAttributeNames: { '#pk': 'pk', '#position': '_seqKey' },
        ExpressionAttributeValues: { ':position': streamPosition(at('10', 2)) },
      },
      expect.objectContaining({ Item: { pk: 'b', _seqKey: streamPosition(at('11')) } }),
    ]);
    expect(metric('StaleWritesSkipped')).toEqual([0]);
  });

  it('counts a put refused for a newer version as delivered, and a stale write', async () => {
    const { client } = scriptedClient((command) =>
      (command as PutCommand).input.Item!.pk === 'a' ? named('ConditionalCheckFailedException') : {},
    );
    const result = await sinkWith(client, { mode: 'ordered', positionAttribute: 'pos' }).write(
      many(1).concat(item('a')),
      budget(),
    );
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(metric('StaleWritesSkipped')).toEqual([1]);
  });

  it('rejects a record that already has the position attribute', async () => {
    const { client, calls } = scriptedClient();
    const result = await sinkWith(client, { mode: 'ordered', positionAttribute: 'pos' }).write(
      [item('a', { pos: 'mine' }), item('b')],
      budget(),
    );
    expect(result.rejected).toEqual([
      {
        index: 0,
        errorName: 'RecordShapeError',
        reason: 'the item already has an attribute "pos", the one ordered mode keeps the stream position in',
      },
    ]);
    expect(calls).toHaveLength(1);
  });

  it('retries throttled puts, rejects invalid ones, and hands back the rest', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client, calls } = scriptedClient((command, n) => {
      const pk = (command as PutCommand).input.Item!.pk;
      if (pk === 'k0') return n <= 2 ? named('ThrottlingException') : {};
      if (pk === 'k1') return named('ValidationException', 'Item size has exceeded the maximum allowed size');
      if (pk === 'k2') return named('AccessDeniedException');
      return {};
    });
    const result = await sinkWith(client, { mode: 'ordered', concurrency: 1 }).write(many(4), budget());
    expect(result).toEqual({
      failed: [2],
      rejected: [
        {
          index: 1,
          errorName: 'ValidationException',
          reason: 'Item size has exceeded the maximum allowed size',
        },
      ],
    });
    expect(calls).toHaveLength(6);
    expect(metric('SinkRetries')).toEqual([2]);
    expect(errorLog).toHaveBeenCalledWith('PutItem failed; its records are handed back to Lambda', {
      table: TABLE,
      items: 1,
      errorName: 'AccessDeniedException',
      errorMessage: 'AccessDeniedException',
    });
  });

  it('keeps up to 16 puts in flight by default', async () => {
    const { client, maxInFlight } = scriptedClient();
    await sinkWith(client, { mode: 'ordered' }).write(many(40), budget());
    expect(maxInFlight()).toBe(16);
  });
});

describe('item size (DynamoDB: names + values, UTF-8)', () => {
  it.each([
    [null, 1],
    [undefined, 1],
    [true, 1],
    ['', 0],
    ['é', 2],
    [12345, 4],
    [BigInt(123), 3],
    [BigInt(12345), 4],
    [999, 3],
    [new NumberValue('0.123'), 3],
    [new NumberValue('1E23'), 2],
    [new NumberValue('0'), 2],
    [new NumberValue('-0.000'), 2],
    [new NumberValue('1200'), 2],
    [new NumberValue('0.0012'), 2],
    [new NumberValue('1.23e45'), 3],
    [new NumberValue('123E-4'), 3],
    [new Uint8Array(7), 7],
    [new Set(['ab', 'c']), 3],
    [new Set(['abc', 'd']), 4],
    [['a', 'bc'], 3 + (1 + 1) + (1 + 2)],
    [{ ab: 'c', d: [] }, 3 + (1 + 2 + 1) + (1 + 1 + 3)],
  ])('counts %s as %i bytes', (value, size) => {
    expect(attributeValueSize(value)).toBe(size);
  });

  it('adds the attribute names', () => {
    expect(itemSize({ name: 'value', é: 1 })).toBe(4 + 5 + 2 + 2);
  });
});

describe('stream position', () => {
  it('is the digit count, the sequence number and the padded subsequence number', () => {
    const sequenceNumber = '49658520563826370318512419245617917437484032022312157186';
    expect(streamPosition({ sequenceNumber, subSequenceNumber: 2 })).toBe(`056:${sequenceNumber}:0000000002`);
  });
});

describe('keys, budget and older records (more)', () => {
  it('collapses numbers written with two-digit exponents or trailing zeros, and keeps distinct keys apart', async () => {
    const { client, calls } = scriptedClient();
    const items = [
      item(new NumberValue('1.0e21')),
      item(1e21),
      item(new NumberValue('10e20')),
      item(new NumberValue('1020.0')),
      item(1020),
      item(new NumberValue('12.00')),
      item(12),
    ];
    await sinkWith(client).write(items, budget());
    expect(putsOf(calls[0]!).map((p) => String(p.pk))).toEqual(['1.0e21', '1020.0', '12.00']);

    // Two-attribute keys whose texts would run together, and keys DynamoDB will refuse: none collapsed.
    const apart = scriptedClient();
    await sinkWith(apart.client, { keyAttributes: ['pk', 'sk'] }).write(
      [item('aSb', { sk: 'c' }), item('a', { sk: 'bSc' })],
      budget(),
    );
    expect(putsOf(apart.calls[0]!)).toEqual([
      { pk: 'aSb', sk: 'c' },
      { pk: 'a', sk: 'bSc' },
    ]);
    const invalid = scriptedClient();
    const result = await sinkWith(invalid.client).write(
      [{ coordinates: at('100'), value: { v: 1 } }, item(true), item(false), item(0)],
      budget(),
    );
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(putsOf(invalid.calls[0]!)).toHaveLength(4);
  });

  it('matches an unprocessed binary key back whether it comes as a Buffer or a Uint8Array', async () => {
    const { client, calls } = scriptedClient((command, n) =>
      n === 1 ? unprocessed([{ pk: new Uint8Array([0x68, 0x69]) }]) : {},
    );
    await sinkWith(client).write([item(Buffer.from('hi')), item(Buffer.from('yo'))], budget());
    expect(calls).toHaveLength(2);
    expect(putsOf(calls[1]!).map((p) => Buffer.from(p.pk as Uint8Array).toString())).toEqual(['hi']);
  });

  it('hands the records back when the client rejects with something that is not an Error', async () => {
    for (const thrown of [null, undefined]) {
      const client = {
        send: async () => {
          throw thrown;
        },
      } as unknown as DynamoDBDocumentClient;
      expect(await sinkWith(client).write(many(2), budget())).toEqual({ failed: [0, 1], rejected: [] });
      expect(await sinkWith(client, { mode: 'ordered' }).write(many(1), budget())).toEqual({
        failed: [0],
        rejected: [],
      });
    }
  });

  it('makes ceil(n / 25) calls: none for no items, two for 50', async () => {
    const none = scriptedClient();
    expect(await sinkWith(none.client).write([], budget())).toEqual({ failed: [], rejected: [] });
    expect(none.calls).toHaveLength(0);
    const fifty = scriptedClient();
    await sinkWith(fifty.client).write(many(50), budget());
    expect(fifty.calls.map((c) => putsOf(c).length)).toEqual([25, 25]);
  });

  it('retries when exactly the margin is left after the backoff, and logs the failure when less is', async () => {
    for (const [after, calls] of [
      [250, 2],
      [249, 1],
    ] as const) {
      const errorLog = vi.spyOn(logger, 'error');
      let remaining = 60_000;
      const scripted = scriptedClient((command, n) => {
        setTimeout(() => {
          remaining = after;
        }, 0);
        return n === 1 ? named('ThrottlingException') : {};
      });
      const result = await sinkWith(scripted.client, {
        random: () => 1,
        baseBackoffMs: 20,
        maxBackoffMs: 20,
      }).write(many(1), { remainingTimeMs: () => remaining });
      expect(scripted.calls).toHaveLength(calls);
      expect(result.failed).toEqual(calls === 2 ? [] : [0]);
      if (calls === 1) {
        expect(errorLog).toHaveBeenCalledWith(
          'BatchWriteItem failed; its records are handed back to Lambda',
          {
            table: TABLE,
            items: 1,
            errorName: 'ThrottlingException',
            errorMessage: 'ThrottlingException',
          },
        );
      }
      errorLog.mockRestore();
    }
  });

  it('in ordered mode too: backs off doubling per attempt, and starts no put with less than the margin left', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const backoffs = () => timers.mock.calls.map(([, ms]) => ms).filter((ms) => ms !== 1);
    const { client, calls } = scriptedClient((command, n) => (n <= 4 ? named('ThrottlingException') : {}));
    await sinkWith(client, { mode: 'ordered', random: () => 0.5, baseBackoffMs: 20, maxBackoffMs: 60 }).write(
      many(1),
      budget(),
    );
    expect(calls).toHaveLength(5);
    expect(backoffs()).toEqual([10, 20, 30, 30]);

    const late = scriptedClient();
    expect(await sinkWith(late.client, { mode: 'ordered' }).write(many(2), budget(249))).toEqual({
      failed: [0, 1],
      rejected: [],
    });
    expect(late.calls).toHaveLength(0);
  });

  it('tries a refused key`s older records unconditionally in batch mode, conditionally in ordered mode', async () => {
    for (const mode of ['batch', 'ordered'] as const) {
      const { client, calls } = scriptedClient((command) => {
        if (command instanceof BatchWriteCommand) return named('ValidationException', 'bad item');
        if (command.input.Item!.v === 'bad') return named('ValidationException', 'bad item');
        // Ordered mode: a newer version of the key is already stored.
        return mode === 'ordered' ? named('ConditionalCheckFailedException') : {};
      });
      const result = await sinkWith(client, { mode }).write(
        [item('a', { v: 'old' }, at('10')), item('a', { v: 'bad' }, at('11'))],
        budget(),
      );
      expect(result).toEqual({ failed: [], rejected: [expect.objectContaining({ index: 1 })] });
      const older = calls.find((c) => c instanceof PutCommand && c.input.Item!.v === 'old') as PutCommand;
      expect(older.input.ConditionExpression !== undefined).toBe(mode === 'ordered');
    }
  });

  it('hands back only the older records from the first that fails, not those rejected before it', async () => {
    const { client } = scriptedClient((command) => {
      if (command instanceof BatchWriteCommand) return named('ValidationException', 'bad item');
      const v = command.input.Item!.v as string;
      return v.startsWith('bad') ? named('ValidationException', 'bad item') : named('AccessDeniedException');
    });
    const items = [
      item('a', { v: 'x' }, at('10')),
      item('a', { v: 'bad 13' }, at('13')),
      item('a', { v: 'y' }, at('11')),
      item('a', { v: 'bad 12' }, at('12')),
    ];
    const result = await sinkWith(client).write(items, budget());
    expect(result.rejected!.map((r) => r.index)).toEqual([1, 3]);
    expect(result.failed.sort()).toEqual([0, 2]);
  });

  it('takes the longer sequence number as the later one (they have no leading zeros)', async () => {
    const { client, calls } = scriptedClient();
    await sinkWith(client).write(
      [item('a', { v: 'seq 100' }, at('100')), item('a', { v: 'seq 99' }, at('99'))],
      budget(),
    );
    expect(putsOf(calls[0]!)).toEqual([{ pk: 'a', v: 'seq 100' }]);
    const reversed = scriptedClient();
    await sinkWith(reversed.client).write(
      [item('a', { v: 'seq 99' }, at('99')), item('a', { v: 'seq 100' }, at('100'))],
      budget(),
    );
    expect(putsOf(reversed.calls[0]!)).toEqual([{ pk: 'a', v: 'seq 100' }]);
  });
});
