/**
 * The sizes the KPL encoder plans aggregates with (shared/kpl/wire.ts): a wrong one makes aggregate() throw its
 * internal size mismatch or pack past maxBytes, so each is checked against an independent reference at every
 * boundary, including those past the sizes today's maxBytes lets the encoder reach.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FRAMING_LENGTH, MAGIC, md5, utf8Length, varintSize } from '../../shared/kpl/wire';

/** Bytes of the protobuf varint encoding of `value`, by encoding it. */
function referenceVarintSize(value: number): number {
  let v = BigInt(value);
  let bytes = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    bytes++;
  }
  return bytes;
}

describe('KPL wire helpers', () => {
  it('frames an aggregate with the magic F3 89 9A C2 and a 16-byte MD5: 20 bytes', () => {
    expect(MAGIC).toEqual([0xf3, 0x89, 0x9a, 0xc2]);
    expect(FRAMING_LENGTH).toBe(20);
  });

  it('varintSize: 1 to 5 bytes, exact at each 7-bit boundary', () => {
    for (const boundary of [0x80, 0x4000, 0x200000, 0x10000000, 2 ** 35 - 1]) {
      for (const value of [boundary - 1, boundary])
        expect(varintSize(value), String(value)).toBe(referenceVarintSize(value));
    }
    expect(
      [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456].map(varintSize),
    ).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 35 - 1 }), (value) => {
        expect(varintSize(value)).toBe(referenceVarintSize(value));
      }),
    );
  });

  it('utf8Length: the UTF-8 byte count of any well-formed string', () => {
    for (const text of [
      '',
      'a',
      '\u007f',
      '\u0080',
      'é',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '😀',
      '\u{10ffff}',
      'aé€😀',
    ])
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, 'utf8'));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (text) => {
        expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
    );
  });

  it('utf8Length: -1 for a lone surrogate anywhere (UTF-8 cannot carry it)', () => {
    for (const text of [
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      'a\ud83d',
      '\ud83da',
      '\ude00\ud83d',
      '\ud83d\ud83d',
      'x\udfffx',
      '😀\ud800',
      '\ud800\ue000', // a high surrogate followed by a character above the low range
      '\udbff\uffff',
    ])
      expect(utf8Length(text), JSON.stringify(text)).toBe(-1);
  });

  it('md5 is the MD5 digest', () => {
    const bytes = Buffer.from('kinesis');
    expect(Buffer.from(md5(bytes)).equals(createHash('md5').update(bytes).digest())).toBe(true);
    expect(Buffer.from(md5(new Uint8Array(0))).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });
});

describe('md5 on a Node without crypto.hash (Node 20 before 20.12)', () => {
  it('falls back to createHash, with the same digest', async () => {
    vi.resetModules();
    vi.doMock('node:crypto', async (importOriginal) => ({
      ...(await importOriginal<Record<string, unknown>>()),
      hash: undefined,
    }));
    try {
      const wire = await import('../../shared/kpl/wire');
      const bytes = Buffer.from('kinesis');
      expect(Buffer.from(wire.md5(bytes)).equals(createHash('md5').update(bytes).digest())).toBe(true);
    } finally {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    }
  });
});
