/**
 * The OpenSearch sink at its edges: index template limits, reasons stripped of previews in every spelling, the
 * backoff's growth and its defaults, answers whose status and body disagree, the bisect budget spent by singles or
 * by 413 splits, a 4xx answer without a body, and the SigV4 client built from the options.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@opensearch-project/opensearch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_TIMEOUT_MS } from '../../../shared/aws/clients';
import type { SinkItem, SinkWriteContext } from '../../../shared/kinesis/types';
import { logger } from '../../../shared/middleware/observability';
import {
  type BulkDocument,
  compileIndexTemplate,
  createOpenSearchClient,
  createOpenSearchSink,
  MAX_BISECT_REQUESTS,
  type OpenSearchSinkOptions,
  safeReason,
} from '../../../shared/sinks/opensearch';

type Reply =
  { statusCode?: number; body?: unknown } | { throws: { meta?: { statusCode?: number; body?: unknown } } };

/** A transport answering each bulk request with `answer(ids, call number)`. */
function scriptedClient(answer: (ids: string[], n: number) => Reply) {
  let calls = 0;
  const request = (params: { bulkBody: string }) => {
    const ids = params.bulkBody
      .split('\n')
      .filter((line) => line.startsWith('{"index"'))
      .map((line) => (JSON.parse(line) as { index: { _id: string } }).index._id);
    calls += 1;
    const reply = answer(ids, calls);
    const promise = new Promise((resolve, reject) => {
      setTimeout(() => {
        if ('throws' in reply) reject(Object.assign(new Error('refused'), reply.throws));
        else resolve(reply);
      }, 1);
    });
    return Object.assign(promise, { abort: () => undefined });
  };
  return { client: { transport: { request } } as unknown as Client, calls: () => calls };
}
const items = (ids: string[]) => ({
  statusCode: 200,
  body: { errors: false, items: ids.map(() => ({ index: { status: 201 } })) },
});
const docs = (n: number): SinkItem<BulkDocument>[] =>
  Array.from({ length: n }, (_, i) => ({
    coordinates: {
      stream: 's',
      shardId: 'shardId-000000000000',
      sequenceNumber: String(100 + i),
      subSequenceNumber: 0,
      partitionKey: 'k',
      approximateArrivalTimestamp: 0,
    },
    value: { index: 'logs', id: `d${i}`, source: `{"n":${i}}` },
  }));
const budget: SinkWriteContext = { remainingTimeMs: () => 60_000 };
const sinkWith = (client: Client, over: Partial<OpenSearchSinkOptions> = {}) =>
  createOpenSearchSink({
    endpoint: 'http://localhost:9',
    region: 'us-east-1',
    service: 'es',
    client,
    ...over,
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('compileIndexTemplate limits', () => {
  it('refuses a lone % after %%, and takes two-character literals as text', () => {
    expect(() => compileIndexTemplate('logs-%%%')).toThrow('a lone % at the end (write %% for a literal %)');
    const at = Date.UTC(2026, 11, 1, 7);
    expect(compileIndexTemplate('ab%Y')(at)).toBe('ab2026');
    expect(compileIndexTemplate('xm%m')(at)).toBe('xm12');
  });

  it('allows 255 bytes, counted in UTF-8, and refuses . and ..', () => {
    expect(compileIndexTemplate('a'.repeat(255))(0)).toHaveLength(255);
    expect(() => compileIndexTemplate('a'.repeat(256))).toThrow('is not a valid index name');
    expect(() => compileIndexTemplate('é'.repeat(128))).toThrow('is not a valid index name');
    expect(compileIndexTemplate('é'.repeat(127))(0)).toHaveLength(127);
    expect(() => compileIndexTemplate('.')).toThrow('"." is not a valid index name');
    expect(() => compileIndexTemplate('..')).toThrow('".." is not a valid index name');
    expect(compileIndexTemplate('...')(0)).toBe('...');
  });
});

describe('safeReason spellings', () => {
  it.each([
    ["bad value Preview of field's value: 'x'", 'bad value'],
    ["bad value.Preview of field's value: 'x'", 'bad value'],
    ["bad value.  Preview of field's value: 'x'", 'bad value'],
    ['bad input;Source: (String)"secret"', 'bad input;'],
    ['bad input  Source: (String)"secret"', 'bad input'],
    ['bad input at [Source: x]', 'bad input'],
    ["for value 'ab' in x", 'for value […] in x'],
    ["for value '' in x", 'for value […] in x'],
    ['for value [ab] in x', 'for value […] in x'],
    ['for value [] in x', 'for value […] in x'],
    ['unparseable value "a b" here', 'unparseable value […] here'],
  ])('%s -> %s', (reason, expected) => {
    expect(safeReason(reason)).toBe(expected);
  });

  it('keeps a reason of exactly 300 characters whole', () => {
    expect(safeReason('x'.repeat(300))).toBe('x'.repeat(300));
    expect(safeReason('x'.repeat(301))).toBe(`${'x'.repeat(299)}…`);
  });
});

describe('backoff', () => {
  /** setTimeout's delays, without the scripted transport's own 1 ms answers. */
  const backoffs = (timers: { mock: { calls: unknown[][] } }): number[] =>
    timers.mock.calls.map((call) => call[1] as number).filter((ms) => ms !== 1);

  it('doubles from baseBackoffMs per attempt, up to maxBackoffMs, with full jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const { client } = scriptedClient((ids, n) =>
      n <= 3 ? { throws: { meta: { statusCode: 503 } } } : items(ids),
    );
    const result = await sinkWith(client, { baseBackoffMs: 8, maxBackoffMs: 12 }).write(docs(1), budget);
    expect(result.failed).toEqual([]);
    // 0.5 x min(12, 8 x 2^(attempt-1)): 4, 6, 6.
    expect(backoffs(timers)).toEqual([4, 6, 6]);
  });

  it('defaults to 100 ms doubling up to 5 s', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.02);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const { client } = scriptedClient((ids, n) =>
      n <= 7 ? { throws: { meta: { statusCode: 503 } } } : items(ids),
    );
    await sinkWith(client, { maxAttempts: 8 }).write(docs(1), budget);
    expect(backoffs(timers).map((ms) => Math.round(ms * 100) / 100)).toEqual([2, 4, 8, 16, 32, 64, 100]);
  });
});

describe('answers whose status and body disagree', () => {
  it('reads items only from a 2xx answer', async () => {
    const warn = vi.spyOn(logger, 'warn');
    for (const statusCode of [503, 300]) {
      const { client, calls } = scriptedClient((ids, n) =>
        n === 1 ? { throws: { meta: { statusCode, body: items(ids).body } } } : items(ids),
      );
      const result = await sinkWith(client, { maxAttempts: 1 }).write(docs(2), budget);
      expect(result.failed, String(statusCode)).toEqual([0, 1]);
      expect(calls()).toBe(1);
    }
    expect(warn).toHaveBeenCalledTimes(1); // the 503, given up after one attempt
    const resolved300 = scriptedClient((ids) => ({ statusCode: 300, body: items(ids).body }));
    expect((await sinkWith(resolved300.client).write(docs(1), budget)).failed).toEqual([0]);
  });

  it('hands back the documents of a 2xx answer without a body', async () => {
    const { client } = scriptedClient(() => ({ statusCode: 200, body: undefined }));
    expect(await sinkWith(client).write(docs(2), budget)).toEqual({ failed: [0, 1], rejected: [] });
  });

  it('logs nothing when every item was indexed on the last attempt', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { client } = scriptedClient((ids) => items(ids));
    await sinkWith(client, { maxAttempts: 1 }).write(docs(3), budget);
    expect(warn).not.toHaveBeenCalled();
  });

  it('names no error type for a refusal without a body', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client } = scriptedClient(() => ({ throws: { meta: { statusCode: 403 } } }));
    expect((await sinkWith(client).write(docs(1), budget)).failed).toEqual([0]);
    expect(errorLog).toHaveBeenCalledWith(
      'OpenSearch refused the bulk request; its documents are handed back to Lambda',
      { status: 403, errorType: undefined, documents: 1 },
    );
    const stringError = scriptedClient(() => ({
      throws: { meta: { statusCode: 403, body: { error: 'denied' } } },
    }));
    await sinkWith(stringError.client).write(docs(1), budget);
    expect(errorLog).toHaveBeenLastCalledWith(expect.any(String), {
      status: 403,
      errorType: undefined,
      documents: 1,
    });
  });
});

describe('the bisect budget', () => {
  it('is spent only on splitting requests answered 400, not on single documents', async () => {
    const { client, calls } = scriptedClient(() => ({ throws: { meta: { statusCode: 400 } } }));
    const result = await sinkWith(client, { maxBulkActions: 1 }).write(
      docs(MAX_BISECT_REQUESTS + 10),
      budget,
    );
    expect(calls()).toBe(MAX_BISECT_REQUESTS + 10);
    expect(result.failed).toEqual([]);
    expect(result.rejected).toHaveLength(MAX_BISECT_REQUESTS + 10);
  });

  it('is not spent on 413 splits', async () => {
    const { client, calls } = scriptedClient((ids) =>
      ids.length > 1 ? { throws: { meta: { statusCode: 413 } } } : items(ids),
    );
    const result = await sinkWith(client).write(docs(100), budget);
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(calls()).toBe(199);
  });

  it('logs no error type when the refusals have no body', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client } = scriptedClient(() => ({ throws: { meta: { statusCode: 400 } } }));
    await sinkWith(client).write(docs(200), budget);
    expect(errorLog).toHaveBeenCalledWith(
      'OpenSearch keeps refusing bulk requests (HTTP 400); their documents are handed back to Lambda',
      { errorType: undefined, documents: expect.any(Number) },
    );
  });
});

describe('createOpenSearchClient', () => {
  it('signs with the credentials given, for the region and service, with no retries of its own', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: false, items: [{ index: { status: 201 } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const options = {
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'eu-west-1',
        service: 'aoss' as const,
        getCredentials: async () => ({ accessKeyId: 'AKIDUNITTEST', secretAccessKey: 'secret' }),
      };
      const client = createOpenSearchClient(options);
      const result = await createOpenSearchSink({ ...options, client }).write(docs(1), budget);
      expect(result).toEqual({ failed: [], rejected: [] });
      expect(seen[0]!.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDUNITTEST\/\d{8}\/eu-west-1\/aoss\//,
      );
      const transport = client.transport as unknown as { maxRetries: number; requestTimeout: number };
      expect(transport.maxRetries).toBe(0);
      expect(transport.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
      // Built from the options when none is given.
      const built = await createOpenSearchSink(options).write(docs(1), budget);
      expect(built).toEqual({ failed: [], rejected: [] });
      expect(seen[1]!.authorization).toContain('Credential=AKIDUNITTEST/');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
