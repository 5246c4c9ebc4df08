/**
 * The OpenSearch sink's write() against a scripted transport (the client's `transport.request`): how documents are
 * packed, which answers are retried, split, rejected or handed back, the budget and the abort signal, and the
 * metrics. test/integration/kinesis-to-opensearch drives the same sink over HTTP with SigV4 against the wire-level
 * fake; here every answer, including the ones that fake does not give on demand, is chosen per request.
 */
import type { Client } from '@opensearch-project/opensearch';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { REQUEST_TIMEOUT_MS } from '../../../shared/aws/clients';
import type { SinkItem, SinkWriteContext } from '../../../shared/kinesis/types';
import { logger, metrics } from '../../../shared/middleware/observability';
import {
  type BulkDocument,
  bulkLines,
  createOpenSearchSink,
  MAX_BISECT_REQUESTS,
  type OpenSearchSinkOptions,
} from '../../../shared/sinks/opensearch';

/** What the scripted transport answers: a response, a thrown transport error, or no answer until aborted. */
type Reply =
  | { statusCode?: number; body?: unknown }
  | { throws: { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } } }
  | 'hang';

interface Call {
  params: { method: string; path: string; bulkBody: string };
  options: { requestTimeout: number; maxRetries: number };
  /** The document ids in the body, in order. */
  ids: string[];
  aborted: boolean;
}

/** A transport that answers each bulk request with `answer(ids, call number)`, recording every call. */
function scriptedClient(answer: (ids: string[], n: number) => Reply) {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const request = (params: Call['params'], options: Call['options']) => {
    const ids = params.bulkBody
      .split('\n')
      .filter((line) => line.startsWith('{"index"'))
      .map((line) => (JSON.parse(line) as { index: { _id: string } }).index._id);
    const call: Call = { params, options, ids, aborted: false };
    calls.push(call);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const reply = answer(ids, calls.length);
    let abort = () => undefined as void;
    const promise = new Promise((resolve, reject) => {
      abort = () => {
        call.aborted = true;
        const error = new Error('Request aborted');
        error.name = 'RequestAbortedError';
        reject(error);
      };
      setTimeout(() => {
        if (reply === 'hang') return;
        if ('throws' in reply)
          reject(Object.assign(new Error(reply.throws.message ?? 'failed'), reply.throws));
        else resolve(reply);
      }, 1);
    }).finally(() => {
      inFlight -= 1;
    });
    return Object.assign(promise, { abort: () => abort() });
  };
  return { client: { transport: { request } } as unknown as Client, calls, maxInFlight: () => maxInFlight };
}

/** A bulk response with one item per id, its status chosen by `status(id)`. */
const bulkAnswer = (ids: string[], status: (id: string) => number, error?: (id: string) => object) => ({
  statusCode: 200,
  body: {
    errors: ids.some((id) => status(id) >= 300),
    items: ids.map((id) => ({
      index: {
        _id: id,
        status: status(id),
        ...(status(id) >= 300 && error ? { error: error(id) } : {}),
      },
    })),
  },
});
const allOk = (ids: string[]) => bulkAnswer(ids, () => 201);

const docs = (n: number, source = (i: number) => `{"n":${i}}`): SinkItem<BulkDocument>[] =>
  Array.from({ length: n }, (_, i) => ({
    coordinates: {
      stream: 's',
      shardId: 'shardId-000000000000',
      sequenceNumber: String(100 + i),
      subSequenceNumber: 0,
      partitionKey: 'k',
      approximateArrivalTimestamp: 0,
    },
    value: { index: 'logs', id: `d${i}`, source: source(i) },
  }));
const budget = (ms = 60_000, signal?: AbortSignal): SinkWriteContext => ({
  remainingTimeMs: () => ms,
  signal,
});
const sinkWith = (client: Client, over: Partial<OpenSearchSinkOptions> = {}) =>
  createOpenSearchSink({
    endpoint: 'http://localhost:9',
    region: 'us-east-1',
    service: 'es',
    client,
    baseBackoffMs: 1,
    maxBackoffMs: 1,
    ...over,
  });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);

let addMetric: MockInstance<typeof metrics.addMetric>;
const metric = (name: string) => addMetric.mock.calls.filter(([n]) => n === name).map(([, , value]) => value);
beforeEach(() => {
  addMetric = vi.spyOn(metrics, 'addMetric');
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('packing', () => {
  it('sends the documents in order, in as few requests as the caps allow, the lines unchanged', async () => {
    const { client, calls } = scriptedClient(allOk);
    const items = docs(5);
    const result = await sinkWith(client, { maxBulkActions: 2 }).write(items, budget());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(calls.map((call) => call.ids)).toEqual([['d0', 'd1'], ['d2', 'd3'], ['d4']]);
    expect(calls[0]!.params).toEqual({
      method: 'POST',
      path: '/_bulk',
      bulkBody: bulkLines(items[0]!.value) + bulkLines(items[1]!.value),
    });
    expect(calls[0]!.options).toEqual({ requestTimeout: REQUEST_TIMEOUT_MS, maxRetries: 0 });
    expect(metric('BulkRequests')).toEqual([3]);
    expect(metric('BulkItemsRetried')).toEqual([0]);
  });

  it('packs by bytes too', async () => {
    const { client, calls } = scriptedClient(allOk);
    const line = bulkLines(docs(1)[0]!.value).length;
    await sinkWith(client, { maxBulkBytes: line * 3 }).write(docs(7), budget());
    expect(calls.map((call) => call.ids.length)).toEqual([3, 3, 1]);
  });

  it('gives a large request as long as sending it at 1 MB/s takes', async () => {
    const { client, calls } = scriptedClient(allOk);
    await sinkWith(client).write(
      docs(1, () => `"${'x'.repeat(12_000_000)}"`),
      budget(),
    );
    const bytes = Buffer.byteLength(calls[0]!.params.bulkBody);
    expect(calls[0]!.options.requestTimeout).toBe(Math.ceil(bytes / 1_000));
  });

  it('keeps at most `concurrency` requests in flight (at least one)', async () => {
    for (const [concurrency, expected] of [
      [3, 3],
      [0, 1],
    ] as const) {
      const { client, calls, maxInFlight } = scriptedClient(allOk);
      const result = await sinkWith(client, { maxBulkActions: 1, concurrency }).write(docs(8), budget());
      expect(result.failed).toEqual([]);
      expect(calls).toHaveLength(8);
      expect(maxInFlight()).toBe(expected);
    }
    const { client, maxInFlight } = scriptedClient(allOk);
    await sinkWith(client, { maxBulkActions: 1 }).write(docs(8), budget());
    expect(maxInFlight()).toBe(2);
  });
});

describe('per-item answers', () => {
  it('indexes 2xx, retries 429 and 5xx and unanswered items, rejects other statuses with the reason made safe', async () => {
    const statuses: Record<string, number> = {
      d0: 200,
      d1: 299,
      d2: 300,
      d3: 404,
      d4: 428,
      d5: 499,
      d6: 199,
    };
    const { client, calls } = scriptedClient((batch, n) =>
      n === 1
        ? {
            statusCode: 200,
            body: {
              errors: true,
              // d9 gets no item at all: unanswered, sent again.
              items: batch.slice(0, -1).map((id) => ({
                index: {
                  status: statuses[id] ?? { d7: 429, d8: 500 }[id],
                  ...(id === 'd3'
                    ? {}
                    : {
                        error: {
                          type: `t_${id}`,
                          reason: `bad value. Preview of field's value: 'secret ${id}'`,
                          ...(id === 'd5' ? { caused_by: { type: 'number_format_exception' } } : {}),
                          ...(id === 'd4' ? { caused_by: { reason: 'no type' } } : {}),
                        },
                      }),
                },
              })),
            },
          }
        : allOk(batch),
    );
    const result = await sinkWith(client).write(docs(10), budget());
    expect(result.failed).toEqual([]);
    expect(result.rejected).toEqual([
      { index: 2, errorName: 't_d2', reason: 'bad value' },
      { index: 3, errorName: 'HTTP404', reason: '' },
      { index: 4, errorName: 't_d4', reason: 'bad value' },
      { index: 5, errorName: 't_d5', reason: 'bad value (caused by number_format_exception)' },
      { index: 6, errorName: 't_d6', reason: 'bad value' },
    ]);
    expect(calls.map((call) => call.ids)).toEqual([ids(10), ['d7', 'd8', 'd9']]);
    expect(metric('BulkRequests')).toEqual([2]);
    expect(metric('BulkItemsRetried')).toEqual([3]);
  });

  it('hands back the items still refused after maxAttempts, and says so', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { client, calls } = scriptedClient((batch) => bulkAnswer(batch, (id) => (id === 'd1' ? 503 : 201)));
    const result = await sinkWith(client, { maxAttempts: 3 }).write(docs(3), budget());
    expect(result).toEqual({ failed: [1], rejected: [] });
    expect(calls.map((call) => call.ids)).toEqual([ids(3), ['d1'], ['d1']]);
    expect(warn).toHaveBeenCalledWith('OpenSearch bulk items not indexed; handed back to Lambda', {
      documents: 1,
      attempts: 3,
      why: 'OpenSearch answered 429/5xx for them',
    });
    expect(metric('BulkItemsRetried')).toEqual([2]);
  });

  it('sends the retried items of a request together again (they fit the caps they were sent under)', async () => {
    const { client, calls } = scriptedClient((batch, n) =>
      n === 1 ? bulkAnswer(batch, () => 429) : allOk(batch),
    );
    await sinkWith(client, { maxBulkActions: 4 }).write(docs(4), budget());
    expect(calls.map((call) => call.ids)).toEqual([ids(4), ids(4)]);
  });

  it('treats at least one attempt as the limit', async () => {
    const { client, calls } = scriptedClient((batch) => bulkAnswer(batch, () => 503));
    const result = await sinkWith(client, { maxAttempts: 0 }).write(docs(2), budget());
    expect(result.failed).toEqual([0, 1]);
    expect(calls).toHaveLength(1);
  });
});

describe('request-level answers', () => {
  it('splits a request answered 413 until the document too large is alone, then rejects it', async () => {
    const big = (i: number) => (i === 2 ? `"${'x'.repeat(2_000)}"` : `{"n":${i}}`);
    const { client, calls } = scriptedClient((batch) =>
      batch.includes('d2')
        ? { throws: { meta: { statusCode: 413, body: { Message: 'Request size exceeded' } } } }
        : allOk(batch),
    );
    const items = docs(5, big);
    const result = await sinkWith(client).write(items, budget());
    expect(result.failed).toEqual([]);
    const size = Buffer.byteLength(bulkLines(items[2]!.value));
    expect(result.rejected).toEqual([
      {
        index: 2,
        errorName: 'RequestEntityTooLarge',
        reason: `the document's bulk request (${size} bytes) is larger than the domain accepts (HTTP 413)`,
      },
    ]);
    // [0..4] -> [0,1,2] + [3,4]; [0,1,2] -> [0,1] + [2].
    expect(calls.map((call) => call.ids).sort()).toEqual(
      [ids(5), ['d0', 'd1', 'd2'], ['d3', 'd4'], ['d0', 'd1'], ['d2']].sort(),
    );
  });

  it('bisects a request answered 400 to the document OpenSearch cannot parse, and rejects it with the safe reason', async () => {
    const refusal = (body: unknown) => ({ throws: { meta: { statusCode: 400, body } } });
    const error = {
      error: { type: 'illegal_argument_exception', reason: "bad. Preview of field's value: 'secret'" },
      status: 400,
    };
    for (const [body, expected] of [
      [error, { errorName: 'illegal_argument_exception', reason: 'bad' }],
      [JSON.stringify(error), { errorName: 'illegal_argument_exception', reason: 'bad' }],
      ['<html>not json</html>', { errorName: 'HTTP400', reason: '' }],
      [{ error: 'plain text error' }, { errorName: 'HTTP400', reason: '' }],
      [{ error: { reason: 'no type' } }, { errorName: 'HTTP400', reason: 'no type' }],
    ] as const) {
      const { client } = scriptedClient((batch) => (batch.includes('d3') ? refusal(body) : allOk(batch)));
      const result = await sinkWith(client).write(docs(6), budget());
      expect(result, JSON.stringify(body)).toEqual({ failed: [], rejected: [{ index: 3, ...expected }] });
    }
  });

  it('stops bisecting after MAX_BISECT_REQUESTS and hands the rest back', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client, calls } = scriptedClient(() => ({
      throws: { meta: { statusCode: 400, body: { error: { type: 'parse_exception' } } } },
    }));
    const result = await sinkWith(client).write(docs(200), budget());
    expect(calls).toHaveLength(1 + MAX_BISECT_REQUESTS);
    expect(result.failed.length).toBeGreaterThan(0);
    expect(result.failed.length + result.rejected!.length).toBe(200);
    expect(result.rejected!.every((r) => r.errorName === 'parse_exception')).toBe(true);
    expect(errorLog).toHaveBeenCalledWith(
      'OpenSearch keeps refusing bulk requests (HTTP 400); their documents are handed back to Lambda',
      { errorType: 'parse_exception', documents: expect.any(Number) },
    );
  });

  it('retries a whole request answered 429 or 5xx, or not answered at all', async () => {
    for (const first of [
      { throws: { meta: { statusCode: 429 } } },
      { throws: { meta: { statusCode: 500 } } },
      { throws: { meta: { statusCode: 599, body: 'x' } } },
      { throws: { name: 'ConnectionError', message: 'ECONNRESET' } },
    ] satisfies Reply[]) {
      const { client, calls } = scriptedClient((batch, n) => (n === 1 ? first : allOk(batch)));
      const result = await sinkWith(client).write(docs(3), budget());
      expect(result, JSON.stringify(first)).toEqual({ failed: [], rejected: [] });
      expect(calls.map((call) => call.ids)).toEqual([ids(3), ids(3)]);
      expect(metric('BulkItemsRetried').at(-1)).toBe(3);
    }
  });

  it('says why a request was given up: the status, or the error and whether the budget ran out', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { client } = scriptedClient(() => ({ throws: { meta: { statusCode: 503 } } }));
    await sinkWith(client, { maxAttempts: 2 }).write(docs(1), budget());
    expect(warn).toHaveBeenLastCalledWith(expect.any(String), { documents: 1, attempts: 2, why: 'HTTP 503' });
    const down = scriptedClient(() => ({ throws: { name: 'ConnectionError', message: 'ECONNREFUSED' } }));
    await sinkWith(down.client, { maxAttempts: 1 }).write(docs(1), budget());
    expect(warn).toHaveBeenLastCalledWith(expect.any(String), {
      documents: 1,
      attempts: 1,
      why: 'ConnectionError: no answer',
    });
  });

  it('hands back the documents of a request refused for another reason, without retrying', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    for (const status of [401, 403, 404, 302]) {
      const { client, calls } = scriptedClient(() => ({
        throws: { meta: { statusCode: status, body: { error: { type: 'security_exception' } } } },
      }));
      const result = await sinkWith(client).write(docs(3), budget());
      expect(result).toEqual({ failed: [0, 1, 2], rejected: [] });
      expect(calls).toHaveLength(1);
      expect(errorLog).toHaveBeenLastCalledWith(
        'OpenSearch refused the bulk request; its documents are handed back to Lambda',
        { status, errorType: 'security_exception', documents: 3 },
      );
    }
  });

  it('reads a 2xx answer without items as not indexed', async () => {
    const { client } = scriptedClient(() => ({ statusCode: 200, body: { errors: false } }));
    const result = await sinkWith(client).write(docs(2), budget());
    expect(result.failed).toEqual([0, 1]);
    const noStatus = scriptedClient((batch) => ({ body: allOk(batch).body }));
    expect((await sinkWith(noStatus.client).write(docs(2), budget())).failed).toEqual([]);
  });
});

describe('the budget', () => {
  it('starts no request the budget cannot hold', async () => {
    const { client, calls } = scriptedClient(allOk);
    const result = await sinkWith(client, { timeBudgetMarginMs: 1_000 }).write(docs(2), budget(999));
    expect(result.failed).toEqual([0, 1]);
    expect(calls).toHaveLength(0);
    const exact = scriptedClient(allOk);
    await sinkWith(exact.client, { timeBudgetMarginMs: 1_000 }).write(docs(2), budget(1_000));
    expect(exact.calls).toHaveLength(1);
  });

  it('starts no retry whose backoff the budget cannot hold', async () => {
    const { client, calls } = scriptedClient((batch) => bulkAnswer(batch, () => 429));
    const result = await sinkWith(client, {
      timeBudgetMarginMs: 1_000,
      baseBackoffMs: 5_000,
      maxBackoffMs: 5_000,
    }).write(docs(1), budget(1_001));
    expect(result.failed).toEqual([0]);
    // A zero backoff (Math.random() = 0) would fit; anything else does not.
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it('aborts the request in flight when the invocation is aborted, and retries nothing', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const controller = new AbortController();
    const { client, calls } = scriptedClient(() => 'hang');
    const writing = sinkWith(client).write(docs(2), budget(60_000, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const result = await writing;
    expect(result).toEqual({ failed: [0, 1], rejected: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.aborted).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.any(String), {
      documents: 2,
      attempts: 1,
      why: 'RequestAbortedError: the time budget ran out',
    });
  });

  it('stops listening to the signal once a request is answered', async () => {
    const controller = new AbortController();
    const { client, calls } = scriptedClient(allOk);
    await sinkWith(client).write(docs(1), budget(60_000, controller.signal));
    controller.abort();
    expect(calls[0]!.aborted).toBe(false);
  });
});
