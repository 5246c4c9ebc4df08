/**
 * EventBridge `cidr` values: an IPv4 (`10.0.0.0/8`) or IPv6 (`2001:db8::/32`) block. An IPv4 block matches IPv4
 * address strings, an IPv6 block IPv6 address strings (no zone ids). Host bits set in the block are ignored.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** 8 16-bit groups of an IPv6 address (validated by the caller), embedded IPv4 tails included. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = ipv4Number(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    text = `${text.slice(0, lastColon + 1)}0`; // placeholder group, removed below
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  let groups: number[];
  if (halves.length === 2) {
    const head = parse(halves[0]!);
    const rest = parse(halves[1]!);
    if (tail.length > 0) rest.pop();
    const fill = 8 - tail.length - head.length - rest.length;
    if (fill < 0) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = parse(text);
    if (tail.length > 0) groups.pop();
  }
  groups.push(...tail);
  if (groups.length !== 8 || groups.some((group) => !(group >= 0 && group <= 0xffff))) return undefined;
  return groups;
}

function ipv4Number(address: string): number | undefined {
  if (!isIPv4(address)) return undefined;
  const parts = address.split('.').map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Compiles a CIDR block into a test over address strings. Throws an Error saying what is invalid. */
export function compileCidr(block: string): (address: string) => boolean {
  const slash = block.indexOf('/');
  if (slash < 0) throw new Error('must be a CIDR block with a prefix length, e.g. "10.0.0.0/8"');
  const base = block.slice(0, slash);
  const lengthText = block.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) throw new Error('the prefix length must be a whole number');
  const bits = Number(lengthText);
  if (isIPv4(base)) {
    if (bits > 32) throw new Error('an IPv4 prefix length is at most 32');
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const network = (ipv4Number(base)! & mask) >>> 0;
    return (address) => {
      const value = ipv4Number(address);
      return value !== undefined && (value & mask) >>> 0 === network;
    };
  }
  if (isIPv6(base) && !base.includes('%')) {
    if (bits > 128) throw new Error('an IPv6 prefix length is at most 128');
    const network = ipv6Groups(base);
    if (!network) throw new Error('not an IPv6 address');
    return (address) => {
      if (!address.includes(':') || !isIPv6(address) || address.includes('%')) return false;
      const groups = ipv6Groups(address);
      if (!groups) return false;
      let remaining = bits;
      for (let i = 0; i < 8 && remaining > 0; i++, remaining -= 16) {
        const take = Math.min(16, remaining);
        const mask = (0xffff << (16 - take)) & 0xffff;
        if ((groups[i]! & mask) !== (network[i]! & mask)) return false;
      }
      return true;
    };
  }
  throw new Error('must start with an IPv4 or IPv6 address');
}
