import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonBytes } from '../../../shared/kinesis/json-bytes';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The reference: what the runner's eager decode accepts (fatal UTF-8, one BOM dropped, JSON.parse). */
function reference(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    return false;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function agrees(bytes: Uint8Array): void {
  expect(isJsonBytes(bytes), Buffer.from(bytes).toString('hex')).toBe(reference(bytes));
}
const utf8 = (text: string) => Buffer.from(text, 'utf8');

// JSON text (not values): odd numbers, escapes, whitespace of every kind JSON allows, nesting.
const space = fc.constantFrom('', ' ', '\t', '\n', '\r\n', '  ');
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('0', '-0', '1e400', '-1E-400', '0.5e+3', '12345678901234567890', '2.50'),
);
const stringText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\ud800"', '"\\uDFFF"', '"\\/"', '"\\b\\f\\n\\r\\t"', '"é😀"', '"\u007f"'),
);
const { json } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    fc
      .array(fc.tuple(space, tie('json'), space), { maxLength: 4 })
      .map((items) => `[${items.map(([a, v, b]) => `${a}${v}${b}`).join(',')}]`),
    fc
      .array(fc.tuple(space, stringText, space, tie('json')), { maxLength: 4 })
      .map((members) => `{${members.map(([a, k, b, v]) => `${a}${k}${b}:${v}`).join(',')}}`),
  ),
}));
const document = fc
  .tuple(fc.boolean(), space, json, space)
  .map(([bom, a, v, b]) => `${bom ? '\uFEFF' : ''}${a}${v}${b}`);

/** Bytes that matter to a JSON scanner, so that mutations hit interesting cases often. */
const interestingByte = fc.constantFrom(
  0x22,
  0x5c,
  0x7b,
  0x7d,
  0x5b,
  0x5d,
  0x2c,
  0x3a,
  0x2d,
  0x2b,
  0x2e,
  0x30,
  0x31,
  0x65,
  0x45,
  0x75,
  0x74,
  0x66,
  0x6e,
  0x20,
  0x09,
  0x0a,
  0x0d,
  0x0b,
  0x0c,
  0x00,
  0x1f,
  0x7f,
  0x80,
  0xbf,
  0xc0,
  0xc2,
  0xe0,
  0xed,
  0xef,
  0xbb,
  0xf0,
  0xf4,
  0xf5,
  0xff,
  0xa0,
);
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: interestingByte }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(bytes: Buffer, mutations: { kind: string; at: number; byte: number }[]): Buffer {
  let out = Buffer.from(bytes);
  for (const { kind, at, byte } of mutations) {
    const i = out.length === 0 ? 0 : at % (out.length + (kind === 'insert' ? 1 : 0));
    if (kind === 'set' && out.length > 0) out[i] = byte;
    else if (kind === 'insert')
      out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
    else if (kind === 'delete' && out.length > 0)
      out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else if (kind === 'truncate') out = out.subarray(0, i);
  }
  return out;
}

describe('isJsonBytes agrees with TextDecoder(fatal) + JSON.parse', () => {
  it('accepts every JSON document (with or without a BOM, any whitespace)', () => {
    fc.assert(
      fc.property(document, (text) => {
        expect(isJsonBytes(utf8(text))).toBe(true);
        agrees(utf8(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: agrees on mutated documents (flipped, inserted, deleted bytes; truncation)', () => {
    fc.assert(
      fc.property(document, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, mutations) =>
        agrees(mutate(utf8(text), mutations)),
      ),
      { numRuns: 5000 },
    );
  });

  it('property: agrees on random bytes and on random strings of JSON characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => agrees(bytes)),
      { numRuns: 3000 },
    );
    const alphabet = fc.constantFrom(
      ...'{}[],:"\\ -+.0123456789eEtrufalsn\t\n\ré\u0000\u001f\ufeff'.split(''),
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 16 }), (chars) => agrees(utf8(chars.join('')))),
      { numRuns: 5000 },
    );
  });

  it('agrees on the edge cases of the grammar', () => {
    const cases = [
      '',
      ' ',
      '\uFEFF',
      '\uFEFF\uFEFF{}',
      '{}',
      '[]',
      '[ ]',
      '{ }',
      '""',
      '"\\u00e9"',
      '"\\u00G9"',
      '"\\x41"',
      '"\\\'"',
      '"a\u0000b"',
      '"a\u001fb"',
      '"a\u007fb"',
      '"\\ud800"',
      '0',
      '-',
      '-0',
      '01',
      '-01',
      '1.',
      '.5',
      '1e',
      '1e+',
      '1E-2',
      '1.5e3',
      '+1',
      '0x10',
      'Infinity',
      'NaN',
      'true',
      'tru',
      'truee',
      'nul',
      'null ',
      ' null',
      'false,',
      '[1,]',
      '[,1]',
      '{"a":1,}',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '{"a":1}}',
      '[[[]]]',
      '[1 2]',
      '{"a":1 "b":2}',
      '\u000b1',
      '\u000c1',
      '\u00a01',
      '1\u2028',
      '{"a":[{"b":{"c":[1,{"d":null}]}}]}',
      '"unterminated',
      '"\\"',
      '"\\u12"',
      '[1]\n',
      '\r\n[1]\r\n',
      '{"a":"\n"}',
      '{"a":"\\n"}',
    ];
    for (const text of cases) agrees(utf8(text));
  });

  it('applies UTF-8 exactly as a fatal TextDecoder does (overlong forms, surrogates, beyond U+10FFFF, truncated)', () => {
    const inString = (...bytes: number[]) => Buffer.from([0x22, ...bytes, 0x22]);
    const cases = [
      inString(0xc3, 0xa9), // é
      inString(0xc0, 0xaf), // overlong '/'
      inString(0xe0, 0x80, 0xaf), // overlong
      inString(0xed, 0xa0, 0x80), // an encoded surrogate (U+D800)
      inString(0xf4, 0x8f, 0xbf, 0xbf), // U+10FFFF
      inString(0xf4, 0x90, 0x80, 0x80), // beyond U+10FFFF
      inString(0xf0, 0x9f, 0x98), // truncated 😀
      inString(0x80),
      inString(0xff),
      Buffer.from([0xef, 0xbb, 0xbf, 0x31]), // BOM then 1
      Buffer.from([0xef, 0xbb, 0x31]), // a broken BOM
      Buffer.from([0xc3, 0xa9]), // é outside a string
    ];
    for (const bytes of cases) agrees(bytes);
  });

  it('takes any depth of nesting, as JSON.parse does', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    agrees(utf8(deep));
    expect(isJsonBytes(utf8(deep))).toBe(true);
    expect(isJsonBytes(utf8(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`))).toBe(true);
    expect(isJsonBytes(utf8(`${'['.repeat(1000)}${']'.repeat(999)}`))).toBe(false);
  });

  it('keeps each container`s kind when nesting outgrows every earlier document (objects inside arrays, 200,000 deep)', () => {
    // Deeper than the tests above reach, so the scanner's stack grows during this call: the kinds already on it
    // must survive the growth, or an object would be taken for an array at its closing brace.
    const deep = `${'[{"a":'.repeat(100_000)}1${'}]'.repeat(100_000)}`;
    expect(isJsonBytes(utf8(deep))).toBe(true);
    expect(isJsonBytes(utf8(`${deep.slice(0, -1)}}`))).toBe(false);
    agrees(utf8(deep));
  });

  it('reads a view at its offset (records are views into one aggregate)', () => {
    const whole = utf8('xx{"a":1}yy');
    expect(isJsonBytes(whole.subarray(2, 9))).toBe(true);
    expect(isJsonBytes(new Uint8Array(whole.buffer, whole.byteOffset + 1, 8))).toBe(false);
  });
});
