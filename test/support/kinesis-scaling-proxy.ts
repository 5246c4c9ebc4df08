/**
 * kinesalite has no UpdateShardCount, no DescribeLimits and no on-demand streams. This wire-level proxy sits in
 * front of it (Kinesis JSON 1.1, `X-Amz-Target: Kinesis_20131202.<Op>`), forwards every other call unchanged
 * (tags, stream creation and description are kinesalite's, for real) and adds, with AWS's rules:
 *   UpdateShardCount  LimitExceededException above 2x or below half the open shards (half of 5 is 2.5: 2 is
 *                     refused, 3 accepted), above 10,000, above the account shard limit, or after 10 operations
 *                     in a rolling 24 h; ResourceInUseException while UPDATING; InvalidArgumentException for a
 *                     ScalingType other than UNIFORM_SCALING; ValidationException on an on-demand stream
 *   DescribeStreamSummary  kinesalite's answer with the scaled OpenShardCount, StreamStatus UPDATING for
 *                     `updatingMs` after a scaling, and StreamModeDetails
 *   DescribeLimits    ShardLimit / OpenShardCount of the streams it has seen
 *   CreateStream      StreamModeDetails ON_DEMAND remembered (kinesalite gets 4 shards, as AWS starts with)
 *   ListTagsForStream AWS's paging (kinesalite's tags, for real): keys in order after ExclusiveStartTagKey, Limit
 *                     1 to 50 (ValidationException otherwise; kinesalite stops at 10), 10 when not given,
 *                     HasMoreTags. AddTagsToStream is kinesalite's: at most 50 tags per stream.
 * The scaled count is an overlay: ListShards/DescribeStream still show kinesalite's shards.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

const DAY_MS = 86_400_000;

interface StreamOverlay {
  shards?: number;
  updatingUntil?: number;
  onDemand?: boolean;
  operations: number[];
}

/** ListTagsForStream's page when no Limit is given, and the most it returns (AWS's Limit range is 1 to 50). */
export const TAGS_PAGE_DEFAULT = 10;
export const TAGS_PAGE_MAX = 50;

export interface KinesisScalingProxy {
  endpoint: string;
  /** Every ListTagsForStream request (its Limit and ExclusiveStartTagKey as sent). */
  tagListings: Array<{ stream: string; limit?: number; exclusiveStartTagKey?: string }>;
  /** The account's shard limit (DescribeLimits' ShardLimit; UpdateShardCount refuses to go above it). */
  shardLimit: number;
  /**
   * The most tags one ListTagsForStream page holds (default 50, AWS's maximum Limit). Lower it to make a caller
   * that asks for 50 page through HasMoreTags (a stream holds at most 50 tags, so AWS never makes it).
   */
  tagPageMax: number;
  /** Every UpdateShardCount request, accepted or not. */
  updates: Array<{ stream: string; target: number; error?: string }>;
  /** Puts a stream into UPDATING for `ms` (as if someone else had started a scaling). */
  setUpdating(stream: string, ms: number): void;
  /** Records earlier scaling operations (epoch ms) against the stream's 24 h budget. */
  addOperations(stream: string, times: number[]): void;
  shardCount(stream: string): number | undefined;
  /** The next UpdateShardCount fails with this error type (e.g. a race with another scaling). */
  failNextUpdate(type: string, message?: string): void;
  /** Drops the failures queued by failNextUpdate that no call has taken yet. */
  clearInjectedFailures(): void;
  stop(): Promise<void>;
}

export interface KinesisScalingProxyOptions {
  /** kinesalite's endpoint. */
  upstream: string;
  /** How long a stream stays UPDATING after UpdateShardCount (default 0: ACTIVE at once). */
  updatingMs?: number;
  shardLimit?: number;
  now?: () => number;
}

class KinesisError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function forward(
  upstream: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        headers: { ...headers, host: upstream.host, 'content-length': String(body.length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 500,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function startKinesisScalingProxy(
  options: KinesisScalingProxyOptions,
): Promise<KinesisScalingProxy> {
  const upstream = new URL(options.upstream);
  const now = options.now ?? Date.now;
  const streams = new Map<string, StreamOverlay>();
  const updates: KinesisScalingProxy['updates'] = [];
  const tagListings: KinesisScalingProxy['tagListings'] = [];
  const injected: KinesisError[] = [];
  const overlay = (name: string) => {
    let entry = streams.get(name);
    if (!entry) {
      entry = { operations: [] };
      streams.set(name, entry);
    }
    return entry;
  };

  const proxy = { shardLimit: options.shardLimit ?? 500, tagPageMax: TAGS_PAGE_MAX };
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      const operation =
        String(incoming.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const reply = (status: number, payload: unknown) => {
        outgoing.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': 'proxy',
        });
        outgoing.end(JSON.stringify(payload));
      };
      const upstreamCall = async (target: string, payload: unknown) => {
        const result = await forward(
          upstream,
          'POST',
          '/',
          { ...incoming.headers, 'x-amz-target': `Kinesis_20131202.${target}` },
          Buffer.from(JSON.stringify(payload)),
        );
        const parsed = result.body.length > 0 ? JSON.parse(result.body.toString('utf8')) : {};
        if (result.status >= 400)
          throw new KinesisError(parsed.__type ?? 'InternalFailure', parsed.message ?? '');
        return parsed;
      };
      const summary = async (name: string) => {
        const described = await upstreamCall('DescribeStreamSummary', { StreamName: name });
        const state = streams.get(name);
        const s = described.StreamDescriptionSummary;
        if (state?.shards !== undefined) s.OpenShardCount = state.shards;
        if (state?.updatingUntil !== undefined && now() < state.updatingUntil) s.StreamStatus = 'UPDATING';
        s.StreamModeDetails = { StreamMode: state?.onDemand ? 'ON_DEMAND' : 'PROVISIONED' };
        return described;
      };
      try {
        const input = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
        const name: string =
          input.StreamName ??
          String(input.StreamARN ?? '')
            .split('/')
            .pop();
        switch (operation) {
          case 'CreateStream': {
            // Streams created through the proxy are the account's, for DescribeLimits and the shard limit.
            const state = overlay(name);
            if (input.StreamModeDetails?.StreamMode === 'ON_DEMAND') {
              state.onDemand = true;
              return reply(200, await upstreamCall('CreateStream', { StreamName: name, ShardCount: 4 }));
            }
            break;
          }
          case 'DescribeStreamSummary':
            return reply(200, await summary(name));
          case 'ListTagsForStream': {
            tagListings.push({
              stream: name,
              ...(input.Limit !== undefined ? { limit: input.Limit } : {}),
              ...(input.ExclusiveStartTagKey !== undefined
                ? { exclusiveStartTagKey: input.ExclusiveStartTagKey }
                : {}),
            });
            const limit = input.Limit ?? TAGS_PAGE_DEFAULT;
            if (!Number.isInteger(limit) || limit < 1 || limit > TAGS_PAGE_MAX) {
              throw new KinesisError(
                'ValidationException',
                `1 validation error detected: Value '${input.Limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${TAGS_PAGE_MAX}`,
              );
            }
            const all = await allTags(name);
            const after = input.ExclusiveStartTagKey as string | undefined;
            const rest = all.filter((tag) => after === undefined || tag.Key > after);
            const page = Math.min(limit, proxy.tagPageMax);
            return reply(200, { Tags: rest.slice(0, page), HasMoreTags: rest.length > page });
          }
          case 'DescribeLimits': {
            let open = 0;
            for (const stream of streams.keys()) {
              open += (await summary(stream)).StreamDescriptionSummary.OpenShardCount;
            }
            return reply(200, {
              ShardLimit: proxy.shardLimit,
              OpenShardCount: open,
              OnDemandStreamCount: 0,
              OnDemandStreamCountLimit: 50,
            });
          }
          case 'UpdateShardCount': {
            const target = Number(input.TargetShardCount);
            const record = (error?: string) =>
              updates.push({ stream: name, target, ...(error ? { error } : {}) });
            try {
              const failure = injected.shift();
              if (failure) throw failure;
              const s = (await summary(name)).StreamDescriptionSummary;
              const state = overlay(name);
              const current: number = s.OpenShardCount;
              const recent = state.operations.filter((at) => at > now() - DAY_MS).length;
              if (input.ScalingType !== 'UNIFORM_SCALING') {
                throw new KinesisError('InvalidArgumentException', 'ScalingType must be UNIFORM_SCALING');
              }
              if (!Number.isInteger(target) || target < 1) {
                throw new KinesisError('ValidationException', 'TargetShardCount must be a positive integer');
              }
              if (state.onDemand) {
                throw new KinesisError('ValidationException', `Stream ${name} is in ON_DEMAND mode`);
              }
              if (s.StreamStatus !== 'ACTIVE') {
                throw new KinesisError('ResourceInUseException', `Stream ${name} is ${s.StreamStatus}`);
              }
              if (recent >= 10) {
                throw new KinesisError(
                  'LimitExceededException',
                  'Rate exceeded: 10 scaling operations per 24 hours',
                );
              }
              if (target > 2 * current || target * 2 < current) {
                throw new KinesisError(
                  'LimitExceededException',
                  `Target ${target} must be between half (${Math.ceil(current / 2)}) and double (${2 * current}) of ${current}`,
                );
              }
              if (target > 10_000) throw new KinesisError('LimitExceededException', 'Above 10000 shards');
              if (target - current > proxy.shardLimit - (await totalOpen())) {
                throw new KinesisError('LimitExceededException', 'Account shard limit exceeded');
              }
              state.shards = target;
              state.operations.push(now());
              if (options.updatingMs) state.updatingUntil = now() + options.updatingMs;
              record();
              return reply(200, { StreamName: name, CurrentShardCount: current, TargetShardCount: target });
            } catch (error) {
              record(error instanceof KinesisError ? error.type : 'InternalFailure');
              throw error;
            }
          }
        }
        const result = await forward(
          upstream,
          incoming.method ?? 'POST',
          incoming.url ?? '/',
          incoming.headers,
          body,
        );
        outgoing.writeHead(result.status, result.headers);
        outgoing.end(result.body);
      } catch (error) {
        if (error instanceof KinesisError) {
          return reply(error.type === 'InternalFailure' ? 500 : 400, {
            __type: error.type,
            message: error.message,
          });
        }
        reply(500, { __type: 'InternalFailure', message: (error as Error).message });
      }
    });

    /** All of a stream's tags from kinesalite (pages of 10, its maximum), in key order. */
    async function allTags(stream: string): Promise<Array<{ Key: string; Value: string }>> {
      const tags: Array<{ Key: string; Value: string }> = [];
      for (;;) {
        const result = await forward(
          upstream,
          'POST',
          '/',
          { ...incoming.headers, 'x-amz-target': 'Kinesis_20131202.ListTagsForStream' },
          Buffer.from(
            JSON.stringify({
              StreamName: stream,
              Limit: 10,
              ...(tags.length > 0 ? { ExclusiveStartTagKey: tags.at(-1)!.Key } : {}),
            }),
          ),
        );
        const parsed = JSON.parse(result.body.toString('utf8'));
        if (result.status >= 400)
          throw new KinesisError(parsed.__type ?? 'InternalFailure', parsed.message ?? '');
        tags.push(...parsed.Tags);
        if (!parsed.HasMoreTags) return tags.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
      }
    }

    async function totalOpen(): Promise<number> {
      let open = 0;
      for (const [stream, state] of streams) {
        if (state.shards !== undefined) open += state.shards;
        else {
          const s = await forward(
            upstream,
            'POST',
            '/',
            { ...incoming.headers, 'x-amz-target': 'Kinesis_20131202.DescribeStreamSummary' },
            Buffer.from(JSON.stringify({ StreamName: stream })),
          );
          open += JSON.parse(s.body.toString('utf8')).StreamDescriptionSummary?.OpenShardCount ?? 0;
        }
      }
      return open;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: Omit<KinesisScalingProxy, 'shardLimit' | 'tagPageMax'> = {
    endpoint: `http://127.0.0.1:${port}`,
    updates,
    tagListings,
    setUpdating(stream, ms) {
      overlay(stream).updatingUntil = now() + ms;
    },
    addOperations(stream, times) {
      overlay(stream).operations.push(...times);
    },
    shardCount: (stream) => streams.get(stream)?.shards,
    failNextUpdate(type, message = 'injected by the test') {
      injected.push(new KinesisError(type, message));
    },
    clearInjectedFailures() {
      injected.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return Object.assign(proxy, handle);
}
