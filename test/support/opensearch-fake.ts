/**
 * A wire-level OpenSearch fake (no OpenSearch server can run on these machines): an HTTP server that speaks the
 * `_bulk` API the way OpenSearch does, so the real `@opensearch-project/opensearch` client with its SigV4 signer
 * talks to it unchanged.
 *
 * What it honours (shapes from the OpenSearch bulk API documentation and real responses):
 * - `POST|PUT /_bulk` and `/<index>/_bulk`: an NDJSON body of action lines (`index`, `create`, `delete`, `update`)
 *   each followed by a source line (none for `delete`); the body must end with a newline. A malformed body is a
 *   request-level 400 `{"error":{"root_cause":[{type,reason}],"type":"illegal_argument_exception","reason"},
 *   "status":400}`, as OpenSearch answers it.
 * - The answer is HTTP 200 even when items fail: `{"took","errors","items":[{"<action>":{"_index","_id",
 *   "_version","result","_shards","_seq_no","_primary_term","status"}}]}`, a failed item carrying
 *   `"error":{"type","reason"}` and its own `status` (400 mapper_parsing_exception, 409
 *   version_conflict_engine_exception, 429 rejected_execution_exception, ...).
 * - A tiny dynamic mapping per index (first type seen per top-level field: long, float, text, boolean, object), so
 *   a document that contradicts it fails with OpenSearch's mapper_parsing_exception, including the
 *   "Preview of field's value" that quotes the payload (the sink must strip it).
 * - `PUT|POST /<index>/_doc/<id>`: one document (the naive one-request-per-record reference uses it).
 * - SigV4: every request must carry a valid-looking `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/
 *   <region>/<service>/aws4_request, SignedHeaders=..., Signature=<64 hex>` for the expected service (`es` or
 *   `aoss`), an `x-amz-date` of the same day, `host` and `x-amz-date` among the signed headers, and (when sent)
 *   an `x-amz-content-sha256` equal to the body's SHA-256. Otherwise 403, as AWS answers unsigned requests. The
 *   signature itself is not recomputed (the fake does not know the secret).
 * - `http.max_content_length`: a body over `maxBodyBytes` is answered 413 with AWS's
 *   `{"Message":"Request size exceeded <n> bytes"}`.
 *
 * Fault injection: per-item statuses ({@link OpenSearchFake.failItems}: 429, 400, 500 ... for items matching a
 * predicate, a number of times) and request-level ones ({@link OpenSearchFake.failRequests}: 413, 503 ..., or a
 * request that is never answered). Documents are stored by index and `_id`, so tests can assert that every good
 * record is there exactly once by id; `writes` counts how often each id was written.
 *
 * @example
 * ```ts
 * const fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
 * process.env.OPENSEARCH_ENDPOINT = fake.endpoint;
 * fake.failItems({ match: (item) => item.id.endsWith('-3'), status: 429, times: 1 });
 * ```
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type BulkAction = 'index' | 'create' | 'delete' | 'update';

export interface StoredDocument {
  /** The source line exactly as received. */
  source: string;
  version: number;
}

/** One bulk item as the fake parsed it, for fault predicates. */
export interface BulkItem {
  action: BulkAction;
  index: string;
  id: string;
  /** The source line (empty for delete). */
  source: string;
}

export interface ItemFault {
  match: (item: BulkItem) => boolean;
  status: number;
  type?: string;
  reason?: string;
  /** How many matching items get the fault (unlimited when omitted). */
  times?: number;
}

/** What a request fault's predicate sees: the request as recorded, and its body. */
export type RequestForMatch = RecordedRequest & { body: string };

export type RequestFault =
  | { status: number; body?: string; times?: number; match?: (request: RequestForMatch) => boolean }
  | { hang: true; times?: number; match?: (request: RequestForMatch) => boolean };

export interface RecordedRequest {
  method: string;
  path: string;
  bytes: number;
  /** Bulk actions in the body (0 for other requests). */
  actions: number;
  status: number;
  /** Why a request was refused before reaching the document store. */
  refused?: 'unsigned' | 'fault' | 'too large' | 'malformed';
  hung?: boolean;
}

export interface OpenSearchFakeOptions {
  /** SigV4 service name requests must be signed for. */
  service?: 'es' | 'aoss';
  /** Region requests must be signed for (any when omitted). */
  region?: string;
  /** http.max_content_length: larger bodies are answered 413 (AWS: 10 MiB on small instances, 100 MiB otherwise). */
  maxBodyBytes?: number;
}

export interface OpenSearchFake {
  endpoint: string;
  /** index -> _id -> document. */
  readonly documents: Map<string, Map<string, StoredDocument>>;
  /** How many times each `<index>/<id>` was written (a re-delivered record overwrites: count 2, one document). */
  readonly writes: Map<string, number>;
  readonly requests: RecordedRequest[];
  failItems(fault: ItemFault): void;
  failRequests(fault: RequestFault): void;
  /** Declares a field's type in an index, as an index template would (`long`, `float`, `text`, `boolean`, `object`). */
  map(index: string, field: string, type: FieldType): void;
  /** Every stored document across indexes, `<index>/<id>` -> source. */
  all(): Map<string, string>;
  /** Answers every request this much later (to observe requests in flight). */
  setDelay(ms: number): void;
  /** The most requests that were being handled at once (since the last clearFaults/reset). */
  readonly maxInFlight: number;
  /** Drops faults and recorded requests (documents and mappings stay). */
  clearFaults(): void;
  /** Drops everything. */
  reset(): void;
  close(): Promise<void>;
}

export type FieldType = 'long' | 'float' | 'text' | 'boolean' | 'object';

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Why a request's signature is not acceptable, or undefined when it looks valid. */
export function sigV4Problem(
  headers: IncomingMessage['headers'],
  body: Buffer,
  expected: { service: string; region?: string },
): string | undefined {
  const authorization = headers.authorization;
  if (!authorization) return 'Missing Authentication Token';
  const match = SIGV4.exec(authorization);
  if (!match) return 'Authorization header is not a SigV4 signature';
  const [, , day, region, service, signedHeaders] = match;
  if (service !== expected.service)
    return `Credential should be scoped to correct service: '${expected.service}'`;
  if (expected.region && region !== expected.region) {
    return `Credential should be scoped to a valid region, not '${region}'`;
  }
  const date = headers['x-amz-date'];
  if (typeof date !== 'string' || !/^\d{8}T\d{6}Z$/.test(date)) return 'Missing or malformed X-Amz-Date';
  if (date.slice(0, 8) !== day) return 'Date in Credential scope does not match X-Amz-Date';
  const signed = signedHeaders!.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    return 'SignedHeaders must include host and x-amz-date';
  }
  const declared = headers['x-amz-content-sha256'];
  if (typeof declared === 'string' && declared !== 'UNSIGNED-PAYLOAD') {
    const actual = createHash('sha256').update(body).digest('hex');
    if (declared !== actual) return 'The request signature we calculated does not match (payload hash)';
  }
  return undefined;
}

const requestError = (status: number, type: string, reason: string) =>
  JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status });

class MalformedBulk extends Error {}

interface ParsedAction {
  action: BulkAction;
  index: string | undefined;
  id: string | undefined;
  source: string;
  /** 1-based line of the action, for error messages. */
  line: number;
}

/** Splits a bulk body as OpenSearch does: action line, then a source line for all but delete. */
function parseBulk(body: string, pathIndex: string | undefined): ParsedAction[] {
  if (body.length === 0) throw new MalformedBulk('request body is required');
  if (!body.endsWith('\n')) throw new MalformedBulk('The bulk request must be terminated by a newline [\\n]');
  const lines = body.slice(0, -1).split('\n');
  const actions: ParsedAction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new MalformedBulk(`Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
    }
    const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
    const action = keys[0];
    if (keys.length !== 1 || !['index', 'create', 'delete', 'update'].includes(action!)) {
      throw new MalformedBulk(
        `Malformed action/metadata line [${i + 1}], expected field [create], [delete], [index] or [update] but found [${action ?? ''}]`,
      );
    }
    const meta = (parsed as Record<string, Record<string, unknown>>)[action!] ?? {};
    const entry: ParsedAction = {
      action: action as BulkAction,
      index: typeof meta._index === 'string' ? meta._index : pathIndex,
      id: meta._id === undefined ? undefined : String(meta._id),
      source: '',
      line: i + 1,
    };
    if (action !== 'delete') {
      i += 1;
      if (i >= lines.length)
        throw new MalformedBulk(`The bulk request must be terminated by a newline [\\n]`);
      entry.source = lines[i]!;
    }
    actions.push(entry);
  }
  if (actions.length === 0) throw new MalformedBulk('request body is required');
  return actions;
}

const typeOf = (value: unknown): FieldType | undefined => {
  if (value === null) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'float';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
};

const preview = (value: unknown) =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);

/** Applies (and extends) an index's dynamic mapping; returns OpenSearch's error for a contradicting document. */
function checkMapping(
  mapping: Map<string, FieldType>,
  document: Record<string, unknown>,
  id: string,
): { type: string; reason: string } | undefined {
  const additions: Array<[string, FieldType]> = [];
  for (const [field, value] of Object.entries(document)) {
    const incoming = typeOf(value);
    if (incoming === undefined) continue;
    const existing = mapping.get(field);
    if (existing === undefined) {
      additions.push([field, incoming]);
      continue;
    }
    const numericText = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
    const ok =
      existing === incoming ||
      (existing === 'float' && incoming === 'long') ||
      (existing === 'long' && (incoming === 'float' || numericText)) ||
      (existing === 'float' && numericText) ||
      (existing === 'text' && incoming !== 'object') ||
      (existing === 'boolean' && (value === 'true' || value === 'false'));
    if (ok) continue;
    if (existing === 'object') {
      return {
        type: 'mapper_parsing_exception',
        reason: `object mapping for [${field}] tried to parse field [${field}] as object, but found a concrete value`,
      };
    }
    return {
      type: 'mapper_parsing_exception',
      reason: `failed to parse field [${field}] of type [${existing}] in document with id '${id}'. Preview of field's value: '${preview(value)}'`,
    };
  }
  for (const [field, type] of additions) mapping.set(field, type);
  return undefined;
}

export async function startOpenSearchFake(options: OpenSearchFakeOptions = {}): Promise<OpenSearchFake> {
  const service = options.service ?? 'es';
  const documents = new Map<string, Map<string, StoredDocument>>();
  const mappings = new Map<string, Map<string, FieldType>>();
  const writes = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const itemFaults: Array<ItemFault & { used: number }> = [];
  const requestFaults: Array<RequestFault & { used: number }> = [];
  const sockets = new Set<Socket>();
  let seqNo = 0;
  let autoId = 0;
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const mappingOf = (index: string) => {
    let mapping = mappings.get(index);
    if (!mapping) mappings.set(index, (mapping = new Map()));
    return mapping;
  };

  /** Writes or deletes one document; returns the item's body (without the action key). */
  function apply(item: ParsedAction): Record<string, unknown> {
    const index = item.index!;
    const id = item.id ?? `auto-${++autoId}`;
    const base = { _index: index, _id: id };
    const fault = itemFaults.find(
      (candidate) =>
        (candidate.times === undefined || candidate.used < candidate.times) &&
        candidate.match({ action: item.action, index, id, source: item.source }),
    );
    if (fault) {
      fault.used += 1;
      const type =
        fault.type ??
        (fault.status === 429
          ? 'rejected_execution_exception'
          : fault.status >= 500
            ? 'unavailable_shards_exception'
            : 'illegal_argument_exception');
      return {
        ...base,
        status: fault.status,
        error: { type, reason: fault.reason ?? `injected ${fault.status} for [${id}]` },
      };
    }
    let docs = documents.get(index);
    const shards = { total: 2, successful: 1, failed: 0 };
    if (item.action === 'delete') {
      const existed = docs?.delete(id) ?? false;
      return {
        ...base,
        _version: 1,
        result: existed ? 'deleted' : 'not_found',
        _shards: shards,
        status: existed ? 200 : 404,
      };
    }
    if (item.action === 'update') {
      return {
        ...base,
        status: 400,
        error: { type: 'illegal_argument_exception', reason: 'the fake does not implement update' },
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(item.source);
    } catch {
      return {
        ...base,
        status: 400,
        error: {
          type: 'mapper_parsing_exception',
          reason: 'failed to parse',
          caused_by: { type: 'json_parse_exception', reason: 'Unexpected character' },
        },
      };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {
        ...base,
        status: 400,
        error: {
          type: 'mapper_parsing_exception',
          reason: 'failed to parse',
          caused_by: {
            type: 'not_x_content_exception',
            reason: 'Compressor detection can only be called on some xcontent bytes',
          },
        },
      };
    }
    const existing = docs?.get(id);
    if (item.action === 'create' && existing) {
      return {
        ...base,
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
        },
      };
    }
    const conflict = checkMapping(mappingOf(index), parsed as Record<string, unknown>, id);
    if (conflict) return { ...base, status: 400, error: conflict };
    if (!docs) documents.set(index, (docs = new Map()));
    const version = (existing?.version ?? 0) + 1;
    docs.set(id, { source: item.source, version });
    writes.set(`${index}/${id}`, (writes.get(`${index}/${id}`) ?? 0) + 1);
    return {
      ...base,
      _version: version,
      result: existing ? 'updated' : 'created',
      _shards: shards,
      _seq_no: seqNo++,
      _primary_term: 1,
      status: existing ? 200 : 201,
    };
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: `${path}${url.search}`,
      bytes: body.length,
      actions: 0,
      status: 200,
    };
    requests.push(record);
    const send = (status: number, text: string) => {
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };

    const problem = sigV4Problem(req.headers, body, { service, region: options.region });
    if (problem) {
      record.refused = 'unsigned';
      return send(403, JSON.stringify({ message: problem }));
    }
    const fault = requestFaults.find(
      (candidate) =>
        (candidate.times === undefined || candidate.used < candidate.times) &&
        (candidate.match === undefined || candidate.match({ ...record, body: body.toString('utf8') })),
    );
    if (fault) {
      fault.used += 1;
      record.refused = 'fault';
      if ('hang' in fault) {
        record.hung = true;
        return; // never answered
      }
      const text =
        fault.body ??
        (fault.status === 413
          ? JSON.stringify({ Message: `Request size exceeded ${body.length - 1} bytes` })
          : requestError(
              fault.status,
              fault.status === 429 ? 'rejected_execution_exception' : 'cluster_block_exception',
              `injected ${fault.status}`,
            ));
      return send(fault.status, text);
    }
    if (options.maxBodyBytes !== undefined && body.length > options.maxBodyBytes) {
      record.refused = 'too large';
      return send(413, JSON.stringify({ Message: `Request size exceeded ${options.maxBodyBytes} bytes` }));
    }

    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments.length === 0 && req.method === 'GET') {
      return send(
        200,
        JSON.stringify({
          name: 'opensearch-fake',
          cluster_name: 'opensearch-fake',
          version: { distribution: 'opensearch', number: '2.19.0' },
          tagline: 'The OpenSearch Project: https://opensearch.org/ (a wire-level fake)',
        }),
      );
    }
    const bulkAt = segments.indexOf('_bulk');
    if (bulkAt !== -1 && (req.method === 'POST' || req.method === 'PUT')) {
      let actions: ParsedAction[];
      try {
        actions = parseBulk(body.toString('utf8'), bulkAt === 1 ? segments[0] : undefined);
      } catch (error) {
        if (!(error instanceof MalformedBulk)) throw error;
        record.refused = 'malformed';
        return send(400, requestError(400, 'illegal_argument_exception', error.message));
      }
      record.actions = actions.length;
      const missing = actions.findIndex((action) => action.index === undefined);
      if (missing !== -1) {
        record.refused = 'malformed';
        return send(
          400,
          requestError(
            400,
            'action_request_validation_exception',
            `Validation Failed: ${missing + 1}: index is missing;`,
          ),
        );
      }
      const items = actions.map((action) => ({ [action.action]: apply(action) }));
      const errors = items.some((item) => {
        const status = Object.values(item)[0]!.status as number;
        return status >= 300 && status !== 404;
      });
      return send(200, JSON.stringify({ took: Math.round(performance.now() - started), errors, items }));
    }
    if (segments.length === 3 && segments[1] === '_doc' && (req.method === 'PUT' || req.method === 'POST')) {
      record.actions = 1;
      const result = apply({
        action: 'index',
        index: segments[0],
        id: segments[2],
        source: body.toString('utf8'),
        line: 1,
      });
      const status = result.status as number;
      if ('error' in result) {
        const error = result.error as { type: string; reason: string };
        return send(status, requestError(status, error.type, error.reason));
      }
      const { status: _status, ...rest } = result;
      return send(status, JSON.stringify(rest));
    }
    return send(
      400,
      requestError(
        400,
        'illegal_argument_exception',
        `no handler found for uri [${path}] and method [${req.method}]`,
      ),
    );
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let counted = true;
      const settle = () => {
        if (counted) inFlight -= 1;
        counted = false;
      };
      res.on('finish', settle);
      res.on('close', settle);
      const body = Buffer.concat(chunks);
      if (delayMs > 0) setTimeout(() => handle(req, res, body), delayMs);
      else handle(req, res, body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    documents,
    writes,
    requests,
    failItems: (fault) => itemFaults.push({ ...fault, used: 0 }),
    failRequests: (fault) => requestFaults.push({ ...fault, used: 0 }),
    map: (index, field, type) => mappingOf(index).set(field, type),
    all() {
      const out = new Map<string, string>();
      for (const [index, docs] of documents)
        for (const [id, doc] of docs) out.set(`${index}/${id}`, doc.source);
      return out;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    clearFaults() {
      maxInFlight = 0;
      itemFaults.length = 0;
      requestFaults.length = 0;
      requests.length = 0;
    },
    reset() {
      maxInFlight = 0;
      delayMs = 0;
      itemFaults.length = 0;
      requestFaults.length = 0;
      requests.length = 0;
      documents.clear();
      mappings.clear();
      writes.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
