/**
 * The parsers are index-based scanners, so their time is linear in the line length whatever the line holds.
 * These lines are the kind that make backtracking regexes blow up (AWS's `"(.+?)" (\d{3})`, nested optional
 * groups): long runs of spaces, quotes, brackets and escapes, at 10 KB, 100 KB and 1 MB per line.
 */
import { describe, expect, it } from 'vitest';
import { transformRecord as apacheCsv } from '../../../functions/firehose-apache-log-to-csv/handler';
import { transformRecord as apacheJson } from '../../../functions/firehose-apache-log-to-json/handler';
import { type BytesTransform, processFirehoseBytes } from '../../../shared/firehose';
import { firehoseEvent } from '../../support/firehose-events';
import {
  apacheRecordToCsv,
  apacheRecordToJson,
  ByteWriter,
  parseApacheLine,
  parseSyslogLine,
  syslogRecordToJson,
} from '../../../shared/logformats';

const PREFIX = 'h - - [10/Oct/2000:13:55:36 -0700] ';

/** Best of three runs, in milliseconds; parse errors count as work done. */
function time(run: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    try {
      run();
    } catch {
      // Rejecting the line is a result too.
    }
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** Milliseconds per line of `size` characters, averaged over enough lines to make 1 MB. */
function perLine(build: (size: number) => string, parse: (line: string) => unknown, size: number): number {
  const line = build(size);
  const count = 1_000_000 / size;
  return (
    time(() => {
      for (let i = 0; i < count; i++) {
        try {
          parse(line);
        } catch {
          // as above
        }
      }
    }) / count
  );
}

function expectLinear(name: string, build: (size: number) => string, parse: (line: string) => unknown): void {
  // The same megabyte as 100 lines of 10 KB, 10 lines of 100 KB and one line of 1 MB, so the heap sees the same
  // volume each time and only the length of the line changes.
  const times = [10_000, 100_000, 1_000_000].map((size) => perLine(build, parse, size));
  const [, t100k, t1m] = times as [number, number, number];
  // 10x the line may cost at most 30x the time (linear with room for cache effects), plus a small absolute cap
  // (50 ms) for timer and GC noise on a busy machine (20 ms failed once at load average 11: 64.4 vs 63.6 ms);
  // and a 1 MB line stays well under a second (a backtracking regex on these lines takes minutes).
  expect(t1m, `${name}: ${times.map((t) => t.toFixed(2)).join(' / ')} ms`).toBeLessThan(30 * t100k + 50);
  expect(t1m, name).toBeLessThan(500);
}

const apacheCases: [string, (size: number) => string][] = [
  ['spaces after the request quote', (n) => `${PREFIX}"${' '.repeat(n)}`],
  ['quote-space pairs ("(.+?)" bait)', (n) => `${PREFIX}"${'" '.repeat(n / 2)}`],
  ['escaped quotes in a terminated request', (n) => `${PREFIX}"GET /${'\\"'.repeat(n / 2)} HTTP/1.1" 200 1`],
  ['brackets', (n) => '['.repeat(n)],
  ['an unterminated timestamp', (n) => `h - - [${'1'.repeat(n)}`],
  ['a 1 MB user agent', (n) => `${PREFIX}"GET / HTTP/1.1" 200 1 "-" "${'Mozilla '.repeat(n / 8)}"`],
  ['backslash runs before quotes', (n) => `${PREFIX}"${'\\\\\\"'.repeat(n / 4)}`],
];

const syslogCases: [string, (size: number) => string][] = [
  ['escaped brackets in an unterminated SD value', (n) => `<14>1 - h a - - [x@1 p="${'\\]'.repeat(n / 2)}`],
  ['many SD params', (n) => `<14>1 - h a - - [x@1${' p="v"'.repeat(n / 6)}] m`],
  // Realistic 50-byte elements: 20,000 of them per megabyte. (With 11-byte ones, 90,000 live result objects push
  // V8's young generation into promotion at 1 MB, a one-off GC step rather than anything the scanner does.)
  [
    'many SD elements',
    (n) => `<14>1 - h a - - ${'[origin ip="192.0.2.1" software="rsyslogd" v="8"]'.repeat(n / 50)} m`,
  ],
  ['a long RFC 3164 message of spaces', (n) => `<34>Oct 11 22:14:15 host app[1]: ${' '.repeat(n)}`],
  ['a long hostname-like word', (n) => `Oct 11 22:14:15 ${'a'.repeat(n)}`],
  ['a long tag without colon', (n) => `Oct 11 22:14:15 host ${'t['.repeat(n / 2)}`],
  ['spaces in place of the timestamp', (n) => `<34>${' '.repeat(n)}`],
];

describe('linear time', () => {
  for (const [name, build] of apacheCases) {
    it(`apache: ${name}`, () => {
      expectLinear(name, build, parseApacheLine);
      const writer = new ByteWriter();
      expectLinear(name, build, (line) => apacheRecordToJson(Buffer.from(line), writer));
    });
  }

  for (const [name, build] of syslogCases) {
    it(`syslog: ${name}`, () => {
      expectLinear(name, build, (line) => parseSyslogLine(line));
    });
  }

  it('a record of many short lines', () => {
    const line = `${PREFIX}"GET / HTTP/1.1" 200 1\n`;
    const build = (n: number) => line.repeat(Math.ceil(n / line.length));
    const writer = new ByteWriter();
    expectLinear('apache json', build, (text) => apacheRecordToJson(Buffer.from(text), writer));
    expectLinear('apache csv', build, (text) => apacheRecordToCsv(Buffer.from(text), writer));
    const syslog = '<34>Oct 11 22:14:15 host app[1]: message\n';
    expectLinear(
      'syslog json',
      (n) => syslog.repeat(Math.ceil(n / syslog.length)),
      (text) => syslogRecordToJson(Buffer.from(text), writer),
    );
  });

  it('a batch of records without a newline: time linear in the number of records', async () => {
    // The bytes mode decodes a whole batch into one buffer: a line search that ran on past its record (to the next
    // newline, in some later record) would make such a batch quadratic. JSON lines with an escaped quote take the
    // line-by-line path, as every CSV line does.
    // ~2 KB records: 20 MB at the larger count, where a search to the end of the batch from every record would
    // read ~100 GB.
    const agent = 'Mozilla/5.0 '.repeat(160);
    const line = (i: number) =>
      `10.0.${i % 256}.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 ${i} "-" "${agent} \\"${i}\\""`;
    const transforms: [string, BytesTransform][] = [
      ['csv', (record, out) => apacheCsv(record, out, { lineEnding: '\n' })],
      ['json', apacheJson],
    ];
    for (const [name, transform] of transforms) {
      const times: number[] = [];
      for (const count of [1_000, 10_000]) {
        const event = firehoseEvent(Array.from({ length: count }, (_, i) => line(i)));
        if (count === 1_000) await processFirehoseBytes(event, transform); // warm-up
        const start = performance.now();
        const result = await processFirehoseBytes(event, transform, {
          maxResponseBytes: Number.POSITIVE_INFINITY,
        });
        times.push(performance.now() - start);
        expect(result.records.every((r) => r.result === 'Ok')).toBe(true);
      }
      // 10x the records: linear is ~10x the time (20x with room for noise), quadratic ~100x.
      expect(times[1]!, `${name}: ${times.map((t) => t.toFixed(1)).join(' / ')} ms`).toBeLessThan(
        20 * times[0]! + 100,
      );
    }
  });
});
