/**
 * The syslog fast path on lines next to its guards, held to the careful record path byte for byte (JSON and CSV):
 * an RFC 5424 MSG whose first bytes share one or two bytes with a BOM (EF BB BF) is not a BOM-led MSG; only the
 * whole BOM is dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  ByteWriter,
  syslogRecordToCsv,
  syslogRecordToJson,
  writeSyslogCsv,
  writeSyslogJson,
} from '../../../shared/logformats';
import { takesFastPath } from '../../../shared/logformats/syslog';

const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);
const options = { referenceTime };

/**
 * writeSyslog* over `line` lying in a buffer between `before` and `after` (as the runner's buffer holds a record,
 * next to other records' bytes).
 */
function bytesPath(line: string, format: 'json' | 'csv', before = '', after = ''): string {
  const bytes = Buffer.from(before + line + after);
  const start = Buffer.byteLength(before);
  const end = start + Buffer.byteLength(line);
  const writer = new ByteWriter(256);
  if (format === 'json') writeSyslogJson(bytes, start, end, writer, options);
  else writeSyslogCsv(bytes, start, end, writer, options);
  return Buffer.from(writer.finish()).toString('utf8');
}

function carefulPath(line: string, format: 'json' | 'csv'): string {
  const bytes = Buffer.from(line);
  const out =
    format === 'json'
      ? syslogRecordToJson(bytes, new ByteWriter(), options)
      : syslogRecordToCsv(bytes, new ByteWriter(), options);
  return Buffer.from(out).toString('utf8');
}

/** The output, or the error's message. */
function outcome(run: () => string): string {
  try {
    return run();
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** The bytes path writes `line` (placed between `before` and `after`) as the careful path does, or fails as it does. */
function expectAsCareful(line: string, before = '', after = ''): void {
  for (const format of ['json', 'csv'] as const) {
    expect(outcome(() => bytesPath(line, format, before, after))).toBe(
      outcome(() => carefulPath(line, format)),
    );
  }
}

const header = '<165>1 2024-10-11T22:14:15.003Z host app 1234 ID47 -';

describe('syslog fast path: a MSG that starts like a BOM', () => {
  it.each([
    ['the third byte only (a ÿ: 61 C3 BF)', 'aÿ rest'],
    ['the last two bytes (U+0EFF: E0 BB BF)', '\u0eff rest'],
    ['the first and the last (U+F03F: EF 80 BF)', '\uf03f rest'],
    ['the first two (U+FEC0: EF BB 80)', '\ufec0 rest'],
    ['the whole BOM', '\ufeffrest'],
    ['a BOM after one byte', 'a\ufeffrest'],
  ])('%s', (_, message) => {
    const line = `${header} ${message}`;
    expect(takesFastPath(line, referenceTime)).toBe(true);
    expectAsCareful(line);
    const expected = message.startsWith('\ufeff') ? message.slice(1) : message;
    expect(JSON.parse(bytesPath(line, 'json')).message).toBe(expected);
  });
});

describe('syslog fast path: a UTC time outside years 1-9999 is left to the careful path', () => {
  it.each([
    ['9999-12-31T23:30:00-01:00', '+010000-01-01T00:30:00.000Z'],
    ['9999-12-31T23:59:60Z', '+010000-01-01T00:00:00.000Z'],
    ['0001-01-01T00:30:00+01:00', '0000-12-31T23:30:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('%s is %s UTC', (timestamp, utc) => {
    const line = `<165>1 ${timestamp} host app - - - msg`;
    expectAsCareful(line);
    expect(JSON.parse(bytesPath(line, 'json'))['@timestamp']).toBe(utc);
  });
});

describe('syslog fast path: only a lone - is a NILVALUE', () => {
  const ts = '2024-10-11T22:14:15.003Z';
  it.each([
    `<165>1 -x host app 1 ID - msg`,
    `<165>1 5 host app 1 ID - msg`,
    `<165>1 ${ts} -x -y -1 -M - msg`,
    `<165>1 ${ts} h a 5 M - msg`,
    `<165>1 ${ts} - - - - - msg`,
    `<165>1 ${ts} host app  ID - msg`,
    `<165>1 ${ts} host app 1  - msg`,
    `<165>1 ${ts}  app 1 ID - msg`,
  ])('%s', (line) => {
    expectAsCareful(line);
  });

  it('keeps a one-byte field, or one starting with -, as it is', () => {
    expect(JSON.parse(bytesPath(`<165>1 ${ts} -x -y -1 -M - msg`, 'json'))).toMatchObject({
      hostname: '-x',
      program: '-y',
      processid: '-1',
      msgid: '-M',
    });
    expect(JSON.parse(bytesPath(`<165>1 ${ts} h a 5 M - msg`, 'json'))).toMatchObject({
      hostname: 'h',
      program: 'a',
      processid: '5',
      msgid: 'M',
    });
    expect(() => bytesPath(`<165>1 -x host app 1 ID - msg`, 'json')).toThrow(
      'expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 8',
    );
  });
});

describe('syslog fast path: STRUCTURED-DATA it leaves to the careful path, with and without PRI', () => {
  const elements = (n: number) => Array.from({ length: n }, (_, i) => `[e${i}]`).join('');
  const params = (n: number) => `[p ${Array.from({ length: n }, (_, i) => `n${i}="v"`).join(' ')}]`;
  // Without PRI the line starts "1 ", so a scanner that answered 1 instead of -1 would take byte 1 (a space) for
  // the end of STRUCTURED-DATA.
  it.each([
    ['17 SD-ELEMENTs', elements(17)],
    ['65 SD-PARAMs', params(65)],
    ['an SD-ID that needs escaping', '[a"b x="1"]'],
    ['a repeated SD-ID', '[a x="1"][a]'],
    ['a repeated SD-ID, the second without params', '[a][a x="1"]'],
    ['a repeated PARAM-NAME', '[a x="1" x="2"]'],
    ['a PARAM-NAME without =', '[a x]'],
    ['a PARAM-VALUE without quotes', '[a x=1]'],
    ['a PARAM-VALUE with a backslash', '[a x="\\]"]'],
    ['a PARAM-VALUE with a control character', '[a x="\u0001"]'],
    ['a PARAM-VALUE never closed', '[a x="1'],
    ['an element ending right after a value', '[a x="1"'],
    ['an element not closed by ]', '[a x="1"x]'],
    ['an element not closed by ] before the message', '[a x="1"x'],
    ['a PARAM-NAME without =, then quotes', '[a x]""]'],
    ['a PARAM-VALUE not opened by a quote', '[a x=1"]'],
  ])('%s', (_, data) => {
    for (const pri of ['', '<165>']) {
      const line = `${pri}1 2024-10-11T22:14:15.003Z h a p m ${data} msg`;
      expectAsCareful(line);
    }
  });
});

describe('syslog fast path: a record after other bytes in its buffer, with STRUCTURED-DATA it leaves alone', () => {
  // Bytes that read as a parameter (or a value) from byte 1 on: a scanner that answered 1 for "no" would go on there.
  it.each([
    ['a x="v"] ', '[a"b x="1"]'],
    ['a x="v"] ', '[ x="1"]'],
    ['a x="v"] ', '[a\\b x="1"]'],
    ['a=""] ', '[a x\\y="1"]'],
    ['a=""] ', '[a ="1"]'],
    ['a=""] ', '[a x="1"'],
    ['a x="v"] ', '[a x="1"'],
  ])('after %j: %s', (before, data) => {
    for (const pri of ['', '<165>']) {
      for (const message of [' msg', '']) {
        const line = `${pri}1 2024-10-11T22:14:15.003Z h a p m ${data}${message}`;
        expectAsCareful(line, before);
      }
    }
  });
});

describe('syslog fast path: RFC 3164 lines next to its guards', () => {
  it.each([
    '<13>Octx11 22:14:15 host app: msg',
    '<13>Oct 12x22:14:15 host app: msg',
    '<13>Oct 011 22:14:15 host app: msg',
    '<13>Oct  011 22:14:15 host app: msg',
    '<13>Oct 11 22:14:15 12 app: msg',
    '<13>Oct 11 22:14:15.5 12 app: msg',
    '<13>Oct 11 22:14:15,5 host app: msg',
    '<13>Oct 11 22:14:15 su[12 : msg',
    '<13>Oct 11 22:14:15 host su[12 : msg',
    '<13>Oct 11 22:14:15 host',
    '<13>Oct 11 22:14:15 host app',
    '<13>Oct 11 22:14:15 su[1]',
    '<13>Oct 11 1234X22:14:15 host app: msg',
    '<13>Oct 11 2023 22:14:15 host app: msg',
  ])('%s', (line) => {
    for (const around of ['', ':', ': ', ']: ']) {
      expectAsCareful(line, around, around);
    }
  });
});
