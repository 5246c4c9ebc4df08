/**
 * Wire-level constants and helpers shared by the KPL decoder and encoder (internal; the public API is in
 * ./index.ts). Zero runtime dependencies: node:crypto is a Node built-in.
 */
import { createHash, hash } from 'node:crypto';

/** `F3 89 9A C2`: the first four bytes of every KPL aggregated record. */
export const MAGIC: readonly number[] = [0xf3, 0x89, 0x9a, 0xc2];
export const MAGIC_LENGTH = 4;
export const MD5_LENGTH = 16;
/** Bytes an aggregate spends outside its protobuf message: magic + MD5 trailer. */
export const FRAMING_LENGTH = MAGIC_LENGTH + MD5_LENGTH;

/**
 * MD5 digest of `bytes`. `crypto.hash` (Node >= 20.12) is a one-shot call that skips the Hash object; older
 * Node 20 releases fall back to createHash.
 */
export const md5: (bytes: Uint8Array) => Uint8Array =
  typeof hash === 'function'
    ? (bytes) => hash('md5', bytes, 'buffer')
    : (bytes) => createHash('md5').update(bytes).digest();

/** Number of bytes of the protobuf varint encoding of a non-negative integer below 2^35. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/**
 * Byte length of the UTF-8 encoding of `text`, or -1 when it holds a lone surrogate (which UTF-8 cannot
 * represent: encoders silently replace it with U+FFFD, so it could not round-trip).
 */
export function utf8Length(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return -1;
      bytes += 2; // two UTF-16 units -> four bytes
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return -1;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
