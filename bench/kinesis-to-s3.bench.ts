/**
 * kinesis-to-s3 end to end: the function's handler against the consumer a user writes in ten minutes, same
 * batches, same run, same S3 endpoint.
 *
 * - `ours`: the handler as deployed (default settings: lossless NDJSON, gzip at GZIP_LEVEL), one PutObject.
 * - `naive`: aws-kinesis-agg `deaggregateSync` + `JSON.parse` + `JSON.stringify` per record, one `gzipSync` at the
 *   same level, one PutObject.
 *
 * Both go through a real S3 client over HTTP to a local server (a child process) that takes each PutObject at once
 * (s3rver would dominate the time): the comparison is about the consumer. Batches are production-shaped Lambda
 * events (up to ~6 MB of base64): records of ~100 B to ~10 KB, KPL aggregates and plain records, JSON of high and
 * of low compressibility. Every batch is checked once per contender: ours must write the input records byte for
 * byte; the naive one re-serialises, so its records are compared as parsed values.
 *
 * Reported: the median seconds per batch (and the range over the rounds; the machine may be shared), the ratio
 * ours/naive at the same gzip level (the target: >= 2x on every batch), records/s and MB/s of record bytes per
 * CPU-second (process.cpuUsage: the main thread and the thread pool, i.e. per vCPU), extra rows at other gzip
 * levels and zstd, the share of each stage of ours, and the memory high-water mark (max RSS) of a process running a
 * ~6 MB batch.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { deepStrictEqual } from 'node:assert';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import agg from 'aws-kinesis-agg';
import { mulberry32 } from '../scripts/lib/random';
import type { BenchResult } from './harness';
import { plainEvent } from '../test/support/kinesis-events';

const BUCKET = 'bench-kinesis-to-s3';
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 11;
const WARMUP = 2;
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/bench-orders';
/** KPL's default AggregationMaxSize. */
const KPL_AGGREGATE_BYTES = 51_200;

// ---- batches -------------------------------------------------------------------------------------------------

type Compressibility = 'high' | 'medium' | 'low';
interface BatchSpec {
  label: string;
  recordBytes: number;
  records: number;
  kpl: boolean;
  compressibility: Compressibility;
  /** User records per aggregate (else: as many as fit in KPL_AGGREGATE_BYTES). */
  perAggregate?: number;
}
interface Batch {
  spec: BatchSpec;
  event: KinesisStreamEvent;
  /** The user records' bytes, in order. */
  records: Buffer[];
  recordBytes: number;
  base64Bytes: number;
}

export const BATCHES: BatchSpec[] = [
  // The batch of the issue that asked for this suite: 10,000 JSON records in 200 aggregates, ~5.7 MB of base64.
  {
    label: 'KPL 430 B medium',
    recordBytes: 430,
    records: 10_000,
    kpl: true,
    compressibility: 'medium',
    perAggregate: 50,
  },
  { label: 'KPL 100 B high', recordBytes: 100, records: 40_000, kpl: true, compressibility: 'high' },
  { label: 'plain 100 B high', recordBytes: 100, records: 10_000, kpl: false, compressibility: 'high' },
  { label: 'plain 1 KB low', recordBytes: 1_000, records: 4_000, kpl: false, compressibility: 'low' },
  { label: 'KPL 10 KB low', recordBytes: 10_000, records: 420, kpl: true, compressibility: 'low' },
  { label: 'plain 10 KB high', recordBytes: 10_000, records: 420, kpl: false, compressibility: 'high' },
];

/** One JSON record of about `size` bytes: an order/click event; `low` compressibility carries random tokens. */
function recordText(random: () => number, i: number, size: number, compressibility: Compressibility): string {
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const token = (n: number) =>
    Buffer.from(Array.from({ length: Math.ceil((n * 3) / 4) }, () => Math.floor(random() * 256)))
      .toString('base64')
      .slice(0, n);
  const small = size < 300;
  const head = small
    ? `{"id":${i},"type":"${pick(['click', 'view', 'purchase'])}","user":"u-${i % 977}","ts":${1_764_600_000_000 + i}`
    : `{"eventId":"${compressibility === 'high' ? `e-${i}` : hex(32)}","type":"${pick(['click', 'view', 'purchase', 'refund'])}",` +
      `"ts":"2026-12-01T15:${String(i % 60).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z",` +
      `"user":{"id":"u-${i % 977}","country":"${pick(['DE', 'US', 'FR', 'JP', 'BR'])}"},"amount":${(i % 10_000) / 100},` +
      `"counter":${12345678901234567890n + BigInt(i)}`;
  let body = '';
  const room = () => size - head.length - body.length - (small ? 2 : 20);
  if (compressibility === 'low') {
    while (room() > 0) body += `,"k${body.length}":"${token(Math.min(200, Math.max(1, room())))}"`;
  } else {
    const words = [
      'lorem',
      'ipsum',
      'dolor',
      'sit',
      'amet',
      'consectetur',
      'adipiscing',
      'elit',
      'é',
      'checkout',
    ];
    const agent =
      compressibility === 'medium'
        ? `Mozilla/5.0 (X11; Linux x86_64) Chrome/${100 + (i % 30)}.0 session ${hex(16)}`
        : 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
    if (small) {
      while (room() > 12) body += `,"n${body.length}":"${pick(words)}"`;
      if (room() > 6) body += `,"q":${i % 100}`;
    }
    if (room() > agent.length + 10) body += `,"agent":"${agent}"`;
    if (room() > 60) body += `,"page":"/products/${i % 300}/details?ref=campaign-${i % 17}"`;
    const items: string[] = [];
    while (room() - items.join(',').length > 60)
      items.push(
        `{"sku":"SKU-${(i + items.length) % 50}","qty":${items.length % 5},"note":"${pick(words)} ${pick(words)}"}`,
      );
    if (items.length > 0) body += `,"items":[${items.join(',')}]`;
  }
  return `${head}${body}}`;
}

export async function buildBatch(spec: BatchSpec): Promise<Batch> {
  const { aggregate } = await import('../shared/kpl');
  const random = mulberry32(spec.recordBytes * 31 + spec.records + (spec.kpl ? 7 : 0));
  const records = Array.from({ length: spec.records }, (_, i) =>
    Buffer.from(recordText(random, i, spec.recordBytes, spec.compressibility)),
  );
  const blobs: { data: Uint8Array; partitionKey: string }[] = [];
  if (!spec.kpl) records.forEach((data, i) => blobs.push({ data, partitionKey: `pk-${i % 64}` }));
  else if (spec.perAggregate) {
    for (let i = 0; i < records.length; i += spec.perAggregate) {
      const group = records
        .slice(i, i + spec.perAggregate)
        .map((data, j) => ({ data, partitionKey: `pk-${j % 64}` }));
      blobs.push(...aggregate(group, { maxBytes: 1_000_000 }));
    }
  } else {
    blobs.push(
      ...aggregate(
        records.map((data, i) => ({ data, partitionKey: `pk-${i % 64}` })),
        { maxBytes: KPL_AGGREGATE_BYTES },
      ),
    );
  }
  const event = plainEvent(blobs, { streamArn: STREAM_ARN, shardId: 'shardId-000000000000' });
  const base64Bytes = event.Records.reduce((sum, record) => sum + record.kinesis.data.length, 0);
  const recordBytes = records.reduce((sum, record) => sum + record.length, 0);
  return { spec, event, records, recordBytes, base64Bytes };
}

// ---- the local S3 endpoint (a child process, so its work is not counted as the consumer's CPU) ------------------

const SERVER = `
const http = require('node:http');
const objects = new Map();
let keep = false;
let puts = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => { if (keep) chunks.push(chunk); });
  req.on('end', () => {
    if (req.method === 'PUT') {
      if (keep) {
        puts += 1;
        objects.set(decodeURIComponent(req.url.split('?')[0]), Buffer.concat(chunks).toString('base64'));
      }
      res.writeHead(200, { ETag: '"bench"', 'Content-Length': 0 });
    } else res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'keep') { keep = true; puts = 0; objects.clear(); process.send({ kept: true }); }
  else if (message === 'take') { keep = false; process.send({ objects: [...objects], puts }); objects.clear(); }
  else if (message === 'stop') server.close(() => process.exit(0));
});
`;

interface LocalS3 {
  endpoint: string;
  /** Runs `fn` with the server keeping the bodies of PutObjects; returns them by path (/bucket/key), and the PUTs. */
  capture(fn: () => Promise<unknown>): Promise<{ objects: Map<string, Buffer>; puts: number }>;
  stop(): void;
}

async function startLocalS3(): Promise<LocalS3> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) =>
      child.once('message', (m) => resolve(m as Record<string, unknown>)),
    );
  const { port } = (await next()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async capture(fn) {
      child.send('keep');
      await next();
      await fn();
      child.send('take');
      const { objects, puts } = (await next()) as { objects: [string, string][]; puts: number };
      return { objects: new Map(objects.map(([path, body]) => [path, Buffer.from(body, 'base64')])), puts };
    },
    stop: () => child.send('stop'),
  };
}

// ---- contenders ----------------------------------------------------------------------------------------------

type Consumer = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

function naiveConsumer(client: S3Client, level: number): Consumer {
  return async (event) => {
    const lines: string[] = [];
    for (const record of event.Records) {
      agg.deaggregateSync(record.kinesis, true, (error, users) => {
        if (error) throw error;
        for (const user of users!) {
          lines.push(JSON.stringify(JSON.parse(Buffer.from(user.data, 'base64').toString('utf8'))));
        }
      });
    }
    const first = event.Records[0]!.kinesis.sequenceNumber;
    const last = event.Records.at(-1)!.kinesis.sequenceNumber;
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `naive/${first}-${last}.ndjson.gz`,
        Body: zlib.gzipSync(`${lines.join('\n')}\n`, { level }),
        ContentType: 'application/gzip',
      }),
    );
    return { batchItemFailures: [] };
  };
}

const context = {
  functionName: 'kinesis-to-s3',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 600_000,
} as unknown as Context;

/** Our handler with the given settings (the config is re-read: the handler rebuilds its sink). */
async function oursConsumer(settings: Record<string, string>): Promise<Consumer> {
  const { handler } = await import('../functions/kinesis-to-s3/handler');
  const { config } = await import('../functions/kinesis-to-s3/config');
  return async (event) => {
    Object.assign(process.env, settings);
    config.reset();
    config();
    const response = (await handler(event, context)) as KinesisStreamBatchResponse;
    if (response.batchItemFailures.length > 0)
      throw new Error('the handler reported failures on a clean run');
    return response;
  };
}

const decompress = (path: string, body: Buffer) =>
  path.endsWith('.zst')
    ? (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(body)
    : path.endsWith('.gz')
      ? zlib.gunzipSync(body)
      : body;

/** The NDJSON lines of the captured objects, in key order (keys carry the first sequence number). */
function linesOf(objects: Map<string, Buffer>): { lines: Buffer[]; compressedBytes: number } {
  const lines: Buffer[] = [];
  let compressedBytes = 0;
  for (const path of [...objects.keys()].sort()) {
    const body = objects.get(path)!;
    compressedBytes += body.length;
    const text = decompress(path, body);
    let start = 0;
    for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, start)) {
      lines.push(text.subarray(start, i));
      start = i + 1;
    }
    if (start !== text.length) throw new Error(`${path}: the last line has no newline`);
  }
  return { lines, compressedBytes };
}

/** Runs the consumer once with the bodies captured and checks what it wrote; returns the compressed size. */
async function verify(
  s3: LocalS3,
  batch: Batch,
  consumer: Consumer,
  exact: boolean,
): Promise<{ compressedBytes: number; puts: number; objects: number }> {
  const { objects, puts } = await s3.capture(() => consumer(batch.event));
  const { lines, compressedBytes } = linesOf(objects);
  if (lines.length !== batch.records.length) {
    throw new Error(`${batch.spec.label}: ${lines.length} lines written for ${batch.records.length} records`);
  }
  lines.forEach((line, i) => {
    if (exact) {
      if (!line.equals(batch.records[i]!))
        throw new Error(`${batch.spec.label}: record ${i} not written byte for byte`);
    } else {
      deepStrictEqual(JSON.parse(line.toString('utf8')), JSON.parse(batch.records[i]!.toString('utf8')));
    }
  });
  return { compressedBytes, puts, objects: objects.size };
}

interface Timing {
  seconds: number[];
  cpuSeconds: number[];
  /** CPU of the main thread alone (process.threadCpuUsage, where Node has it); the rest ran on the thread pool. */
  mainCpuSeconds: number[];
}
const threadCpuUsage = (process as { threadCpuUsage?: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage })
  .threadCpuUsage;

async function time(consumer: Consumer, event: KinesisStreamEvent, timing: Timing) {
  const cpu = process.cpuUsage();
  const mainCpu = threadCpuUsage?.();
  const started = performance.now();
  await consumer(event);
  timing.seconds.push((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  timing.cpuSeconds.push((used.user + used.system) / 1e6);
  const main = threadCpuUsage?.(mainCpu);
  if (main) timing.mainCpuSeconds.push((main.user + main.system) / 1e6);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (seconds: number) => (seconds * 1000).toFixed(1);

/** Runs the contenders in turn, round after round (so load on the machine hits them alike). */
async function race(event: KinesisStreamEvent, contenders: Record<string, Consumer>) {
  const timings: Record<string, Timing> = {};
  for (const name of Object.keys(contenders))
    timings[name] = { seconds: [], cpuSeconds: [], mainCpuSeconds: [] };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const names = Object.keys(contenders);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const timing: Timing =
        round < WARMUP ? { seconds: [], cpuSeconds: [], mainCpuSeconds: [] } : timings[name]!;
      await time(contenders[name]!, event, timing);
    }
  }
  return timings;
}

// ---- stages of ours ----------------------------------------------------------------------------------------------

async function stages(batch: Batch, client: S3Client) {
  const { deaggregate } = await import('../shared/kpl');
  const { isJsonBytes } = await import('../shared/kinesis/json-bytes');
  const { jsonLineBytes } = await import('../shared/kinesis/lossless');
  const { createBodyCompressor } = await import('../shared/sinks/compression');
  const repeat = async (fn: () => unknown) => {
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const started = performance.now();
      await fn();
      if (i >= WARMUP) samples.push((performance.now() - started) / 1000);
    }
    return median(samples);
  };
  const datas: Uint8Array[] = [];
  const deaggregateSeconds = await repeat(() => {
    datas.length = 0;
    for (const { kinesis } of batch.event.Records)
      for (const user of deaggregate(kinesis)) datas.push(user.data);
  });
  const validateSeconds = await repeat(() => {
    for (const data of datas) if (!isJsonBytes(data)) throw new Error('invalid');
  });
  const lines = datas.map((data) => jsonLineBytes(data));
  const transformSeconds = await repeat(() => {
    for (const data of datas) jsonLineBytes(data);
  });
  const body = (compression: 'gzip' | 'none') => {
    const compressor = createBodyCompressor({ compression, gzipLevel: 6 });
    for (const line of lines) compressor.writeLine(line);
    return compressor.end();
  };
  const buildSeconds = await repeat(() => body('none'));
  const compressSeconds = (await repeat(() => body('gzip'))) - buildSeconds;
  const payload = await body('gzip');
  const putSeconds = await repeat(() =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stage/put.ndjson.gz', Body: payload })),
  );
  return {
    'decode: base64 + KPL (MD5)': deaggregateSeconds,
    'decode: JSON validation': validateSeconds,
    'transform (line = the bytes)': transformSeconds,
    'object body (lines copied into chunks)': buildSeconds,
    'compress (gzip 6, chunks on the thread pool)': compressSeconds,
    'PUT (SDK + HTTP)': putSeconds,
  };
}

// ---- memory (a process of its own per contender) -------------------------------------------------------------------

const MEMORY_MODE = process.env.BENCH_K2S_MEMORY;

async function memoryChild(mode: string) {
  const batch = await buildBatch(BATCHES[0]!);
  const client = new S3Client({
    endpoint: process.env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const consumer = mode === 'ours' ? await oursConsumer({}) : naiveConsumer(client, 6);
  globalThis.gc?.();
  const before = process.resourceUsage().maxRSS;
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < 5; i++) await consumer(batch.event);
  const after = process.resourceUsage().maxRSS;
  console.log(
    JSON.stringify({
      base64Bytes: batch.base64Bytes,
      maxRssKiB: after,
      beforeKiB: before,
      rssBeforeKiB: rssBefore / 1024,
    }),
  );
}

function measureMemory(mode: 'ours' | 'naive', env: NodeJS.ProcessEnv) {
  const childEnv: NodeJS.ProcessEnv = { ...env, BENCH_K2S_MEMORY: mode };
  delete childEnv.BENCH_CHILD;
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: childEnv,
    encoding: 'utf8',
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`memory run failed: ${child.stderr}`);
  return JSON.parse(line) as { base64Bytes: number; maxRssKiB: number; beforeKiB: number };
}

// ---- the suite ---------------------------------------------------------------------------------------------------

export async function run(): Promise<BenchResult> {
  const s3 = await startLocalS3();
  const env = {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    BUCKET_NAME: BUCKET,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  const targets: Record<string, boolean> = {};
  try {
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      // As our client: no checksum of the body unless the API requires one (both contenders alike).
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const zstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';
    const rows: Record<string, string | number>[] = [];
    const extraRows: Record<string, string | number>[] = [];
    let stageBatch: Batch | undefined;
    const batchRows: Record<string, string | number>[] = [];
    for (const spec of BATCHES) {
      const batch = await buildBatch(spec);
      batchRows.push({
        batch: spec.label,
        'Kinesis records': batch.event.Records.length,
        'user records': spec.records,
        'mean record bytes': Math.round(batch.recordBytes / spec.records),
        'event base64 MB': (batch.base64Bytes / 1e6).toFixed(2),
      });
      stageBatch ??= batch;
      const headline = spec === BATCHES[0];
      const contenders: Record<string, Consumer> = {
        ours: await oursConsumer({ GZIP_LEVEL: '6', COMPRESSION: 'gzip' }),
        naive: naiveConsumer(client, 6),
      };
      if (headline) {
        for (const level of [1, 9]) {
          contenders[`ours L${level}`] = await oursConsumer({
            GZIP_LEVEL: String(level),
            COMPRESSION: 'gzip',
          });
          contenders[`naive L${level}`] = naiveConsumer(client, level);
        }
        if (zstd) contenders['ours zstd 3'] = await oursConsumer({ COMPRESSION: 'zstd', ZSTD_LEVEL: '3' });
      }
      const sizes: Record<string, { compressedBytes: number; puts: number; objects: number }> = {};
      for (const [name, consumer] of Object.entries(contenders)) {
        sizes[name] = await verify(s3, batch, consumer, name.startsWith('ours'));
      }
      const timings = await race(batch.event, contenders);
      const describe = (name: string, reference: string) => {
        const timing = timings[name]!;
        const seconds = median(timing.seconds);
        const cpu = median(timing.cpuSeconds);
        return {
          batch: spec.label,
          contender: name,
          'ms (median)': ms(seconds),
          'ms (min..max)': `${ms(Math.min(...timing.seconds))}..${ms(Math.max(...timing.seconds))}`,
          [`x ${reference}`]: (median(timings[reference]!.seconds) / seconds).toFixed(2),
          [`x ${reference} per vCPU`]: (median(timings[reference]!.cpuSeconds) / cpu).toFixed(2),
          'CPU ms (main thread)': `${ms(cpu)} (${timing.mainCpuSeconds.length > 0 ? ms(median(timing.mainCpuSeconds)) : '?'})`,
          'records/s per vCPU': Math.round(spec.records / cpu),
          'MB/s per vCPU': (batch.recordBytes / cpu / 1e6).toFixed(1),
          'gzip/zstd bytes': sizes[name]!.compressedBytes,
          PutObject: sizes[name]!.puts,
        };
      };
      // API calls at the lower bound: one PutObject per object, and one object per MAX_OBJECT_BYTES (64 MiB)
      // of uncompressed NDJSON, so one for every batch here.
      const lowerBound = Math.ceil((batch.recordBytes + batch.records.length) / (64 * 1024 * 1024));
      targets[`${spec.label}: PutObject calls = ${lowerBound} (the lower bound)`] =
        sizes.ours!.puts === lowerBound && sizes.ours!.objects === lowerBound;
      const ratio = median(timings.naive!.seconds) / median(timings.ours!.seconds);
      targets[
        `${spec.label} (${spec.records} records, ${(batch.base64Bytes / 1e6).toFixed(1)} MB base64): >= 2x naive at gzip 6`
      ] = ratio >= 2;
      rows.push(describe('ours', 'naive'), describe('naive', 'naive'));
      if (headline) {
        for (const level of [1, 9]) {
          extraRows.push(
            describe(`ours L${level}`, `naive L${level}`),
            describe(`naive L${level}`, `naive L${level}`),
          );
        }
        if (zstd) extraRows.push(describe('ours zstd 3', 'naive'));
      }
    }
    console.log(`\nkinesis-to-s3 bench batches`);
    console.table(batchRows);
    console.log(
      `\nkinesis-to-s3 vs naive consumer, gzip level 6, local S3 endpoint (Node ${process.version})`,
    );
    console.table(rows);
    console.log(
      `\nkinesis-to-s3, other compression settings (batch "${BATCHES[0]!.label}") (Node ${process.version})`,
    );
    console.table(extraRows);

    const stage = await stages(stageBatch!, client);
    const handlerSeconds = median(
      (await race(stageBatch!.event, { ours: await oursConsumer({ GZIP_LEVEL: '6' }) })).ours!.seconds,
    );
    const stageRows = Object.entries(stage).map(([name, seconds]) => ({
      stage: name,
      ms: ms(seconds),
      'share of the handler': `${((seconds / handlerSeconds) * 100).toFixed(0)}%`,
    }));
    stageRows.push({ stage: 'handler end to end', ms: ms(handlerSeconds), 'share of the handler': '100%' });
    console.log(
      `\nkinesis-to-s3 stages, each timed alone (batch "${BATCHES[0]!.label}"; compression overlaps the rest only in part) (Node ${process.version})`,
    );
    console.table(stageRows);

    const memory = (['ours', 'naive'] as const).map((mode) => {
      const result = measureMemory(mode, { ...process.env, ...env });
      return {
        contender: mode,
        'event (base64 MB)': (result.base64Bytes / 1e6).toFixed(1),
        'max RSS MB (process)': (result.maxRssKiB / 1024).toFixed(0),
        'max RSS MB before the first invocation': (result.beforeKiB / 1024).toFixed(0),
        'added by invocations MB': ((result.maxRssKiB - result.beforeKiB) / 1024).toFixed(0),
      };
    });
    console.log(
      `\nkinesis-to-s3 memory high-water mark, 5 invocations of the ~6 MB batch (Node ${process.version})`,
    );
    console.table(memory);
    return { targets };
  } finally {
    s3.stop();
  }
}

if (MEMORY_MODE) await memoryChild(MEMORY_MODE);
