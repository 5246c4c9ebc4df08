/**
 * firehose-apache-log-to-json speed on ~6 MB Firehose transformation events of Apache access-log lines (one line
 * per record, as Kinesis Agent sends them). Three events:
 * - `busy-server`: one busy server: ~84% IPv4 combined-format lines, ~16% lines AWS's blueprint regex rejects
 *   (IPv6 hosts, `-` bytes); the timestamp changes every ~200 lines, so the timestamp cache almost always hits;
 * - `fleet`: what a delivery stream fed by many servers carries: 60 servers interleaved, each with its own UTC
 *   offset (12 of them, -1200 to +1400; one logs none) and clock, so consecutive lines carry different timestamps (the
 *   cache hit rate is printed); IPv4, IPv6 and hostname clients; combined and common formats; long user agents
 *   (in-app browsers) and long query strings (tracking parameters); around midnight UTC of a leap day, so the UTC
 *   shift crosses days and months;
 * - `fleet-api`: the same fleet serving an API: short common-format lines, nearly every one with a new timestamp.
 * The fleet events hold ~3% lines that must fail (dates that do not exist, offsets like -0760, lines cut short,
 * error-log lines sent to the wrong stream, a 2-digit status): they are counted as expected failures, not as failed
 * valid lines.
 *
 * Same event, same run:
 * - `floor`: base64 decode + encode of every record into a response entry: what any transformation pays;
 * - `aws-blueprint`: AWS's Node blueprint (kinesis-firehose-apachelog-to-json) as published: one regex per
 *   line, its Date-based @timestamp/@timestamp_utc, JSON.stringify, base64 both ways;
 * - `aws-regex-only`: the same without the Date calls (regex + JSON.stringify + base64);
 * - `ours (handler path)`, the headline row and the one the targets check: what the function's handler does
 *   per invocation (`apacheLogToJson`: withWriter + shared/firehose's runner + the transform: decode, UTF-8
 *   check, parse, JSON, encode, ordering, size accounting, logs, metrics), without the middy/Powertools wrapper,
 *   whose cost per invocation is measured separately (tens of µs, within noise: well under 1% of this event). The 6,000,000-byte response guard
 *   is lifted: a 6 MB request of log lines becomes ~2.1x as much JSON, which cannot fit in a 6 MB response
 *   (see the function README: keep the processor buffer at 1 MB); with the guard most records would be answered
 *   ProcessingFailed, which is cheaper and not what we want to time;
 * - `ours (parser in the floor's loop)`: our parser and JSON writer with the floor's per-record decode and encode
 *   around it instead of the runner (context: what the runner's batch decoding saves);
 * - `ours csv (handler path)`: firehose-apache-log-to-csv's handler work (`apacheLogToCsv`, the same runner and
 *   guard lifted, LF line endings) on the same event: the CSV blueprint's speed, reported (ratios to the references
 *   and to the JSON row), not in the targets;
 * - `output-bound`: the handler's runner with a transform that copies our exact output for each record instead
 *   of parsing: decode, UTF-8 check, encoding 2.1x the input as base64, entries, size accounting. The ceiling any
 *   parser producing this output through this runner can reach; the handler row minus this one is the parser.
 * Beside the rows, what Lambda's Node runtime spends around any handler (its JSON.parse of the event and
 * JSON.stringify of the response), which no row includes: the same for every transformation of the event, apart
 * from the response's size.
 * MB/s counts decoded input bytes. The rows run in turn, round after round (21 rounds of >= 100 ms each), timed
 * in wall-clock and in CPU time (process.cpuUsage: every thread of the process, the garbage collector's helpers
 * included), each round after a young-generation collection (so that no row pays for the short-lived garbage of
 * the row before it); a ratio is the median of the rounds' ratios, so that both sides of it saw the same machine (its speed
 * drifts when other jobs share it). The targets are checked on CPU time, which a Lambda function pays for
 * (its share of one vCPU, 0.58 at 1,024 MB, runs the GC helpers too) and which moves less than wall-clock time
 * on a shared machine; on an idle one the two agree. On every event: ours (handler path) >= 2x aws-blueprint,
 * >= 1.5x aws-regex-only, >= 0.5x floor, no valid line failed and every bad line failed.
 *
 * Then the cost of a timestamp that differs from the previous line's: the same lines written by writeApacheJson
 * with a new timestamp on every line, and with one timestamp for all, timed (CPU time) in alternation; the median
 * of the paired differences per line is printed (the aim: at most ~150 ns).
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResultRecord } from 'aws-lambda';
import type { Context } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import v8 from 'node:v8';
import vm from 'node:vm';
import { apacheLogToCsv } from '../functions/firehose-apache-log-to-csv/handler';
import { apacheLogToJson, handler } from '../functions/firehose-apache-log-to-json/handler';
import { processFirehoseBytes } from '../shared/firehose';
import { ByteWriter, LogParseError, writeApacheJson } from '../shared/logformats';
import { mulberry32 } from '../scripts/lib/random';
import type { BenchResult, Measurement } from './harness';

const EVENT_BYTES = 6_000_000;
const ROUNDS = 21;

const PATHS = [
  '/',
  '/index.html',
  '/products/item.php?id=4412&ref=home',
  '/api/v2/orders/81723/items?expand=price,stock',
  '/static/js/app.3f9c2b.js',
  '/images/banner-2024-autumn.webp',
  '/search?q=wireless+headphones&page=2',
  '/account/login',
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'curl/8.5.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
];
const REFERRERS = [
  '-',
  'https://www.example.com/',
  'https://www.google.com/',
  'https://shop.example.com/cart',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number) => String(n).padStart(2, '0');

/** `%t` without brackets for the instant `ms` on a server `offsetMinutes` east of UTC (zone null: none logged). */
function apacheTimeAt(ms: number, offsetMinutes: number, zone: string | null): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return zone === null ? time : `${time} ${zone}`;
}

function apacheTime(ms: number): string {
  return apacheTimeAt(ms, -7 * 60, '-0700');
}

/** A bench event, with what the checks need to know about its lines. */
interface BenchEvent {
  name: string;
  description: string;
  event: FirehoseTransformationEvent;
  /** Decoded bytes of the log lines. */
  bytes: number;
  /** Valid lines AWS's blueprint regex rejects (IPv6 and hostname clients, `-` bytes). */
  awsRejectable: number;
  /** Indexes of the records that must fail. */
  mustFail: Set<number>;
  /** Each line's bracketed timestamp when it is valid (the parser caches it), else null. */
  timestamps: (string | null)[];
}

/** Builds the Firehose event around lines (one per record) until it reaches ~6 MB of JSON. */
function eventOf(
  name: string,
  description: string,
  next: (index: number) => {
    line: string;
    timestamp: string | null;
    mustFail: boolean;
    awsRejectable: boolean;
  },
  arrival: (index: number) => number,
): BenchEvent {
  const records: FirehoseTransformationEvent['records'] = [];
  const mustFail = new Set<number>();
  const timestamps: (string | null)[] = [];
  let size = 200;
  let bytes = 0;
  let awsRejectable = 0;
  while (size < EVENT_BYTES) {
    const index = records.length;
    const line = next(index);
    const data = Buffer.from(`${line.line}\n`);
    const record = {
      recordId: `49654321098765432109876543210987654321098765432${String(index).padStart(9, '0')}`,
      approximateArrivalTimestamp: arrival(index),
      data: data.toString('base64'),
    };
    records.push(record);
    if (line.mustFail) mustFail.add(index);
    if (line.awsRejectable) awsRejectable++;
    timestamps.push(line.timestamp);
    bytes += data.length;
    size += JSON.stringify(record).length + 1;
  }
  return {
    name,
    description,
    event: {
      invocationId: 'bench',
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/bench',
      region: 'us-east-1',
      records,
    },
    bytes,
    awsRejectable,
    mustFail,
    timestamps,
  };
}

/** A ~6 MB event from one busy server; lines advance one second every ~200 lines, as a real batch does. */
export function apacheEvent(): BenchEvent {
  const random = mulberry32(42);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  let time = Date.UTC(2024, 9, 11, 20, 0, 0);
  return eventOf(
    'busy-server',
    'one busy server, ~84% IPv4 combined lines, 16% IPv6 or bytes `-`, one timestamp per ~200 lines',
    () => {
      if (random() < 1 / 200) time += 1000;
      const kind = random();
      let host = `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
      let length = String(200 + Math.floor(random() * 40_000));
      if (kind < 0.1) {
        host = `2001:db8:${Math.floor(random() * 65536).toString(16)}::${Math.floor(random() * 65536).toString(16)}`;
      } else if (kind < 0.16) {
        length = '-';
      }
      const status = length === '-' ? pick(['304', '204']) : pick(['200', '200', '200', '201', '404']);
      const timestamp = apacheTime(time);
      return {
        line: `${host} - - [${timestamp}] "${pick(['GET', 'GET', 'GET', 'POST'])} ${pick(PATHS)} HTTP/1.1" ${status} ${length} "${pick(REFERRERS)}" "${pick(AGENTS)}"`,
        timestamp,
        mustFail: false,
        awsRejectable: kind < 0.16,
      };
    },
    () => time + 500,
  );
}

const LONG_AGENTS = [
  'Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/458.0.0.45.80;IABMV/1;]',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.99 (iPhone15,3; iOS 17_4_1; en_US; en; scale=3.00; 1290x2796; 593244013; IABMV/1)',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7 Pro Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 GSA/15.12.26.29.arm64 musical_ly_2023405040 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/34.5.4 ByteLocale/en',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0 OneOutlook/1.2024.412.100 (Office; Windows 11 Enterprise; en-GB) Teams/24074.2321.2810.3500',
];
const API_AGENTS = ['okhttp/4.12.0', 'python-requests/2.31.0', 'aws-sdk-js/3.556.0', 'Go-http-client/2.0'];
/** A query string of tracking parameters, ~150-700 characters. */
function longQuery(random: () => number): string {
  const token = (n: number) =>
    Array.from(
      { length: n },
      () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'[Math.floor(random() * 64)],
    ).join('');
  const params = [
    `utm_source=${random() < 0.5 ? 'newsletter' : 'facebook'}`,
    'utm_medium=email',
    `utm_campaign=spring_sale_2024_${token(6)}`,
    `utm_content=hero_banner_v${Math.floor(random() * 9)}`,
    `gclid=${token(40 + Math.floor(random() * 60))}`,
    `fbclid=${token(60 + Math.floor(random() * 80))}`,
    `_ga=2.${Math.floor(random() * 1e9)}.${Math.floor(random() * 1e9)}-${Math.floor(random() * 1e9)}.${1_700_000_000 + Math.floor(random() * 1e7)}`,
    `session_state=${token(120 + Math.floor(random() * 200))}`,
  ];
  return params.slice(0, 3 + Math.floor(random() * (params.length - 2))).join('&');
}

/** The ways a line from the fleet must fail: an impossible date or offset, a line cut short, another log's line. */
const BROKEN = [
  (line: string) => line.replace(/\[\d\d\/\w{3}\/\d{4}/, '[31/Apr/2024'),
  (line: string) => line.replace(/\[\d\d\/\w{3}\/\d{4}/, '[29/Feb/2023'),
  (line: string) => line.replace(/ [+-]\d{4}\]/, ' -0760]'),
  (line: string) => line.slice(0, line.indexOf('"') + 12),
  () =>
    '[Thu Feb 29 23:58:12.044132 2024] [core:error] [pid 2211:tid 140213] [client 203.0.113.9:51544] AH00126: Invalid URI in request GET /..%2f..%2fetc/passwd HTTP/1.1',
  (line: string) => line.replace(/" \d\d\d /, '" 20 '),
];

/**
 * A ~6 MB event from 60 servers interleaved around 00:00 UTC on 1 March 2024 (after a leap day), each with its own
 * offset and clock: consecutive lines carry different timestamps. `api`: short common-format lines.
 */
export function fleetEvent(kind: 'web' | 'api'): BenchEvent {
  const random = mulberry32(kind === 'web' ? 7 : 11);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const zones = ['-0700', '-0700', '-0400', '-0500', '+0000', '+0100', '+0200', '+0530', '+0900', '+1000'];
  const servers = Array.from({ length: 60 }, (_, i) => {
    const zone = i === 7 ? '+1400' : i === 8 ? '-1200' : i === 9 ? '+0545' : i === 10 ? null : pick(zones);
    const offsetMinutes =
      zone === null
        ? 0
        : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
    return { zone, offsetMinutes, skewMs: Math.floor((random() - 0.5) * 60_000) };
  });
  let now = Date.UTC(2024, 1, 29, 23, 58, 0);
  const client = () => {
    const r = random();
    if (r < 0.7) {
      return {
        host: `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
        aws: true,
      };
    }
    if (r < 0.92) {
      const group = () => Math.floor(random() * 65536).toString(16);
      return {
        host:
          random() < 0.5
            ? `2001:db8:${group()}:${group()}::${group()}`
            : `2a02:${group()}:${group()}:${group()}:${group()}:${group()}:${group()}:${group()}`,
        aws: false,
      };
    }
    return {
      host: `crawl-66-249-${Math.floor(random() * 256)}-${Math.floor(random() * 256)}.googlebot.com`,
      aws: false,
    };
  };
  return eventOf(
    `fleet${kind === 'api' ? '-api' : ''}`,
    kind === 'web'
      ? '60 servers interleaved, 12 offsets and none, 70% IPv4 / 22% IPv6 / 8% hostnames, 75% combined, long user agents and query strings'
      : '60 API servers interleaved, 12 offsets and none, 70% IPv4 / 22% IPv6 / 8% hostnames, 90% short common-format lines',
    () => {
      now += Math.floor(random() * 4);
      const server = pick(servers);
      const timestamp = apacheTimeAt(now + server.skewMs, server.offsetMinutes, server.zone);
      const { host, aws } = client();
      const user = random() < 0.03 ? pick(['frank', 'svc-report', 'ana']) : '-';
      const combined = random() < (kind === 'web' ? 0.75 : 0.1);
      let target: string;
      if (kind === 'api') {
        target = `/v${1 + Math.floor(random() * 2)}/${pick(['orders', 'users', 'carts', 'items'])}/${Math.floor(random() * 1e6)}${random() < 0.3 ? `?fields=id,status&limit=${Math.floor(random() * 100)}` : ''}`;
      } else {
        target = pick(PATHS);
        if (random() < 0.25) target = `${target.split('?')[0]}?${longQuery(random)}`;
      }
      const method =
        kind === 'api'
          ? pick(['GET', 'GET', 'POST', 'PUT', 'DELETE'])
          : pick(['GET', 'GET', 'GET', 'POST', 'HEAD']);
      const noBody = random() < 0.06;
      const status = noBody
        ? pick(['304', '204'])
        : pick(['200', '200', '200', '201', '301', '302', '400', '404', '500', '503']);
      const length = noBody
        ? '-'
        : String(kind === 'api' ? 2 + Math.floor(random() * 4000) : 200 + Math.floor(random() * 90_000));
      let agent = '';
      if (combined) {
        const ua =
          kind === 'api'
            ? pick(API_AGENTS)
            : random() < 0.005
              ? 'Mozilla/5.0 (compatible; \\"quoted\\" bot/1.0)'
              : random() < 0.4
                ? pick(LONG_AGENTS)
                : pick(AGENTS);
        agent = ` "${pick(REFERRERS)}" "${ua}"`;
      }
      const line = `${host} - ${user} [${timestamp}] "${method} ${target} HTTP/${random() < 0.3 ? '2.0' : '1.1'}" ${status} ${length}${agent}`;
      if (random() < 0.03) {
        // (A server that logs no offset gets an impossible date instead of an impossible offset.)
        const drawn = Math.floor(random() * BROKEN.length);
        const kept = drawn === 2 && server.zone === null ? 0 : drawn;
        // Cut short after the timestamp, or a 2-digit status: the timestamp itself is valid, and cached.
        return {
          line: BROKEN[kept]!(line),
          timestamp: kept === 3 || kept === 5 ? timestamp : null,
          mustFail: true,
          awsRejectable: false,
        };
      }
      return { line, timestamp, mustFail: false, awsRejectable: !aws || noBody };
    },
    () => now + 500,
  );
}

/** Lines whose timestamp is the cached one (the previous valid timestamp): what the parser's one-entry cache hits. */
function cacheHitRate(timestamps: readonly (string | null)[]): number {
  let cached: string | null = null;
  let hits = 0;
  for (const timestamp of timestamps) {
    if (timestamp === null) continue;
    if (timestamp === cached) hits++;
    cached = timestamp;
  }
  return hits / timestamps.length;
}

// AWS's Node blueprint, kinesis-firehose-apachelog-to-json (aws/serverless-application-model examples/apps),
// with its callback style replaced by a return.
const AWS_PARSER = /^([\d.]+) (\S+) (\S+) \[([\w:/]+)(\s[+-]\d{4}){0,1}\] "(.+?)" (\d{3}) (\d+)/;
const safeStringToInt = (value: string) => (Number.isNaN(Number(value)) ? value : Number(value));
const formatDate = (value: string) => value.replace(/\//g, ' ').replace(':', ' ');

function awsBlueprint(event: FirehoseTransformationEvent, withDates: boolean) {
  let failed = 0;
  const records = event.records.map((record) => {
    const entry = Buffer.from(record.data, 'base64').toString('utf8');
    const match = AWS_PARSER.exec(entry);
    if (!match) {
      failed++;
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
    const result: Record<string, unknown> = {
      host: match[1],
      ident: match[2],
      authuser: match[3],
      request: match[6],
      response: safeStringToInt(match[7]!),
      bytes: safeStringToInt(match[8]!),
    };
    if (match[6] && match[6].split(' ').length > 1) result.verb = match[6].split(' ')[0];
    if (withDates) {
      let isoTs = match[4];
      try {
        isoTs = new Date(formatDate(match[4]!)).toISOString();
      } catch {
        // the blueprint logs and keeps the text
      }
      result['@timestamp'] = isoTs;
      if (match[5]) {
        const timezone = match[5].trim();
        result.timezone = timezone;
        try {
          result['@timestamp_utc'] = new Date(`${formatDate(match[4]!)} ${timezone}`).toISOString();
        } catch {
          // as above
        }
      }
    }
    return {
      recordId: record.recordId,
      result: 'Ok',
      data: Buffer.from(JSON.stringify(result), 'utf8').toString('base64'),
    };
  });
  return { records, failed };
}

function floor(event: FirehoseTransformationEvent) {
  return {
    records: event.records.map((record) => ({
      recordId: record.recordId,
      result: 'Ok',
      data: Buffer.from(record.data, 'base64').toString('base64'),
    })),
  };
}

const writer = new ByteWriter();

/** Our parser in the floor's loop: Buffer.from per record, the transform, toString('base64') of its output. */
function ours(event: FirehoseTransformationEvent) {
  let failed = 0;
  const records: FirehoseTransformationResultRecord[] = event.records.map((raw) => {
    const data = Buffer.from(raw.data, 'base64');
    try {
      if (!isUtf8(data)) throw new Error('not UTF-8');
      writeApacheJson(data, 0, data.length, writer);
    } catch {
      writer.discard();
      failed++;
      return { recordId: raw.recordId, result: 'ProcessingFailed', data: raw.data };
    }
    const base64 = writer.buf.toString('base64', writer.recordStart, writer.pos);
    writer.discard();
    return { recordId: raw.recordId, result: 'Ok', data: base64 };
  });
  return { records, failed };
}

const HANDLER_ROW = 'ours (handler path)';
const CSV_ROW = 'ours csv (handler path)';
const BOUND_ROW = 'output-bound';
const LIFTED = { maxResponseBytes: Number.POSITIVE_INFINITY };

/** A Lambda context with what the middleware stack reads. */
function benchContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'firehose-apache-log-to-json',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:firehose-apache-log-to-json',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench',
    logGroupName: '/aws/lambda/firehose-apache-log-to-json',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * What middy + Powertools add per invocation: the exported handler against apacheLogToJson on the same small
 * events (1, 100 and 1,000 records, guard on: they fit). Their EMF and log output is discarded while measuring.
 */
async function wrapperOverhead(
  event: FirehoseTransformationEvent,
): Promise<{ records: number; us: number }[]> {
  const context = benchContext();
  const write = process.stdout.write;
  const rows: { records: number; us: number }[] = [];
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const count of [1, 100, 1000]) {
      const small = { ...event, records: event.records.slice(0, count) };
      const wrapped = await measureAsync('handler', 1, () => handler(small, context) as Promise<unknown>);
      const bare = await measureAsync('bare', 1, () => apacheLogToJson(small, context));
      rows.push({ records: count, us: (wrapped.seconds - bare.seconds) * 1e6 });
    }
  } finally {
    process.stdout.write = write;
  }
  return rows;
}

/** One event's table, checks and targets. */
async function runEvent(e: BenchEvent, withOverhead: boolean): Promise<Record<string, boolean>> {
  const { event, bytes, mustFail } = e;
  const eventBytes = JSON.stringify(event).length;
  const lines = event.records.length;
  // Facts about the outputs, worked out before timing; the result sets themselves are not kept alive while timing
  // (every full garbage collection would mark them, whichever row happens to be running). Only our outputs are,
  // as bytes: the output-bound row copies them (null for a record that fails).
  const facts = await (async () => {
    const transformOnly = ours(event);
    const outputs = transformOnly.records.map((r) =>
      r.result === 'Ok' ? Buffer.from(r.data!, 'base64') : null,
    );
    // The handler path, guard lifted (the measured row) and as deployed (default guard, no re-ingestion).
    const lifted = await apacheLogToJson(event, undefined, LIFTED);
    const guarded = await apacheLogToJson(event, undefined, { onOverflow: 'processing-failed' });
    const failed = (records: readonly { result: string }[]) =>
      records.flatMap((r, i) => (r.result === 'Ok' ? [] : [i]));
    const handlerFailed = failed(lifted.records);
    const aws = awsBlueprint(event, true).records;
    const csv = (await apacheLogToCsv(event, undefined, LIFTED)).records;
    const csvFailed = failed(csv);
    return {
      outputs,
      outputBytes: outputs.reduce((sum, o) => sum + (o?.byteLength ?? 0), 0),
      awsFailed: failed(aws).length,
      awsFailedValid: failed(aws).filter((i) => !mustFail.has(i)).length,
      awsPassedBad: aws.filter((r, i) => r.result === 'Ok' && mustFail.has(i)).length,
      failedValid: handlerFailed.filter((i) => !mustFail.has(i)).length,
      passedBad: [...mustFail].filter((i) => lifted.records[i]!.result === 'Ok').length,
      handlerFailed: handlerFailed.length,
      outputsMatch: lifted.records.every((r, i) => r.data === transformOnly.records[i]!.data),
      overflowed: guarded.records.filter((r, i) => r.result !== 'Ok' && !mustFail.has(i)).length,
      csvBytes: csv.reduce(
        (sum, r) => sum + (r.result === 'Ok' ? Buffer.byteLength(r.data!, 'base64') : 0),
        0,
      ),
      csvFailedValid: csvFailed.filter((i) => !mustFail.has(i)).length,
      csvPassedBad: [...mustFail].filter((i) => csv[i]!.result === 'Ok').length,
    };
  })();
  const { outputs, outputBytes } = facts;

  const contenders: Record<string, () => unknown> = {
    floor: () => floor(event),
    'aws-blueprint': () => awsBlueprint(event, true),
    'aws-regex-only': () => awsBlueprint(event, false),
    [HANDLER_ROW]: () => apacheLogToJson(event, undefined, LIFTED),
    [CSV_ROW]: () => apacheLogToCsv(event, undefined, LIFTED),
    "ours (parser in the floor's loop)": () => ours(event),
    // The handler's runner with a transform that copies our exact output for the record instead of parsing.
    [BOUND_ROW]: () =>
      processFirehoseBytes(
        event,
        (record, out) => {
          const output = outputs[record.index];
          if (!output) throw new LogParseError('apache', 'must fail');
          out.ensure(output.length);
          out.buf.set(output, out.pos);
          out.pos += output.length;
        },
        LIFTED,
      ),
  };
  // Rounds in which every row runs in turn: the machine's speed drifts (other jobs share it), and a ratio taken
  // within one round sees the same machine on both sides. A row's time is its median over the rounds; a ratio is
  // the median of the rounds' ratios.
  const names = Object.keys(contenders);
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (const name of names) {
    await contenders[name]!();
    wall[name] = [];
    cpu[name] = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const times = await timeRound(contenders[name]!);
      wall[name]!.push(times.wall);
      cpu[name]!.push(times.cpu);
    }
  }
  const percent = (count: number) => `${((count / lines) * 100).toFixed(1)}%`;
  console.log(
    `\nEvent ${e.name}: ${e.description}. ${lines} records, ${(eventBytes / 1e6).toFixed(2)} MB of JSON, ` +
      `${(bytes / 1e6).toFixed(2)} MB of log lines; timestamp cache hit rate ${percent(cacheHitRate(e.timestamps) * lines)} ` +
      `(lines whose timestamp is the previous valid one's). Our NDJSON output: ${(outputBytes / 1e6).toFixed(2)} MB ` +
      `(${(outputBytes / bytes).toFixed(2)}x the input).`,
  );
  console.log(
    `Lines that must fail: ${mustFail.size} (${percent(mustFail.size)}). ours (handler path): ${facts.handlerFailed} failed, ` +
      `${facts.failedValid} of them valid, ${facts.passedBad} bad lines passed` +
      `${facts.outputsMatch ? "; same output as the parser in the floor's loop" : " (OUTPUT DIFFERS from the parser in the floor's loop)"}. ` +
      `aws-blueprint: ${facts.awsFailed} failed, ${facts.awsFailedValid} of them valid (of ${e.awsRejectable} valid IPv6, hostname ` +
      `or '-' bytes lines), ${facts.awsPassedBad} bad lines answered Ok. Response-size guard lifted for "${HANDLER_ROW}": ` +
      `with the default 6,000,000-byte guard the handler answers ${facts.overflowed} valid records ProcessingFailed ` +
      '(their JSON does not fit; see the function README).',
  );
  const wallRatios = pairedTable(
    `firehose-apache-log-to-json, ~6 MB event ${e.name}, wall-clock`,
    bytes,
    wall,
  );
  const ratios = pairedTable(
    `firehose-apache-log-to-json, ~6 MB event ${e.name}, CPU time (process.cpuUsage; MB/s per vCPU)`,
    bytes,
    cpu,
  );
  const ms = (name: string) => median(cpu[name]!) * 1000;
  const total = ms(HANDLER_ROW);
  if (withOverhead) {
    const overhead = await wrapperOverhead(event);
    const worst = Math.max(...overhead.map((o) => o.us));
    console.log(
      `middy + Powertools per invocation (exported handler minus apacheLogToJson, same events): ${overhead
        .map((o) => `${o.us.toFixed(0)} µs at ${o.records} record${o.records === 1 ? '' : 's'}`)
        .join(', ')}; at most ${((worst / 1000 / total) * 100).toFixed(2)}% of the ${total.toFixed(1)} ms ` +
        'the handler path takes on this event, so the row leaves it out.',
    );
  }
  // Where the handler path's time goes: output-bound is the same runner writing the same output without parsing.
  // (Differences taken within each round, as the ratios are.)
  const floorMs = ms('floor');
  const boundMs = ms(BOUND_ROW);
  const parseMs = median(cpu[HANDLER_ROW]!.map((seconds, round) => seconds - cpu[BOUND_ROW]![round]!)) * 1000;
  console.log(
    `Arithmetic (CPU time): floor ${floorMs.toFixed(1)} ms; ">= 0.5x floor" means <= ${(2 * floorMs).toFixed(1)} ms. ` +
      `The runner with our ${(outputBytes / bytes).toFixed(2)}x output and no parsing (output-bound) takes ${boundMs.toFixed(1)} ms ` +
      `(${(ratios[`${BOUND_ROW} / floor`] ?? 0).toFixed(2)}x floor, ${(ratios[`${BOUND_ROW} / aws-regex-only`] ?? 0).toFixed(2)}x ` +
      `aws-regex-only); parsing and writing the JSON add ${parseMs.toFixed(1)} ms = ${((parseMs / lines) * 1e6).toFixed(0)} ns per record.`,
  );
  // What Lambda's Node runtime does around any handler, in no row: it parses the event it received and serialises
  // the response the handler returns (JSON.parse / JSON.stringify; CPU time, median of 11 rounds).
  const around = await runtimeAround(event);
  console.log(
    `Around every handler (in no row), Lambda's Node runtime parses this event (${around.parse.toFixed(1)} ms CPU) and ` +
      `serialises the response: the floor's ${around.floor.toFixed(1)} ms, aws-blueprint's ${around.aws.toFixed(1)} ms, ` +
      `${HANDLER_ROW}'s ${around.lifted.toFixed(1)} ms (guard lifted) or ${around.guarded.toFixed(1)} ms (default guard). ` +
      `With them, the floor's invocation costs ${(floorMs + around.parse + around.floor).toFixed(1)} ms and ours ` +
      `${(total + around.parse + around.lifted).toFixed(1)} ms.`,
  );
  // The CSV blueprint's row: reported, not a target. Its ratio to the JSON row is the median of the rounds' ratios.
  const toJson = (times: Record<string, number[]>) =>
    median(times[CSV_ROW]!.map((seconds, round) => times[HANDLER_ROW]![round]! / seconds));
  console.log(
    `${CSV_ROW} (firehose-apache-log-to-csv, output ${(facts.csvBytes / bytes).toFixed(2)}x the input): CPU time ` +
      `${(ratios[`${CSV_ROW} / floor`] ?? 0).toFixed(2)}x floor, ${(ratios[`${CSV_ROW} / aws-blueprint`] ?? 0).toFixed(2)}x ` +
      `aws-blueprint, ${(ratios[`${CSV_ROW} / aws-regex-only`] ?? 0).toFixed(2)}x aws-regex-only, ${toJson(cpu).toFixed(2)}x ` +
      `${HANDLER_ROW} (wall-clock: ${(wallRatios[`${CSV_ROW} / floor`] ?? 0).toFixed(2)}x floor, ${toJson(wall).toFixed(2)}x ` +
      `${HANDLER_ROW}); ${facts.csvFailedValid} failed valid lines, ${facts.csvPassedBad} bad lines passed.`,
  );
  const ratio = (reference: string) => ratios[`${HANDLER_ROW} / ${reference}`] ?? 0;
  const wallRatio = (reference: string) => wallRatios[`${HANDLER_ROW} / ${reference}`] ?? 0;
  const targets: Record<string, boolean> = {
    [`apache-log-to-json ${e.name}: ours (handler path) >= 2x aws-blueprint`]: ratio('aws-blueprint') >= 2,
    [`apache-log-to-json ${e.name}: ours (handler path) >= 1.5x aws-regex-only`]:
      ratio('aws-regex-only') >= 1.5,
    [`apache-log-to-json ${e.name}: ours (handler path) >= 0.5x floor`]: ratio('floor') >= 0.5,
    [`apache-log-to-json ${e.name}: ours (handler path) fails no valid line, every bad one`]:
      facts.failedValid === 0 && facts.passedBad === 0,
  };
  console.log(
    `Targets on ${e.name}: ${Object.entries(targets)
      .map(([name, met]) => `${name.slice(name.indexOf(': ') + 2)} ${met ? 'met' : 'MISSED'}`)
      .join('; ')} ` +
      `(CPU time: ${ratio('aws-blueprint').toFixed(2)}x aws-blueprint, ${ratio('aws-regex-only').toFixed(2)}x aws-regex-only, ` +
      `${ratio('floor').toFixed(2)}x floor; wall-clock: ${wallRatio('aws-blueprint').toFixed(2)}x, ` +
      `${wallRatio('aws-regex-only').toFixed(2)}x, ${wallRatio('floor').toFixed(2)}x; ${facts.failedValid} failed valid lines).`,
  );
  return targets;
}

/** CPU milliseconds `fn` takes, median of 11 calls after one untimed. */
function cpuMs(fn: () => unknown): number {
  fn();
  const times: number[] = [];
  for (let round = 0; round < 11; round++) {
    collectGarbage();
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  return median(times);
}

/** What Lambda's runtime spends on this event and on the responses of the floor, AWS's blueprint and ours. */
async function runtimeAround(event: FirehoseTransformationEvent) {
  const text = JSON.stringify(event);
  const responses = {
    floor: floor(event),
    aws: { records: awsBlueprint(event, true).records },
    lifted: await apacheLogToJson(event, undefined, LIFTED),
    guarded: await apacheLogToJson(event, undefined, { onOverflow: 'processing-failed' }),
  };
  return {
    parse: cpuMs(() => JSON.parse(text)),
    floor: cpuMs(() => JSON.stringify(responses.floor)),
    aws: cpuMs(() => JSON.stringify(responses.aws)),
    lifted: cpuMs(() => JSON.stringify(responses.lifted)),
    guarded: cpuMs(() => JSON.stringify(responses.guarded)),
  };
}

/**
 * What a timestamp that differs from the previous line's costs: writeApacheJson over the fleet's valid lines (each
 * one record) with their own timestamps, nearly all new, and over the same lines with one timestamp of the same
 * shape, timed in alternation (the machine's speed drifts); the median of the paired differences per line.
 */
function timestampMissCost(e: BenchEvent): { changed: number; repeated: number; missNs: number } {
  const changed: Buffer[] = [];
  const repeated: Buffer[] = [];
  e.event.records.forEach((record, i) => {
    if (e.mustFail.has(i) || changed.length >= 20_000) return;
    const line = Buffer.from(record.data, 'base64');
    const open = line.indexOf(0x5b);
    const close = line.indexOf(0x5d, open);
    const length = close - open - 1;
    if (length !== 26) return;
    changed.push(line);
    const same = Buffer.from(line);
    same.write('29/Feb/2024:23:59:01 -0700', open + 1, 'latin1');
    repeated.push(same);
  });
  const out = new ByteWriter();
  const pass = (lines: readonly Buffer[]) => {
    out.reset();
    for (const line of lines) {
      writeApacheJson(line, 0, line.length, out);
      out.endRecord();
      if (out.pos > 900_000) out.reset();
    }
  };
  const nsPerLine = (lines: readonly Buffer[]) => {
    const start = process.cpuUsage();
    for (let k = 0; k < 3; k++) pass(lines);
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / (3 * lines.length);
  };
  for (let k = 0; k < 5; k++) {
    pass(changed);
    pass(repeated);
  }
  const a: number[] = [];
  const b: number[] = [];
  const d: number[] = [];
  for (let round = 0; round < 101; round++) {
    const x = nsPerLine(changed);
    const y = nsPerLine(repeated);
    a.push(x);
    b.push(y);
    d.push(x - y);
  }
  return { changed: median(a), repeated: median(b), missNs: median(d) };
}

export async function run(): Promise<BenchResult> {
  const events = [apacheEvent(), fleetEvent('web'), fleetEvent('api')];
  const targets: Record<string, boolean> = {};
  for (const [i, e] of events.entries()) Object.assign(targets, await runEvent(e, i === 0));
  const fleet = events[1]!;
  const cost = timestampMissCost(fleet);
  console.log(
    `\nA changed timestamp (writeApacheJson, ${fleet.name}'s valid lines with an offset, one per record, ` +
      `${(cacheHitRate(fleet.timestamps) * 100).toFixed(1)}% cache hits): ${cost.changed.toFixed(0)} ns per line with their own ` +
      `timestamps, ${cost.repeated.toFixed(0)} ns with one timestamp for all: ${cost.missNs.toFixed(0)} ns more per changed ` +
      'timestamp (CPU time, median of 101 paired passes; the aim is at most ~150 ns).',
  );
  return { targets };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

// A young-generation collection before each round (untimed), so that no row pays for the short-lived garbage the
// row before it left. (Not a full one: that shrinks the heap, and the next rounds then pay for growing it again.)
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options: { type: 'minor' }) => void;
const collectGarbage = () => gc({ type: 'minor' });

/**
 * One round of a row: a young-generation collection, then calls of `fn` (each awaited) for at least 100 ms; seconds per call,
 * wall-clock and CPU.
 */
async function timeRound(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  collectGarbage();
  const start = performance.now();
  const startCpu = process.cpuUsage();
  let calls = 0;
  while (performance.now() - start < 100 || calls === 0) {
    await fn();
    calls++;
  }
  const used = process.cpuUsage(startCpu);
  return { wall: (performance.now() - start) / 1000 / calls, cpu: (used.user + used.system) / 1e6 / calls };
}

const REFERENCES = ['floor', 'aws-blueprint', 'aws-regex-only'];

/**
 * Prints one row per contender: MB/s from its median time, and its ratio to each reference as the median of the
 * rounds' ratios. Returns the ratios, keyed `<row> / <reference>`.
 */
function pairedTable(title: string, bytes: number, times: Record<string, number[]>): Record<string, number> {
  const ratios: Record<string, number> = {};
  const table = Object.entries(times).map(([name, seconds]) => {
    const line: Record<string, string> = {
      contender: name,
      'MB/s': (bytes / median(seconds) / 1e6).toFixed(1),
    };
    for (const reference of REFERENCES) {
      const ratio = median(seconds.map((s, round) => times[reference]![round]! / s));
      ratios[`${name} / ${reference}`] = ratio;
      line[`x ${reference}`] = ratio.toFixed(2);
    }
    return line;
  });
  console.log(`\n${title} (Node ${process.version}, ${ROUNDS} rounds)`);
  console.table(table);
  return ratios;
}

/** Times `fn` as the harness's measure() does (a warm-up, 7 rounds of ~150 ms, the median), wall-clock and CPU. */
async function measureTimes(
  name: string,
  bytes: number,
  fn: () => unknown,
): Promise<{ wall: Measurement; cpu: Measurement }> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    let iterations = 0;
    while (performance.now() - start < 150 || iterations === 0) {
      await fn();
      iterations++;
    }
    const used = process.cpuUsage(startCpu);
    wall.push((performance.now() - start) / 1000 / iterations);
    cpu.push((used.user + used.system) / 1e6 / iterations);
  }
  return { wall: { name, bytes, seconds: median(wall) }, cpu: { name, bytes, seconds: median(cpu) } };
}

/** {@link measureTimes}' wall-clock time alone (the wrapper-overhead figures). */
async function measureAsync(name: string, bytes: number, fn: () => Promise<unknown>): Promise<Measurement> {
  return (await measureTimes(name, bytes, fn)).wall;
}
