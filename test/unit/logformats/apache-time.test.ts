/**
 * The Apache timestamp writer (shared/logformats/apache.ts) against a Date-based reference: the way the
 * blueprint computed `@timestamp`, `timezone` and `@timestamp_utc` before it wrote them from the parsed digits, with
 * the same validation and the same error messages and columns.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runs } from '../../support/property-runs';
import {
  apacheRecordToCsv,
  apacheRecordToJson,
  ByteWriter,
  LogParseError,
  parseApacheLine,
} from '../../../shared/logformats';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Reference =
  | { ok: true; timestamp: string; timestampUtc: string; timezone: string | null }
  | { ok: false; problem: string; offsetProblem: boolean };

/** What `[datetime]` gives, computed with Date (as the blueprint did up to issue 11). ASCII input only. */
function reference(datetime: string): Reference {
  const shape: Reference = {
    ok: false,
    problem: 'expected a timestamp like 10/Oct/2000:13:55:36 -0700',
    offsetProblem: false,
  };
  if (datetime.length !== 20 && datetime.length !== 26) return shape;
  const match = /^(\d\d)\/([A-Z][a-z][a-z])\/(\d{4}):(\d\d):(\d\d):(\d\d)/.exec(datetime);
  if (!match || !MONTHS.includes(match[2]!)) return shape;
  const [day, year, hour, minute, second] = [1, 3, 4, 5, 6].map((i) => Number(match[i]));
  const month = MONTHS.indexOf(match[2]!);
  const date = new Date(0);
  date.setUTCFullYear(year!, month, day!);
  if (
    year! < 1 ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month ||
    date.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 60
  ) {
    return { ok: false, problem: 'invalid date or time', offsetProblem: false };
  }
  // A leap second rolls into the next minute.
  date.setUTCHours(hour!, minute!, second!, 0);
  const wallClock = date.getTime();
  if (datetime.length === 20) {
    const iso = new Date(wallClock).toISOString();
    return { ok: true, timestamp: iso, timestampUtc: iso, timezone: null };
  }
  const zone = /^ ([+-])(\d\d)([0-5]\d)$/.exec(datetime.slice(20));
  if (!zone) return { ok: false, problem: 'expected a UTC offset like -0700', offsetProblem: true };
  const offsetMinutes = Number(zone[2]) * 60 + Number(zone[3]);
  if (offsetMinutes > 18 * 60) return { ok: false, problem: 'UTC offset beyond ±1800', offsetProblem: true };
  const timezone = datetime.slice(21);
  const utc = wallClock - (zone[1] === '+' ? 1 : -1) * offsetMinutes * 60_000;
  return {
    ok: true,
    timestamp: `${new Date(wallClock).toISOString().slice(0, -1)}${timezone === '-0000' ? '+00' : timezone.slice(0, 3)}:${timezone.slice(3)}`,
    timestampUtc: new Date(utc).toISOString(),
    timezone,
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** Timestamps around every boundary the writer handles, valid or not, and near misses of their shape. */
const datetime = fc
  .tuple(
    fc.oneof(fc.constantFrom(1, 28, 29, 30, 31), fc.integer({ min: 0, max: 32 })),
    fc.oneof(fc.constantFrom(1, 2, 3, 4, 12), fc.integer({ min: 1, max: 12 })),
    fc.oneof(
      fc.constantFrom(1, 4, 99, 100, 400, 1600, 1900, 1970, 2000, 2023, 2024, 2100, 9998, 9999),
      fc.integer({ min: 0, max: 9999 }),
    ),
    fc.oneof(fc.constantFrom(0, 23), fc.integer({ min: 0, max: 24 })),
    fc.oneof(fc.constantFrom(0, 59), fc.integer({ min: 0, max: 60 })),
    fc.oneof(fc.constantFrom(0, 59, 60), fc.integer({ min: 0, max: 61 })),
    fc.oneof(
      fc.constant(''),
      fc.constantFrom(
        ' +1400',
        ' -1200',
        ' +1800',
        ' -1800',
        ' -0000',
        ' +0000',
        ' +0530',
        ' -0930',
        ' +1801',
      ),
      fc
        .tuple(
          fc.constantFrom('+', '-'),
          fc.integer({ min: 0, max: 19 }),
          fc.oneof(fc.constantFrom(0, 30, 45, 59), fc.integer({ min: 0, max: 60 })),
        )
        .map(([sign, hh, mm]) => ` ${sign}${two(hh)}${two(mm)}`),
    ),
  )
  .map(
    ([d, mo, y, h, mi, s, zone]) =>
      `${two(d)}/${MONTHS[mo - 1]}/${String(y).padStart(4, '0')}:${two(h)}:${two(mi)}:${two(s)}${zone}`,
  );
/** The same, sometimes with one character replaced, inserted or cut off. */
const mutatedDatetime = fc.oneof(
  { weight: 6, arbitrary: datetime },
  fc
    .tuple(datetime, fc.nat(), fc.constantFrom('0', '9', '/', ':', ' ', '+', '-', 'a', 'J', 'x', '\u0000'))
    .map(([text, at, c]) => text.slice(0, at % text.length) + c + text.slice((at % text.length) + 1)),
  fc
    .tuple(datetime, fc.nat(), fc.constantFrom('0', ' ', ':'))
    .map(([text, at, c]) => text.slice(0, at % text.length) + c + text.slice(at % text.length)),
  fc.tuple(datetime, fc.nat()).map(([text, at]) => text.slice(0, at % text.length)),
);

const lineWith = (dt: string) => `h - - [${dt}] "GET / HTTP/1.1" 200 1`;
const writer = new ByteWriter();
const json = (line: string) => Buffer.from(apacheRecordToJson(Buffer.from(line), writer)).toString('utf8');
const csv = (line: string) => Buffer.from(apacheRecordToCsv(Buffer.from(line), writer)).toString('utf8');

/** What each way in gives for a line with this timestamp: the same fields, or the same error. */
function check(dt: string): void {
  const expected = reference(dt);
  const line = lineWith(dt);
  if (!expected.ok) {
    // The timestamp starts at column 8; offset problems are reported at its 21st character.
    const message = `apache: ${expected.problem} at column ${expected.offsetProblem ? 28 : 8}`;
    expect(() => parseApacheLine(line)).toThrow(message);
    expect(() => json(line)).toThrow(message);
    expect(() => csv(line)).toThrow(message);
    return;
  }
  const { timestamp, timestampUtc, timezone } = expected;
  expect(json(line)).toBe(
    `{"host":"h","ident":"-","authuser":"-","@timestamp":"${timestamp}","timezone":${timezone === null ? 'null' : `"${timezone}"`},` +
      `"@timestamp_utc":"${timestampUtc}","request":"GET / HTTP/1.1","verb":"GET","path":"/","protocol":"HTTP/1.1",` +
      `"response":200,"bytes":1,"referrer":null,"agent":null}\n`,
  );
  expect(parseApacheLine(line)).toMatchObject({ datetime: dt, timestamp, timestampUtc, timezone });
  expect(csv(line)).toBe(
    `h,-,-,${dt},GET / HTTP/1.1,200,1,${timestampUtc},${timezone ?? ''},GET,/,HTTP/1.1,,\n`,
  );
}

describe('apache timestamps', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes the ISO forms across day, month and year boundaries, leap days and extreme offsets', () => {
    const cases: [string, string, string][] = [
      ['10/Oct/2000:13:55:36 -0700', '2000-10-10T13:55:36.000-07:00', '2000-10-10T20:55:36.000Z'],
      ['29/Feb/2024:20:00:00 -1200', '2024-02-29T20:00:00.000-12:00', '2024-03-01T08:00:00.000Z'],
      ['01/Mar/2024:05:00:00 +1400', '2024-03-01T05:00:00.000+14:00', '2024-02-29T15:00:00.000Z'],
      ['01/Mar/2023:05:00:00 +1400', '2023-03-01T05:00:00.000+14:00', '2023-02-28T15:00:00.000Z'],
      ['01/Mar/2100:05:00:00 +1400', '2100-03-01T05:00:00.000+14:00', '2100-02-28T15:00:00.000Z'],
      ['01/Mar/2000:05:00:00 +1400', '2000-03-01T05:00:00.000+14:00', '2000-02-29T15:00:00.000Z'],
      ['31/Dec/2023:18:30:00 -0530', '2023-12-31T18:30:00.000-05:30', '2024-01-01T00:00:00.000Z'],
      ['01/Jan/2024:00:00:00 +0000', '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00.000Z'],
      ['01/Jan/2024:00:00:00 -0000', '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00.000Z'],
      ['01/Jan/0001:00:00:00 +1400', '0001-01-01T00:00:00.000+14:00', '0000-12-31T10:00:00.000Z'],
      ['30/Apr/2024:23:59:60 +0200', '2024-05-01T00:00:00.000+02:00', '2024-04-30T22:00:00.000Z'],
      ['31/Dec/2023:23:59:60 -0100', '2024-01-01T00:00:00.000-01:00', '2024-01-01T01:00:00.000Z'],
      // Date#toISOString writes year 10000 expanded; so does the writer.
      ['31/Dec/9999:23:59:60 +0000', '+010000-01-01T00:00:00.000+00:00', '+010000-01-01T00:00:00.000Z'],
      ['31/Dec/9999:20:00:00 -1800', '9999-12-31T20:00:00.000-18:00', '+010000-01-01T14:00:00.000Z'],
      ['31/Dec/9999:23:59:59', '9999-12-31T23:59:59.000Z', '9999-12-31T23:59:59.000Z'],
    ];
    for (const [dt, timestamp, timestampUtc] of cases) {
      expect(reference(dt)).toMatchObject({ timestamp, timestampUtc });
      check(dt);
    }
  });

  it('rejects impossible dates exactly as before: 31/Apr, 29/Feb/2023, 29/Feb/1900, day 0, year 0', () => {
    for (const dt of [
      '31/Apr/2024:00:00:00 +0000',
      '29/Feb/2023:13:55:36 +0000',
      '29/Feb/1900:13:55:36',
      '30/Feb/2024:00:00:00 -0700',
      '00/Jan/2024:00:00:00 -0700',
      '01/Jan/0000:00:00:00 -0700',
      '01/Jan/2024:23:60:00 -0700',
      '01/Jan/2024:23:59:61 -0700',
      // The date is checked before the offset.
      '31/Apr/2024:00:00:00 +2400',
    ]) {
      expect(reference(dt)).toMatchObject({ ok: false, problem: 'invalid date or time' });
      check(dt);
    }
    check('29/Feb/2000:13:55:36 +0000');
    expect(reference('29/Feb/2000:13:55:36 +0000').ok).toBe(true);
  });

  it('property: the same output as the Date-based reference, or the same error, on any timestamp', () => {
    fc.assert(fc.property(mutatedDatetime, check), { numRuns: runs(10_000) });
  });

  it('property: a run of timestamps, repeated or not, valid or not, each written as the reference does', () => {
    // The cache of the last timestamp: a failed one leaves it as it was; a repeat hits it; either path may fill it.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(mutatedDatetime, fc.constant('10/Oct/2000:13:55:36 -0700')), { maxLength: 12 }),
        (run) => {
          for (const dt of run) check(dt);
        },
      ),
      { numRuns: runs(1_000) },
    );
  });

  it('uses no Date: a line with a new timestamp costs no toISOString call', () => {
    const toISOString = vi.spyOn(Date.prototype, 'toISOString');
    const lines = Array.from(
      { length: 50 },
      (_, i) =>
        `h - - [${two(1 + (i % 28))}/Feb/2024:${two(i % 24)}:07:${two(i % 60)} ${i % 2 ? '+' : '-'}0${i % 10}30] "GET / HTTP/1.1" 200 1`,
    );
    const out = lines.map(json);
    for (const line of lines) {
      parseApacheLine(line);
      csv(line);
    }
    expect(toISOString).not.toHaveBeenCalled();
    // (The outputs are right: the property above checks them against the reference.)
    expect(new Set(out).size).toBe(lines.length);
  });

  it('reports errors as LogParseError without the timestamp text', () => {
    try {
      parseApacheLine(lineWith('31/Apr/2024:00:00:00 +0000'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LogParseError);
      expect((error as Error).message).not.toContain('Apr');
    }
  });
});
