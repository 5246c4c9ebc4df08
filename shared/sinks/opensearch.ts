/**
 * A sink that indexes documents into OpenSearch (an Amazon OpenSearch Service domain or an OpenSearch Serverless
 * collection) with the `_bulk` API, signed with SigV4 by `@opensearch-project/opensearch`'s AwsSigv4Signer.
 *
 * - Requests are packed in order up to `maxBulkBytes` of NDJSON body (default 5 MiB, the usual guidance for
 *   bulk size) and `maxBulkActions` documents: the fewest requests the cap allows. At most `concurrency`
 *   requests are in flight.
 * - Every document has a deterministic `_id` (chosen by the caller: {@link documentId} or a business key) and
 *   goes in with the `index` action, so a document Lambda re-delivers overwrites itself instead of duplicating.
 * - The source line is the caller's text as is (bytes in = bytes out): never parsed and printed again here.
 * - OpenSearch answers HTTP 200 even when items fail, so outcomes are read per item (`errors`, `items[].status`):
 *   * 2xx: indexed;
 *   * 429 and 5xx: retried with exponential backoff (full jitter) while the invocation's budget allows, then
 *     reported failed (the runner hands their parents back to Lambda);
 *   * any other 4xx (mapper_parsing_exception, illegal_argument_exception, ...): refused for good, returned as
 *     `rejected` with OpenSearch's error type and reason, stripped of the value previews OpenSearch puts in
 *     reasons ({@link safeReason}), so the runner dead-letters them with their original bytes.
 * - Request-level answers: 413 (body over the domain's `http.max_content_length`) splits the request in two until
 *   a single document is left, which is then rejected as too large; 400 (a body OpenSearch could not parse)
 *   bisects the same way to isolate the document (within {@link MAX_BISECT_REQUESTS}; past it the documents are
 *   handed back, not dead-lettered); 429, 5xx, timeouts and connection errors retry the whole
 *   request with backoff inside the budget; 401/403 and anything else fail its documents (no retry).
 * - Deadline: every request carries the invocation's abort signal (a request in flight when the budget ends is
 *   aborted and its documents reported failed) and a per-attempt timeout; no request or backoff is started that
 *   the remaining budget cannot hold.
 *
 * Delivery is at-least-once with idempotent ids: a document reported failed may have been indexed anyway (a
 * timeout after OpenSearch applied it); its re-delivery overwrites it under the same `_id`.
 *
 * @example
 * ```ts
 * const sink = createOpenSearchSink({ endpoint: 'https://search-logs-abc.eu-west-1.es.amazonaws.com',
 *   region: 'eu-west-1', service: 'es' });
 * await sink.write([{ coordinates, value: { index: 'logs-2026.12.01', id: documentId(coordinates), source: '{"a":1}' } }], context);
 * ```
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import { REQUEST_TIMEOUT_MS } from '../aws/clients';
import { sleep } from '../aws/deadline';
import type { RecordCoordinates, Sink, SinkItem, SinkRejection, SinkWriteContext } from '../kinesis/types';
import { logger, MetricUnit, metrics } from '../middleware/observability';

/** One document on its way to OpenSearch. */
export interface BulkDocument {
  index: string;
  id: string;
  /** The document as one line of JSON text (no raw line breaks): written to the bulk body unchanged. */
  source: string;
}

export type OpenSearchService = 'es' | 'aoss';

export interface OpenSearchSinkOptions {
  /** `https://<domain-endpoint>` (or a collection endpoint); http:// is accepted for local fakes. */
  endpoint: string;
  region: string;
  /** SigV4 service: `es` for a domain, `aoss` for a serverless collection. */
  service: OpenSearchService;
  /** Bytes of NDJSON body per bulk request (default 5 MiB). A single larger document is sent alone. */
  maxBulkBytes?: number;
  /** Documents per bulk request (default 10,000). */
  maxBulkActions?: number;
  /** Bulk requests in flight at once (default 2). */
  concurrency?: number;
  /** Attempts per document for 429/5xx answers, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff (ms); doubles per attempt, full jitter, capped at `maxBackoffMs` (defaults 100 and 5,000). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Don't start a request with less than this left in the budget (ms). */
  timeBudgetMarginMs?: number;
  /** Credentials for SigV4 (default: the Node default provider chain, i.e. the Lambda role). */
  getCredentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** For tests: a ready client. */
  client?: Client;
}

export const DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024;
/**
 * Requests one write may spend bisecting bulk requests OpenSearch refused as a whole (HTTP 400) to isolate the
 * document: enough to find a few bad documents among thousands, not a storm when every request is refused.
 */
export const MAX_BISECT_REQUESTS = 64;
export const DEFAULT_MAX_BULK_ACTIONS = 10_000;
/** OpenSearch (2.9+) refuses a document `_id` longer than 512 bytes. */
export const MAX_ID_BYTES = 512;

/** `<shardId>-<sequenceNumber>-<subSequenceNumber>`: unique per user record of a stream, stable across re-deliveries. */
export function documentId(coordinates: RecordCoordinates): string {
  return `${coordinates.shardId}-${coordinates.sequenceNumber}-${coordinates.subSequenceNumber}`;
}

const INDEX_TOKENS: Record<string, (time: Date) => string> = {
  Y: (t) => String(t.getUTCFullYear()),
  m: (t) => String(t.getUTCMonth() + 1).padStart(2, '0'),
  d: (t) => String(t.getUTCDate()).padStart(2, '0'),
  H: (t) => String(t.getUTCHours()).padStart(2, '0'),
  '%': () => '%',
};

/** OpenSearch's index name rules: lower case, no `\ / * ? " < > | , # :` or spaces, not starting with `_ - +`. */
const VALID_INDEX = /^(?![_+-])[^A-Z\\/*?"<>|,# :]{1,255}$/;

/**
 * Compiles an index template such as `logs-%Y.%m.%d` (strftime-style, UTC: `%Y %m %d %H`, and `%%` for `%`).
 * Throws a TypeError for an unknown token or a template that cannot make a valid index name.
 */
export function compileIndexTemplate(template: string): (timeMs: number) => string {
  const pieces = template.split(/(%.)/).filter((piece) => piece !== '');
  for (const piece of pieces) {
    // The split takes every `%` with the character after it, so a `%` left in a piece is a lone one at the end.
    if (piece.length === 1 ? piece === '%' : !piece.startsWith('%') && piece.includes('%')) {
      throw new TypeError('a lone % at the end (write %% for a literal %)');
    }
    if (piece.length === 2 && piece.startsWith('%') && !(piece.slice(1) in INDEX_TOKENS)) {
      throw new TypeError(`unknown token ${piece}; known: %Y %m %d %H %%`);
    }
  }
  const render = (timeMs: number) => {
    const time = new Date(timeMs);
    let name = '';
    for (const piece of pieces)
      name += piece.length === 2 && piece.startsWith('%') ? INDEX_TOKENS[piece.slice(1)]!(time) : piece;
    return name;
  };
  const sample = render(Date.UTC(2026, 0, 2, 3));
  if (!VALID_INDEX.test(sample) || Buffer.byteLength(sample) > 255 || sample === '.' || sample === '..') {
    throw new TypeError(
      `"${sample}" is not a valid index name (lower case; no spaces or \\ / * ? " < > | , # :; not starting with _ - +)`,
    );
  }
  return render;
}

/**
 * OpenSearch's reason for a refused document, without the parts that quote the document: the
 * `Preview of field's value: '...'` suffix, a date parser's echo of the value, and Jackson's `Source:` excerpt.
 * Capped at 300 characters.
 */
export function safeReason(reason: unknown): string {
  let text = typeof reason === 'string' ? reason : '';
  const cut = text.search(/\.?\s*Preview of field's value|\s*at \[Source:|\s*Source: \(/);
  if (cut !== -1) text = text.slice(0, cut);
  text = text.replace(/(failed to parse date field )\[[^\]]*\]/g, '$1[…]');
  text = text.replace(
    /(unparseable value |for value |input string: )("[^"]*"|'[^']*'|\[[^\]]*\])/gi,
    '$1[…]',
  );
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

interface ItemError {
  type?: string;
  reason?: string;
  caused_by?: { type?: string; reason?: string };
}

interface BulkResponseBody {
  errors?: boolean;
  items?: Array<Record<string, { status?: number; error?: ItemError }>>;
  error?: ItemError | string;
}

/** A planned bulk request: item indexes in order, and its attempt number. */
interface PlannedRequest {
  items: number[];
  attempt: number;
}

/** Greedy in-order packing under both caps: the fewest requests for these caps (a lone oversized item gets one). */
export function planBulkRequests(
  lineBytes: readonly number[],
  maxBytes: number,
  maxActions: number,
): number[][] {
  const requests: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  lineBytes.forEach((size, index) => {
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxActions)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) requests.push(current);
  return requests;
}

/** The action and source lines of one document. */
export function bulkLines(document: BulkDocument): string {
  return `{"index":{"_index":${JSON.stringify(document.index)},"_id":${JSON.stringify(document.id)}}}\n${document.source}\n`;
}

/** Builds the SigV4-signing client for an endpoint. */
export function createOpenSearchClient(options: OpenSearchSinkOptions): Client {
  return new Client({
    ...AwsSigv4Signer({
      region: options.region,
      service: options.service,
      getCredentials: options.getCredentials ?? defaultProvider(),
    }),
    node: options.endpoint,
    // Retries are ours (per item, inside the invocation's budget), not the transport's.
    maxRetries: 0,
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
}

interface Answer {
  status: number;
  body: BulkResponseBody | undefined;
  /** Set when no HTTP answer came (timeout, connection error, abort). */
  error?: Error;
}

export function createOpenSearchSink(options: OpenSearchSinkOptions): Sink<BulkDocument> {
  const maxBytes = options.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES;
  const maxActions = options.maxBulkActions ?? DEFAULT_MAX_BULK_ACTIONS;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const baseBackoff = options.baseBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  const margin = options.timeBudgetMarginMs ?? 250;
  let client = options.client;

  async function post(body: string, signal: AbortSignal | undefined): Promise<Answer> {
    client ??= createOpenSearchClient(options);
    const bytes = Buffer.byteLength(body);
    // The transport's own bulk call: a string body goes out as is (client.bulk's types only take arrays).
    const request = client.transport.request(
      { method: 'POST', path: '/_bulk', bulkBody: body },
      // One attempt may take as long as sending the body at 1 MB/s, and never less than the default.
      { requestTimeout: Math.max(REQUEST_TIMEOUT_MS, Math.ceil(bytes / 1_000)), maxRetries: 0 },
    );
    // A block body on purpose: abort() returns the request (a thenable), and an EventTarget listener that returns a
    // thenable gets its rejection rethrown as an uncaught exception.
    const abort = () => {
      request.abort();
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const answer = await request;
      return { status: answer.statusCode ?? 200, body: answer.body as BulkResponseBody };
    } catch (error) {
      const meta = (error as { meta?: { statusCode?: number; body?: unknown } }).meta;
      if (meta?.statusCode) {
        const raw = meta.body;
        let parsed: BulkResponseBody | undefined;
        if (raw && typeof raw === 'object') parsed = raw as BulkResponseBody;
        else if (typeof raw === 'string') {
          try {
            parsed = JSON.parse(raw) as BulkResponseBody;
          } catch {
            parsed = undefined;
          }
        }
        return { status: meta.statusCode, body: parsed };
      }
      return { status: 0, body: undefined, error: error as Error };
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  return {
    async write(items: SinkItem<BulkDocument>[], context: SinkWriteContext) {
      const lines = items.map((item) => bulkLines(item.value));
      const sizes = lines.map((line) => Buffer.byteLength(line));
      const done = new Uint8Array(items.length); // 1 indexed, 2 rejected
      const rejected: SinkRejection[] = [];
      const reject = (index: number, errorName: string, reason: string) => {
        if (done[index]) return;
        done[index] = 2;
        rejected.push({ index, errorName, reason });
      };
      const signal = context.signal;
      const tasks: Array<Promise<void>> = [];
      let active = 0;
      let bulkRequests = 0;
      let retriedItems = 0;
      const waiting: Array<() => void> = [];
      const slot = async () => {
        if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
        active += 1;
      };
      const release = () => {
        active -= 1;
        waiting.shift()?.();
      };
      const backoff = (attempt: number) =>
        Math.random() * Math.min(maxBackoff, baseBackoff * 2 ** (attempt - 1));
      const canStart = (delayMs: number) => !signal?.aborted && context.remainingTimeMs() - delayMs >= margin;

      const submit = (request: PlannedRequest, delayMs = 0) => {
        tasks.push(
          sleep(delayMs, signal).then(async () => {
            await slot();
            try {
              await send(request);
            } finally {
              release();
            }
          }),
        );
      };
      /** Retries `indexes` after a backoff, or leaves them failed when attempts or the budget are spent. */
      const retry = (indexes: number[], attempt: number, why: string) => {
        const delay = backoff(attempt);
        if (attempt >= maxAttempts || !canStart(delay)) {
          logger.warn('OpenSearch bulk items not indexed; handed back to Lambda', {
            documents: indexes.length,
            attempts: attempt,
            why,
          });
          return;
        }
        const next = planBulkRequests(
          indexes.map((i) => sizes[i]!),
          maxBytes,
          maxActions,
        );
        for (const part of next) submit({ items: part.map((k) => indexes[k]!), attempt: attempt + 1 }, delay);
      };
      let bisectsLeft = MAX_BISECT_REQUESTS;
      const split = (request: PlannedRequest) => {
        const half = Math.ceil(request.items.length / 2);
        submit({ items: request.items.slice(0, half), attempt: request.attempt });
        submit({ items: request.items.slice(half), attempt: request.attempt });
      };

      async function send(request: PlannedRequest): Promise<void> {
        if (!canStart(0)) return; // left failed: the budget cannot hold another request
        let body = '';
        for (const index of request.items) body += lines[index]!;
        bulkRequests += 1;
        if (request.attempt > 1) retriedItems += request.items.length;
        const answer = await post(body, signal);
        const { status } = answer;
        if (status >= 200 && status < 300 && Array.isArray(answer.body?.items)) {
          const results = answer.body.items;
          const transient: number[] = [];
          request.items.forEach((index, position) => {
            const result = results[position] ? Object.values(results[position]!)[0] : undefined;
            const itemStatus = result?.status ?? 0;
            if (itemStatus >= 200 && itemStatus < 300) done[index] = 1;
            else if (itemStatus === 429 || itemStatus >= 500 || itemStatus === 0) transient.push(index);
            else {
              const error = result?.error ?? {};
              const cause = error.caused_by?.type ? ` (caused by ${error.caused_by.type})` : '';
              reject(index, error.type ?? `HTTP${itemStatus}`, `${safeReason(error.reason)}${cause}`);
            }
          });
          if (transient.length > 0) retry(transient, request.attempt, 'OpenSearch answered 429/5xx for them');
          return;
        }
        if (status === 400 && request.items.length > 1 && (bisectsLeft -= 2) < 0) {
          logger.error(
            'OpenSearch keeps refusing bulk requests (HTTP 400); their documents are handed back to Lambda',
            {
              errorType: typeof answer.body?.error === 'object' ? answer.body.error.type : undefined,
              documents: request.items.length,
            },
          );
          return;
        }
        if (status === 413 || status === 400) {
          if (request.items.length > 1) return split(request);
          const index = request.items[0]!;
          if (status === 413) {
            reject(
              index,
              'RequestEntityTooLarge',
              `the document's bulk request (${sizes[index]} bytes) is larger than the domain accepts (HTTP 413)`,
            );
          } else {
            const error = typeof answer.body?.error === 'object' ? answer.body.error : {};
            reject(index, error.type ?? 'HTTP400', safeReason(error.reason));
          }
          return;
        }
        if (status === 429 || status >= 500 || status === 0) {
          const why = answer.error
            ? `${answer.error.name}: ${signal?.aborted ? 'the time budget ran out' : 'no answer'}`
            : `HTTP ${status}`;
          return retry(request.items, request.attempt, why);
        }
        // 401/403 (signature, role), 404 and the rest: retrying cannot help in this invocation.
        const error = typeof answer.body?.error === 'object' ? answer.body.error : undefined;
        logger.error('OpenSearch refused the bulk request; its documents are handed back to Lambda', {
          status,
          errorType: error?.type,
          documents: request.items.length,
        });
      }

      for (const part of planBulkRequests(sizes, maxBytes, maxActions)) submit({ items: part, attempt: 1 });
      // Tasks added while waiting (splits, retries) are awaited too.
      for (let i = 0; i < tasks.length; i++) await tasks[i];
      metrics.addMetric('BulkRequests', MetricUnit.Count, bulkRequests);
      metrics.addMetric('BulkItemsRetried', MetricUnit.Count, retriedItems);

      const failed: number[] = [];
      done.forEach((state, index) => {
        if (state === 0) failed.push(index);
      });
      return { failed, rejected };
    },
  };
}
