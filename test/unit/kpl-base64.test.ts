/**
 * The base64 check of deaggregate (shared/kpl/base64.ts): what is accepted, and the reason a rejected record is
 * dead-lettered with (KplInputError.reason: where and what, never the data).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deaggregate, KplInputError } from '../../shared/kpl';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

/** The reason deaggregate gives for `data`, checked to come with the record's coordinates. */
function reason(data: string): string {
  try {
    deaggregate({ data, partitionKey: 'pk-1', sequenceNumber: SEQ });
  } catch (error) {
    expect(error).toBeInstanceOf(KplInputError);
    const kpl = error as KplInputError;
    expect(kpl.message).toBe(
      `Kinesis record ${SEQ} (partition key pk-1): data is not valid base64: ${kpl.reason}`,
    );
    return kpl.reason;
  }
  throw new Error(`accepted ${JSON.stringify(data)}`);
}

const decoded = (data: string) =>
  Buffer.from(deaggregate({ data, partitionKey: 'pk', sequenceNumber: SEQ })[0]!.data);

describe('base64 record data', () => {
  it('accepts every character of the standard alphabet, padded or not', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    expect(decoded(alphabet).equals(Buffer.from(alphabet, 'base64'))).toBe(true);
    expect(decoded('AZaz09+/').toString('hex')).toBe('0196b3d3dfbf');
    expect(decoded('').length).toBe(0);
  });

  it('property: decodes what Buffer encodes, with and without its padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const padded = Buffer.from(bytes).toString('base64');
        expect(decoded(padded).equals(Buffer.from(bytes))).toBe(true);
        expect(decoded(padded.replace(/=+$/, '')).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('names the first character outside the alphabet, printable or not, and where it is', () => {
    // Valid characters at each end of every alphabet range come first: only the bad one may be named.
    expect(reason('AZaz09+/-AAA')).toBe("invalid character '-' at offset 8");
    expect(reason('AZaz09+/_AAA')).toBe("invalid character '_' at offset 8");
    expect(reason('-AAA')).toBe("invalid character '-' at offset 0");
    expect(reason('_AAA')).toBe("invalid character '_' at offset 0");
    for (const c of ['@', '[', '`', '{', ':', '.', ',', '*', '!', '~'])
      expect(reason(`AZaz09+/AA${c}A`)).toBe(`invalid character '${c}' at offset 10`);
    expect(reason('aGVs bG8')).toBe('invalid character U+0020 at offset 4');
    expect(reason('aGVs\nbG8')).toBe('invalid character U+000A at offset 4');
    expect(reason('aGVs\u007fbG8')).toBe('invalid character U+007F at offset 4');
    expect(reason('aGVsbG8é')).toBe('invalid character U+00E9 at offset 7');
    expect(reason('aGVsbG8\u{1F600}A')).toBe('invalid character U+D83D at offset 7');
  });

  it('refuses padding anywhere but the end, and more of it than base64 has', () => {
    expect(reason('aGk=aGk=')).toBe("invalid character '=' at offset 3");
    expect(reason('aA=A')).toBe("invalid character '=' at offset 2");
    expect(reason('a===')).toBe("invalid character '=' at offset 1");
    expect(reason('====')).toBe("invalid character '=' at offset 0");
  });

  it('refuses padded text of a length that is not a multiple of 4, and a dangling character', () => {
    expect(reason('aGk==')).toBe('padded text must be a multiple of 4 characters long (it is 5)');
    expect(reason('aGVs bG8=')).toBe('padded text must be a multiple of 4 characters long (it is 9)');
    expect(reason('=')).toBe('padded text must be a multiple of 4 characters long (it is 1)');
    expect(reason('a')).toBe('a final group of 1 character encodes no whole byte (length 1)');
    expect(reason('aGVsb')).toBe('a final group of 1 character encodes no whole byte (length 5)');
    expect(reason('aGVsb===')).toBe("invalid character '=' at offset 5");
  });
});
