/**
 * kinesis-to-sns: what the alerting path costs, against the naive way, same data, same run.
 *
 * - Calls: 1,000 matching records (many of them alerts of the same rule and group) through the runner, the rules and
 *   the alert sink: PublishBatch calls must equal ceil(notifications / 10) after collapsing.
 * - Throughput: a 6 MB Lambda event (KPL aggregates of ~200-byte JSON log records) through 50 rules written as
 *   EventBridge patterns (every operator), against a naive reference: JSON.parse + a chain of hand-written ifs
 *   per rule + one Publish per match. Both go through the real SNS client (serialisation, SigV4 signing, response
 *   parsing: the per-call CPU a Lambda pays) with a request handler that answers at once instead of a network, so
 *   the figures are CPU only; a real network round trip per Publish would widen the gap. A third row, the naive
 *   consumer's JSON.parse + ifs without publishing, is the floor of any rule evaluation on JSON records.
 */
import { Readable } from 'node:stream';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createAlertSink } from '../functions/kinesis-to-sns/alerts';
import { compileRules, type Rule } from '../functions/kinesis-to-sns/rules';
import { matchRules } from '../functions/kinesis-to-sns/transform';
import { mulberry32 } from '../scripts/lib/random';
import { processKinesisEvent } from '../shared/kinesis/runner';
import { aggregate, deaggregate } from '../shared/kpl';
import { type BenchResult, type Measurement, printTable } from './harness';
import { plainEvent } from '../test/support/kinesis-events';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:bench-alerts';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/bench-logs';
const EVENT_BYTES = 6_000_000;

/** An SNS client whose requests never leave the process: answers Publish and PublishBatch (all entries taken). */
function localSnsClient(counts: { Publish: number; PublishBatch: number }): SNSClient {
  return new SNSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    requestHandler: {
      async handle(request: { body?: unknown }) {
        const body = String(request.body ?? '');
        let xml: string;
        if (body.includes('Action=PublishBatch')) {
          counts.PublishBatch += 1;
          const ids = [...body.matchAll(/PublishBatchRequestEntries\.member\.\d+\.Id=([^&]*)/g)].map(
            (m) => m[1],
          );
          xml =
            '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>' +
            ids.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('') +
            '</Successful><Failed></Failed></PublishBatchResult></PublishBatchResponse>';
        } else {
          counts.Publish += 1;
          xml =
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
            '<MessageId>m</MessageId></PublishResult></PublishResponse>';
        }
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'text/xml' },
            body: Readable.from([Buffer.from(xml)]),
          },
        };
      },
    } as never,
  });
}

// ---- data --------------------------------------------------------------------------------------------------------

const LEVELS = ['DEBUG', 'INFO', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];
const SERVICES = ['catalog', 'checkout', 'search', 'auth', 'payments', 'profile', 'cart', 'shipping'];

function logRecord(random: () => number, i: number): string {
  const service = SERVICES[Math.floor(random() * SERVICES.length)]!;
  return JSON.stringify({
    time: new Date(Date.UTC(2026, 10, 22, 2, 0, 0, i)).toISOString(),
    level: LEVELS[Math.floor(random() * LEVELS.length)],
    host: `web-${Math.floor(random() * 40)}`,
    service,
    path: `/api/${service}/${Math.floor(random() * 100)}`,
    status: random() < 0.97 ? 200 : random() < 0.5 ? 500 : 404,
    latencyMs: Math.floor(random() * random() * 5000),
    ip:
      random() < 0.9
        ? `10.${Math.floor(random() * 256)}.0.${Math.floor(random() * 256)}`
        : `203.0.113.${i % 256}`,
    user: { id: `u-${i % 5000}`, role: random() < 0.02 ? 'Admin' : 'user' },
  });
}

function eventOf(records: string[]): KinesisStreamEvent {
  const blobs = aggregate(
    records.map((data, i) => ({ data, partitionKey: `host-${i % 64}` })),
    { maxBytes: 1024 * 1024 },
  );
  return plainEvent(blobs, { streamArn: STREAM_ARN, shardId: 'shardId-000000000000' });
}

// ---- 50 rules, as patterns and as the ifs a hand-written consumer would use -----------------------------------------

interface BenchRule {
  spec: Record<string, unknown>;
  naive: (r: Record<string, any>) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function benchRules(): BenchRule[] {
  const rules: BenchRule[] = [];
  const add = (name: string, pattern: unknown, naive: BenchRule['naive'], groupBy?: string) =>
    rules.push({
      spec: {
        name,
        pattern,
        severity: 'high',
        subject: `${name} on {{host}}`,
        ...(groupBy ? { groupBy } : {}),
      },
      naive,
    });
  SERVICES.forEach((service) => {
    add(
      `${service}-errors`,
      { level: ['ERROR'], service: [service], status: [500] },
      (r) => r.level === 'ERROR' && r.service === service && r.status === 500,
      'host',
    );
    add(
      `${service}-slow`,
      { service: [service], latencyMs: [{ numeric: ['>', 4900] }] },
      (r) => r.service === service && typeof r.latencyMs === 'number' && r.latencyMs > 4900,
      'host',
    );
    add(
      `${service}-paths`,
      { path: [{ prefix: `/api/${service}/9` }], status: [{ 'anything-but': [200, 404] }] },
      (r) =>
        typeof r.path === 'string' &&
        r.path.startsWith(`/api/${service}/9`) &&
        r.status !== undefined &&
        r.status !== 200 &&
        r.status !== 404,
      'host',
    );
    add(
      `${service}-wild`,
      { path: [{ wildcard: `/api/${service}/*7` }], level: ['WARN'] },
      (r) =>
        typeof r.path === 'string' &&
        r.path.startsWith(`/api/${service}/`) &&
        r.path.endsWith('7') &&
        r.path.length > `/api/${service}/7`.length - 1 &&
        r.level === 'WARN',
      'host',
    );
  });
  for (let i = 0; i < 10; i++) {
    add(
      `host-${i}-404`,
      { host: [`web-${i}`], status: [404] },
      (r) => r.host === `web-${i}` && r.status === 404,
    );
  }
  add(
    'admin-outside',
    { user: { role: [{ 'equals-ignore-case': 'admin' }] }, ip: [{ cidr: '203.0.113.0/24' }] },
    (r) =>
      typeof r.user?.role === 'string' &&
      r.user.role.toLowerCase() === 'admin' &&
      typeof r.ip === 'string' &&
      r.ip.startsWith('203.0.113.'),
    'user.id',
  );
  add('fatal', { level: ['FATAL', 'PANIC'] }, (r) => r.level === 'FATAL' || r.level === 'PANIC');
  add('no-host', { host: [{ exists: false }] }, (r) => r.host === undefined);
  add(
    'either',
    { $or: [{ status: [503] }, { latencyMs: [{ numeric: ['>=', 4990] }] }] },
    (r) => r.status === 503 || (typeof r.latencyMs === 'number' && r.latencyMs >= 4990),
    'host',
  );
  add(
    'suffix',
    { path: [{ suffix: '/99' }], level: [{ 'anything-but': { prefix: 'DEB' } }], status: [500] },
    (r) =>
      typeof r.path === 'string' &&
      r.path.endsWith('/99') &&
      typeof r.level === 'string' &&
      !r.level.startsWith('DEB') &&
      r.status === 500,
  );
  add(
    'debug-slow',
    { level: ['DEBUG'], latencyMs: [{ numeric: ['>', 4950, '<=', 5000] }] },
    (r) =>
      r.level === 'DEBUG' && typeof r.latencyMs === 'number' && r.latencyMs > 4950 && r.latencyMs <= 5000,
    'host',
  );
  add(
    'svc-case',
    { service: [{ prefix: { 'equals-ignore-case': 'PAY' } }], status: [404], level: ['ERROR'] },
    (r) =>
      typeof r.service === 'string' &&
      r.service.toLowerCase().startsWith('pay') &&
      r.status === 404 &&
      r.level === 'ERROR',
    'host',
  );
  add(
    'user-exists-err',
    { user: { id: [{ exists: true }] }, level: ['ERROR'], status: [404] },
    (r) => r.user?.id !== undefined && r.level === 'ERROR' && r.status === 404,
    'host',
  );
  if (rules.length !== 50) throw new Error(`bench: ${rules.length} rules, not 50`);
  return rules;
}

// ---- contenders -------------------------------------------------------------------------------------------------

const noDeadLetters = { write: async () => undefined };

async function ours(event: KinesisStreamEvent, rules: Rule[], client: SNSClient) {
  const sink = createAlertSink({ topicArn: TOPIC_ARN, rules, publish: { client } });
  const { summary } = await processKinesisEvent(event, {
    format: 'json',
    transform: (record) => matchRules(record, rules),
    sink,
    deadLetter: noDeadLetters,
  });
  if (summary.failed > 0) throw new Error('bench: failures in our path');
  return summary;
}

/** The naive consumer: JSON.parse, a chain of ifs per rule, one Publish per match (awaited, one at a time). */
async function naive(event: KinesisStreamEvent, rules: BenchRule[], client: SNSClient) {
  let matches = 0;
  for (const record of event.Records) {
    const userRecords = deaggregate({
      data: record.kinesis.data,
      partitionKey: record.kinesis.partitionKey,
      sequenceNumber: record.kinesis.sequenceNumber,
    });
    for (const user of userRecords) {
      const value = JSON.parse(Buffer.from(user.data).toString('utf8'));
      for (let i = 0; i < rules.length; i++) {
        if (!rules[i]!.naive(value)) continue;
        matches += 1;
        await client.send(
          new PublishCommand({
            TopicArn: TOPIC_ARN,
            Subject: `${rules[i]!.spec.name} on ${value.host}`,
            Message: JSON.stringify(value),
            MessageAttributes: { rule: { DataType: 'String', StringValue: String(rules[i]!.spec.name) } },
          }),
        );
      }
    }
  }
  return matches;
}

/** The naive consumer's matching alone (no publishing): the floor of any JSON rule evaluation. */
function parseAndIfs(event: KinesisStreamEvent, rules: BenchRule[]): number {
  let matches = 0;
  for (const record of event.Records) {
    const userRecords = deaggregate({
      data: record.kinesis.data,
      partitionKey: record.kinesis.partitionKey,
      sequenceNumber: record.kinesis.sequenceNumber,
    });
    for (const user of userRecords) {
      const value = JSON.parse(Buffer.from(user.data).toString('utf8'));
      for (let i = 0; i < rules.length; i++) if (rules[i]!.naive(value)) matches += 1;
    }
  }
  return matches;
}

async function measureAsync(
  name: string,
  bytes: number,
  fn: () => Promise<unknown>,
  rounds = 5,
): Promise<Measurement> {
  await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await fn();
    samples.push((performance.now() - started) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { name, bytes, seconds: samples[Math.floor(samples.length / 2)]! };
}

export async function run(): Promise<BenchResult> {
  const targets: Record<string, boolean> = {};
  const specs = benchRules();
  const rules = compileRules(specs.map((rule) => rule.spec));

  // ---- calls for 1,000 matching records -------------------------------------------------------------------------
  const random = mulberry32(7);
  const matching = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({
      level: 'ERROR',
      service: SERVICES[i % 8],
      status: 500,
      host: `web-${Math.floor(random() * 12)}`,
    }),
  );
  const counts = { Publish: 0, PublishBatch: 0 };
  const client = localSnsClient(counts);
  const summary = await ours(eventOf(matching), rules, client);
  const alerts = new Set(
    matching.flatMap((text) => {
      const value = JSON.parse(text);
      return specs.filter((rule) => rule.naive(value)).map((rule) => `${rule.spec.name}/${value.host}`);
    }),
  ).size;
  const expectedCalls = Math.ceil(alerts / 10);
  console.log(
    `\nkinesis-to-sns, 1,000 matching records: ${summary.delivered} records -> ${alerts} notifications after ` +
      `collapsing -> ${counts.PublishBatch} PublishBatch call(s) (ceil(${alerts}/10) = ${expectedCalls}); ` +
      `the naive consumer: ${matching.length} Publish calls`,
  );
  targets[
    `1,000 matching records: PublishBatch calls = ceil(notifications/10) (${counts.PublishBatch} = ${expectedCalls})`
  ] = counts.PublishBatch === expectedCalls;

  // ---- throughput: 50 rules on a 6 MB event ----------------------------------------------------------------------
  const records: string[] = [];
  let base64Bytes = 0;
  const logRandom = mulberry32(11);
  // Records until the event (base64 data, as Lambda delivers it) is ~6 MB.
  while (base64Bytes < EVENT_BYTES * 0.97) {
    const text = logRecord(logRandom, records.length);
    records.push(text);
    base64Bytes += ((Buffer.byteLength(text) + 12) * 4) / 3;
  }
  const event = eventOf(records);
  const eventBytes = event.Records.reduce((n, r) => n + r.kinesis.data.length, 0);
  const oursCounts = { Publish: 0, PublishBatch: 0 };
  const naiveCounts = { Publish: 0, PublishBatch: 0 };
  const oursClient = localSnsClient(oursCounts);
  const naiveClient = localSnsClient(naiveCounts);
  // Same matches both ways, or the comparison means nothing.
  const oursSummary = await ours(event, rules, oursClient);
  const naiveMatches = await naive(event, specs, naiveClient);
  const oursMatches = records.reduce(
    (n, text) => n + specs.filter((rule) => rule.naive(JSON.parse(text))).length,
    0,
  );
  if (oursMatches !== naiveMatches)
    throw new Error(`bench: matches differ (${oursMatches} vs ${naiveMatches})`);
  const matchedRecords = oursSummary.delivered;
  const perRunOursCalls = oursCounts.PublishBatch;

  const rows: Measurement[] = [];
  // Interleaved, each contender's best median over the passes: on a shared 2-core box a neighbour's burst only
  // ever slows a measurement down.
  for (let pass = 0; pass < 5; pass++) {
    for (const [name, fn] of [
      ['ours (patterns, collapse, PublishBatch)', () => ours(event, rules, oursClient)],
      ['naive (JSON.parse + ifs + Publish each)', () => naive(event, specs, naiveClient)],
      ['floor (JSON.parse + ifs, no publishing)', async () => parseAndIfs(event, specs)],
    ] as const) {
      const m = await measureAsync(name, eventBytes, fn, 3);
      const previous = rows.find((row) => row.name === name);
      if (!previous) rows.push(m);
      else if (m.seconds < previous.seconds) previous.seconds = m.seconds;
    }
  }
  const title =
    `kinesis-to-sns, 50 rules on a ${(eventBytes / 1e6).toFixed(1)} MB event: ${event.Records.length} KPL aggregates, ` +
    `${records.length} records, ${matchedRecords} matching (${naiveMatches} matches)`;
  const ratios = printTable(title, rows, [
    'naive (JSON.parse + ifs + Publish each)',
    'floor (JSON.parse + ifs, no publishing)',
  ]);
  const table = rows.map((row) => ({
    contender: row.name,
    'records/s': Math.round(records.length / row.seconds).toLocaleString('en-US'),
    'SNS calls': row.name.startsWith('ours')
      ? perRunOursCalls
      : row.name.startsWith('naive')
        ? naiveMatches
        : 0,
  }));
  console.table(table);
  const ratio = ratios['ours (patterns, collapse, PublishBatch) / naive (JSON.parse + ifs + Publish each)']!;
  targets[`50 rules, 6 MB event: ours >= 1x the naive reference (${ratio.toFixed(2)}x)`] = ratio >= 1;
  return { targets };
}
