/**
 * kinesis-to-opensearch end to end: the handler with the real @opensearch-project/opensearch client and its SigV4
 * signer, against the wire-level OpenSearch fake (test/support/opensearch-fake.ts: no OpenSearch server can run
 * here), dead letters in s3rver. Proven against the fake only: the bulk wire format and item-level statuses as
 * OpenSearch documents them; the fake checks that requests are SigV4-signed for the right service, not the
 * signature's value.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-opensearch/config';
import { handler } from '../../../functions/kinesis-to-opensearch/handler';
import { s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import { plainEvent, invokeTimed, redeliveryAfter } from '../../support/kinesis-events';
import { type OpenSearchFake, startOpenSearchFake } from '../../support/opensearch-fake';
import { createBucket, listKeys, readLines } from '../../support/s3';

const BUCKET = 'kinesis-to-opensearch-it';
const SHARD = 'shardId-000000000003';
const INDEX = 'logs-2025.11.22'; // plainEvent's arrival times (1_763_800_000 s) fall on this day
const ENV_KEYS = [
  'OPENSEARCH_ENDPOINT',
  'OPENSEARCH_SERVICE',
  'OPENSEARCH_DEAD_LETTER_BUCKET',
  'OPENSEARCH_DEAD_LETTER_PREFIX',
  'OPENSEARCH_MAX_BULK_BYTES',
  'OPENSEARCH_MAX_BULK_ACTIONS',
  'OPENSEARCH_MAX_REQUESTS_IN_FLIGHT',
  'OPENSEARCH_TIME_FIELD',
  'OPENSEARCH_ID_FIELD',
  'OPENSEARCH_INDEX_TEMPLATE',
  'DEADLINE_MARGIN_MS',
];
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

let fake: OpenSearchFake;
let cell = 0;

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
});

/** A fresh configuration per test: its own dead-letter prefix, the fake's endpoint, and `env` on top. */
function configure(env: Record<string, string> = {}): string {
  for (const key of ENV_KEYS) delete process.env[key];
  const prefix = `dl-${++cell}`;
  Object.assign(process.env, {
    OPENSEARCH_ENDPOINT: fake.endpoint,
    OPENSEARCH_DEAD_LETTER_BUCKET: BUCKET,
    OPENSEARCH_DEAD_LETTER_PREFIX: prefix,
    ...env,
  });
  config.reset();
  return prefix;
}

afterEach(() => fake.reset());

afterAll(async () => {
  for (const key of ENV_KEYS)
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
  await fake.close();
});

/** `parents` KPL aggregates of `perParent` JSON log records; each record's text is kept to compare bytes. */
function kplBatch(parents: number, perParent: number, make = (n: number) => logRecord(n)) {
  const texts: string[][] = [];
  const blobs: Uint8Array[] = [];
  for (let p = 0; p < parents; p++) {
    const users = Array.from({ length: perParent }, (_, s) => make(p * perParent + s));
    texts.push(users);
    const [blob, ...rest] = aggregate(
      users.map((data, s) => ({ data, partitionKey: `pk-${p}-${s}` })),
      {
        maxBytes: 1024 * 1024,
      },
    );
    expect(rest).toHaveLength(0);
    blobs.push(blob!.data);
  }
  const event = plainEvent(blobs, { shardId: SHARD });
  const ids = event.Records.flatMap((record, p) =>
    texts[p]!.map((_, s) => `${SHARD}-${record.kinesis.sequenceNumber}-${s}`),
  );
  return { event, texts: texts.flat(), ids };
}

// Exact text that JSON.parse + JSON.stringify would change: a big integer, a trailing zero, spacing.
const logRecord = (n: number) =>
  `{"n": ${n}, "trace": 12345678901234567890, "ratio": 0.50, "level": "INFO", "message": "event ${n}"}`;

const invoke = (event: KinesisStreamEvent, timeoutMs = 60_000) =>
  invokeTimed(handler, 'kinesis-to-opensearch', event, timeoutMs);

const fromCheckpoint = redeliveryAfter;

async function deadLetters(prefix: string) {
  const keys = await listKeys(s3Client(), BUCKET, `${prefix}/`);
  return (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key))))
    .flat()
    .map((line) => JSON.parse(line) as Record<string, string | number>);
}

const bulkRequests = () => fake.requests.filter((request) => request.path === '/_bulk');

describe('kinesis-to-opensearch', () => {
  it('indexes every good record exactly once by id, with its original bytes; a re-delivered batch overwrites itself', async () => {
    configure();
    const { event, texts, ids } = kplBatch(30, 10);
    const { response } = await invoke(event);
    expect(response).toEqual({ batchItemFailures: [] });

    const stored = fake.documents.get(INDEX)!;
    expect([...stored.keys()].sort()).toEqual([...ids].sort());
    ids.forEach((id, i) => expect(stored.get(id)!.source).toBe(texts[i]));
    // 300 small documents: one bulk request, the lower bound.
    expect(bulkRequests()).toHaveLength(1);
    expect(bulkRequests()[0]).toMatchObject({ actions: 300, status: 200 });

    // Lambda retries a batch unchanged after a timeout: same ids, so the documents are overwritten, not added.
    expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
    expect(fake.documents.get(INDEX)!.size).toBe(300);
    expect(new Set(ids.map((id) => fake.writes.get(`${INDEX}/${id}`)))).toEqual(new Set([2]));
  });

  it('caps bulk requests by bytes (ceil(bytes/cap) requests) and by count, with at most N in flight', async () => {
    configure({ OPENSEARCH_MAX_BULK_BYTES: String(64 * 1024), OPENSEARCH_MAX_REQUESTS_IN_FLIGHT: '2' });
    fake.setDelay(40);
    const { event, ids } = kplBatch(40, 25, (n) => JSON.stringify({ n, pad: 'x'.repeat(200 + (n % 50)) }));
    expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
    const requests = bulkRequests();
    const bytes = requests.reduce((sum, request) => sum + request.bytes, 0);
    expect(requests.every((request) => request.bytes <= 64 * 1024)).toBe(true);
    expect(requests).toHaveLength(Math.ceil(bytes / (64 * 1024)));
    expect(fake.maxInFlight).toBe(2);
    expect(fake.documents.get(INDEX)!.size).toBe(ids.length);

    fake.reset();
    configure({ OPENSEARCH_MAX_BULK_ACTIONS: '100' });
    expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
    expect(bulkRequests().map((request) => request.actions)).toEqual(Array(10).fill(100));
  });

  it('retries items OpenSearch answers 429 or 500 for, with backoff, until they are indexed', async () => {
    configure();
    const { event, ids } = kplBatch(5, 10);
    const throttled = new Set(ids.filter((_, i) => i % 7 === 0));
    const failing = new Set(ids.filter((_, i) => i % 7 === 3));
    fake.failItems({ match: (item) => throttled.has(item.id), status: 429, times: throttled.size * 2 });
    fake.failItems({ match: (item) => failing.has(item.id), status: 500, times: failing.size });
    const { response } = await invoke(event);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(fake.documents.get(INDEX)!.size).toBe(50);
    // First request, the retry of the 429s and 500s, then of the 429s again; each retry carries only those items.
    expect(bulkRequests().map((request) => request.actions)).toEqual([
      50,
      throttled.size + failing.size,
      throttled.size,
    ]);
  });

  it('dead-letters a document OpenSearch refuses (mapping conflict) with its reason but no payload, and indexes the rest', async () => {
    const prefix = configure();
    fake.map(INDEX, 'latencyMs', 'long');
    const records = [
      JSON.stringify({ latencyMs: 12, message: 'ok' }),
      JSON.stringify({ latencyMs: 'secret-card-4111', message: 'bad' }),
      JSON.stringify({ latencyMs: 40, message: 'ok too' }),
    ];
    const event = plainEvent(records, { shardId: SHARD });
    const { response } = await invoke(event);
    expect(response).toEqual({ batchItemFailures: [] });
    expect([...fake.documents.get(INDEX)!.values()].map((doc) => doc.source)).toEqual([
      records[0],
      records[2],
    ]);

    const dead = await deadLetters(prefix);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      errorName: 'mapper_parsing_exception',
      sequenceNumber: event.Records[1]!.kinesis.sequenceNumber,
      subSequenceNumber: 0,
      shardId: SHARD,
    });
    expect(dead[0]!.reason).toContain('failed to parse field [latencyMs] of type [long]');
    expect(dead[0]!.reason).not.toContain('secret');
    expect(Buffer.from(String(dead[0]!.dataBase64), 'base64').toString()).toBe(records[1]);
  });

  it('dead-letters bad input before it reaches OpenSearch: not JSON, not a JSON object, a missing id field', async () => {
    const prefix = configure({ OPENSEARCH_ID_FIELD: 'requestId' });
    const event = plainEvent(
      ['{"requestId":"a","v":1}', 'not json {', '[1,2]', '{"v":2}', '{"requestId":"b","v":3}'],
      { shardId: SHARD },
    );
    expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
    expect([...fake.documents.get(INDEX)!.keys()]).toEqual(['a', 'b']);
    const dead = await deadLetters(prefix);
    expect(dead.map((entry) => [entry.errorName, entry.reason])).toEqual([
      ['RecordDecodeError', 'data is not valid JSON'],
      ['RecordShapeError', 'an OpenSearch document must be a JSON object (the record is an array)'],
      ['RecordShapeError', 'the id field requestId is missing'],
    ]);
  });

  it('names the index from the record time field, or from the arrival time when the record has none', async () => {
    configure({ OPENSEARCH_TIME_FIELD: 'event.at', OPENSEARCH_INDEX_TEMPLATE: 'app-%Y.%m.%d-%H' });
    const event = plainEvent(
      ['{"event":{"at":"2026-03-04T05:06:07Z"}}', '{"event":{"at":1767225600000}}', '{"event":{}}'],
      { shardId: SHARD },
    );
    expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
    expect([...fake.documents.keys()].sort()).toEqual([
      'app-2025.11.22-08', // arrival time of the third record (1_763_800_002 s)
      'app-2026.01.01-00',
      'app-2026.03.04-05',
    ]);
  });

  it('splits a request OpenSearch answers 413 until each part fits, and rejects a lone document that is too large', async () => {
    const prefix = configure();
    fake.failRequests({ status: 413, match: (request) => request.bytes > 4_000 });
    const { event, ids } = kplBatch(4, 20);
    const huge = plainEvent([JSON.stringify({ blob: 'y'.repeat(5_000) })], {
      shardId: 'shardId-000000000009',
    });
    expect((await invoke({ Records: [...event.Records, ...huge.Records] })).response).toEqual({
      batchItemFailures: [],
    });
    expect(fake.documents.get(INDEX)!.size).toBe(ids.length);
    expect(bulkRequests().filter((request) => request.status === 413).length).toBeGreaterThan(1);
    expect(
      bulkRequests()
        .filter((request) => request.status === 200)
        .every((r) => r.bytes <= 4_000),
    ).toBe(true);
    const dead = await deadLetters(prefix);
    expect(dead.map((entry) => [entry.shardId, entry.errorName])).toEqual([
      ['shardId-000000000009', 'RequestEntityTooLarge'],
    ]);
  });

  it('bisects a request OpenSearch refuses as a whole (400) down to the document it cannot take', async () => {
    const prefix = configure();
    const culprit = JSON.stringify({ n: 'culprit', note: 'secret-payload' });
    fake.failRequests({
      status: 400,
      body: JSON.stringify({
        error: {
          root_cause: [{ type: 'x_content_parse_exception', reason: 'x' }],
          type: 'x_content_parse_exception',
          reason: "[1:8] Unexpected character. Preview of field's value: 'secret-payload'",
        },
        status: 400,
      }),
      match: (request) => request.body.includes('culprit'),
    });
    const { event, ids } = kplBatch(4, 10);
    const bad = plainEvent([culprit], { shardId: 'shardId-000000000008' });
    expect((await invoke({ Records: [...event.Records, ...bad.Records] })).response).toEqual({
      batchItemFailures: [],
    });
    expect(fake.documents.get(INDEX)!.size).toBe(ids.length);
    const dead = await deadLetters(prefix);
    expect(dead.map((entry) => [entry.shardId, entry.errorName, entry.reason])).toEqual([
      ['shardId-000000000008', 'x_content_parse_exception', '[1:8] Unexpected character'],
    ]);
    // 41 documents: one request, then halves down to the culprit (about 2 log2(41) more), not one per document.
    expect(bulkRequests().length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(41)));
  });

  it('hands everything back, without a request storm or dead letters, when OpenSearch refuses every request (400)', async () => {
    const prefix = configure();
    fake.failRequests({ status: 400 });
    const { event } = kplBatch(30, 10);
    const { response } = await invoke(event);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    });
    expect(bulkRequests().length).toBeLessThanOrEqual(1 + 64);
    expect(await deadLetters(prefix)).toEqual([]);
    expect(fake.documents.size).toBe(0);
  });

  it('hands the batch back when OpenSearch keeps answering 503, before the deadline; re-delivery loses nothing', async () => {
    configure({ DEADLINE_MARGIN_MS: '800' });
    fake.failRequests({ status: 503 });
    const { event, ids } = kplBatch(6, 10);
    const { response, elapsedMs } = await invoke(event, 3_000);
    expect(elapsedMs).toBeLessThan(3_000 - 400);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    });
    expect(bulkRequests().length).toBeGreaterThan(1); // retried with backoff before giving up

    fake.clearFaults();
    expect((await invoke(fromCheckpoint(event, response))).response).toEqual({ batchItemFailures: [] });
    expect([...fake.documents.get(INDEX)!.keys()].sort()).toEqual([...ids].sort());
  });

  it('answers before its deadline when a bulk request never answers, handing back only the unfinished records', async () => {
    configure({
      DEADLINE_MARGIN_MS: '800',
      OPENSEARCH_MAX_BULK_ACTIONS: '50',
      OPENSEARCH_MAX_REQUESTS_IN_FLIGHT: '1',
    });
    let seen = 0;
    // The second bulk request (records 50..99: parents 5..9) is read and never answered.
    fake.failRequests({
      hang: true,
      times: 1,
      match: (request) => request.path === '/_bulk' && ++seen === 2,
    });
    const { event, ids } = kplBatch(10, 10);
    const { response, elapsedMs } = await invoke(event, 3_000);
    expect(elapsedMs).toBeGreaterThanOrEqual(3_000 - 800 - 50);
    expect(elapsedMs).toBeLessThan(3_000 - 400);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[5]!.kinesis.sequenceNumber }],
    });
    expect(fake.requests.filter((request) => request.hung)).toHaveLength(1);
    expect(fake.documents.get(INDEX)!.size).toBe(50);

    fake.clearFaults();
    expect((await invoke(fromCheckpoint(event, response))).response).toEqual({ batchItemFailures: [] });
    expect([...fake.documents.get(INDEX)!.keys()].sort()).toEqual([...ids].sort());
    expect(Math.max(...ids.map((id) => fake.writes.get(`${INDEX}/${id}`)!))).toBe(1);
  });
});

describe('SigV4', () => {
  it('the fake refuses requests without a SigV4 signature, or signed for another service', async () => {
    const body = '{"index":{"_index":"x","_id":"1"}}\n{"a":1}\n';
    const unsigned = await fetch(`${fake.endpoint}/_bulk`, { method: 'POST', body });
    expect(unsigned.status).toBe(403);
    const forged = await fetch(`${fake.endpoint}/_bulk`, {
      method: 'POST',
      body,
      headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
    });
    expect(forged.status).toBe(403);
    expect(fake.documents.size).toBe(0);

    // The function signed for `aoss` against a domain (`es`): refused, every record handed back.
    configure({ OPENSEARCH_SERVICE: 'aoss' });
    const event = plainEvent(['{"a":1}'], { shardId: SHARD });
    expect((await invoke(event)).response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    });
    expect(fake.requests.map((request) => request.refused)).toEqual(['unsigned', 'unsigned', 'unsigned']);
  });

  it('the real signer signs: requests to a serverless collection (aoss) are accepted', async () => {
    const collection = await startOpenSearchFake({ service: 'aoss', region: 'us-east-1' });
    try {
      configure({ OPENSEARCH_ENDPOINT: collection.endpoint, OPENSEARCH_SERVICE: 'aoss' });
      const event = plainEvent(['{"a":1}', '{"a":2}'], { shardId: SHARD });
      expect((await invoke(event)).response).toEqual({ batchItemFailures: [] });
      expect(collection.requests.map((request) => request.refused)).toEqual([undefined]);
      expect(collection.documents.get(INDEX)!.size).toBe(2);
    } finally {
      await collection.close();
    }
  });
});
