/**
 * compileCidr and compileWildcard directly: prefix lengths at and past their limits, blocks whose length is not a
 * multiple of 16 (IPv6) or 8 (IPv4), embedded IPv4 tails, zone ids, host bits set in the block, and the errors'
 * full text with the character they point at.
 */
import { describe, expect, it } from 'vitest';
import { compileCidr } from '../../../shared/patterns/cidr';
import { compileWildcard, wildcardSegments } from '../../../shared/patterns/wildcard';

const inBlock = (block: string, address: string) => compileCidr(block)(address);

describe('compileCidr', () => {
  it('says what is wrong with a block', () => {
    expect(() => compileCidr('10.0.0.0')).toThrow(
      'must be a CIDR block with a prefix length, e.g. "10.0.0.0/8"',
    );
    expect(() => compileCidr('10.0.0.0/')).toThrow('the prefix length must be a whole number');
    expect(() => compileCidr('10.0.0.0/1a')).toThrow('the prefix length must be a whole number');
    expect(() => compileCidr('10.0.0.0/1234')).toThrow('the prefix length must be a whole number');
    expect(() => compileCidr('10.0.0.0/x8')).toThrow('the prefix length must be a whole number');
    expect(() => compileCidr('10.0.0.0/33')).toThrow('an IPv4 prefix length is at most 32');
    expect(() => compileCidr('2001:db8::/129')).toThrow('an IPv6 prefix length is at most 128');
    expect(() => compileCidr('fe80::1%eth0/64')).toThrow('must start with an IPv4 or IPv6 address');
    expect(() => compileCidr('10.0.0/8')).toThrow('must start with an IPv4 or IPv6 address');
    expect(() => compileCidr('/8')).toThrow('must start with an IPv4 or IPv6 address');
    expect(() => compileCidr('10.0.0.0/32')).not.toThrow();
    expect(() => compileCidr('::/128')).not.toThrow();
  });

  it('matches IPv4 blocks of any length, ignoring host bits set in the block', () => {
    expect(inBlock('10.1.2.3/8', '10.200.0.1')).toBe(true);
    expect(inBlock('10.1.2.3/8', '11.0.0.1')).toBe(false);
    expect(inBlock('192.168.16.0/20', '192.168.31.255')).toBe(true);
    expect(inBlock('192.168.16.0/20', '192.168.32.0')).toBe(false);
    expect(inBlock('192.168.16.0/20', '192.168.15.255')).toBe(false);
    expect(inBlock('128.0.0.0/1', '200.0.0.1')).toBe(true);
    expect(inBlock('128.0.0.0/1', '127.255.255.255')).toBe(false);
    expect(inBlock('0.0.0.0/0', '0.0.0.0')).toBe(true);
    expect(inBlock('10.0.0.9/32', '10.0.0.8')).toBe(false);
    expect(inBlock('255.255.255.255/32', '255.255.255.255')).toBe(true);
    expect(inBlock('10.0.0.0/8', 'not an address')).toBe(false);
  });

  it('matches IPv6 blocks of any length, group by group', () => {
    expect(inBlock('2001:db8::/20', '2001:0fff::1')).toBe(true);
    expect(inBlock('2001:db8::/20', '2001:1000::1')).toBe(false);
    expect(inBlock('2001:db8:abcd::/48', '2001:db8:abcd:ffff::1')).toBe(true);
    expect(inBlock('2001:db8:abcd::/48', '2001:db8:abce::1')).toBe(false);
    expect(inBlock('2001:db8::1/127', '2001:db8::0')).toBe(true);
    expect(inBlock('2001:db8::1/127', '2001:db8::2')).toBe(false);
    expect(inBlock('2001:db8::1/128', '2001:db8::1')).toBe(true);
    expect(inBlock('2001:db8::1/128', '2001:db8::1:1')).toBe(false);
    expect(inBlock('::/0', 'ffff::1')).toBe(true);
    expect(inBlock('ffff::/1', '7fff::1')).toBe(false);
    expect(inBlock('ffff::/1', '8000::')).toBe(true);
    expect(inBlock('2001:db8::/32', '2001:db8:0:0:0:0:0:1')).toBe(true);
    expect(inBlock('2001:db8::/32', '2001:0db8::')).toBe(true);
  });

  it('reads embedded IPv4 tails in blocks and addresses, compressed or not', () => {
    expect(inBlock('::ffff:0:0/96', '0:0:0:0:0:ffff:1.2.3.4')).toBe(true);
    expect(inBlock('::ffff:0:0/96', '::fffe:1.2.3.4')).toBe(false);
    expect(inBlock('::ffff:10.0.0.0/104', '::ffff:10.9.9.9')).toBe(true);
    expect(inBlock('::ffff:10.0.0.0/104', '::ffff:11.0.0.1')).toBe(false);
    expect(inBlock('::ffff:10.0.0.0/120', '::ffff:10.0.0.255')).toBe(true);
    expect(inBlock('::ffff:10.0.0.0/120', '::ffff:10.0.1.0')).toBe(false);
    expect(inBlock('64:ff9b::/96', '64:ff9b::192.0.2.33')).toBe(true);
    expect(inBlock('0:0:0:0:0:ffff:102:304/128', '::ffff:1.2.3.4')).toBe(true);
    expect(inBlock('::1.2.3.4/128', '::1.2.3.4')).toBe(true);
    expect(inBlock('::1.2.3.4/128', '::1.2.3.5')).toBe(false);
  });

  it('keeps address families apart and refuses zone ids', () => {
    expect(inBlock('::/0', '10.0.0.1')).toBe(false);
    expect(inBlock('0.0.0.0/0', '::1')).toBe(false);
    expect(inBlock('::/0', 'fe80::1%eth0')).toBe(false);
    expect(inBlock('::/0', 'not:an:address')).toBe(false);
    expect(inBlock('::/0', 'x')).toBe(false);
  });
});

describe('compileWildcard', () => {
  it('splits a pattern into its literal segments', () => {
    expect(wildcardSegments('a*b*c')).toEqual(['a', 'b', 'c']);
    expect(wildcardSegments('*')).toEqual(['', '']);
    expect(wildcardSegments('a\\*b\\\\*')).toEqual(['a*b\\', '']);
    expect(wildcardSegments('abc')).toEqual(['abc']);
  });

  it('points at the character a broken pattern goes wrong at', () => {
    expect(() => compileWildcard('ab\\c')).toThrow('a backslash may only escape * or \\ (at character 3)');
    expect(() => compileWildcard('ab\\')).toThrow('a backslash may only escape * or \\ (at character 3)');
    expect(() => compileWildcard('abc**')).toThrow(
      'consecutive wildcard characters are not allowed (at character 4)',
    );
  });

  it('finds the middle segments in order, each after the previous one, inside the ends (KMP restarts)', () => {
    /** The same glob as a regular expression: fine for these short texts. */
    const reference = (pattern: string, text: string) =>
      new RegExp(
        `^${wildcardSegments(pattern)
          .map((segment) => segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        's',
      ).test(text);
    const cases: [string, string][] = [
      ['ab*aab*aaab*b', 'abaabaaabb'],
      ['ab*aab*aaab*b', 'abaaabaabb'],
      ['ab*aab*aaab*b', 'ab-aaab-aab-aaab-b'],
      ['a*aa*a', 'aaaa'],
      ['a*aa*a', 'aaa'],
      ['a*aa*a', 'a-aa-a'],
      ['*abab*', 'aabaabab'],
      ['*abab*', 'abaaba'],
      ['*aabaab*', 'aabaaabaab'],
      ['*aabaab*', 'xaabaabaabx'],
      ['*aabaab*', 'aabaabx'],
      ['*abcabd*', 'abcabcabd'],
      ['*abcabd*', 'abcabcab'],
      ['*aaab*', 'aaaab'],
      ['*aaab*', 'aaaaaab'],
      ['*abaabab*', 'abaababaabab'],
      ['*aabb*', 'aababb'],
      ['*aabb*', 'aaababb'],
      ['*aabb*', 'xaabbx'],
      ['*x*', 'abc'],
      ['ab*ba', 'aba'],
      ['ab*ba', 'abba'],
      ['a*b*c', 'acb'],
      ['a*b*c', 'a-c-b-c'],
      ['a*b*', 'a-c'],
      ['x*', 'x'],
      ['x*', 'yx'],
      ['*', ''],
    ];
    const outcomes = cases.map(([pattern, text]) => {
      const expected = reference(pattern, text);
      expect(compileWildcard(pattern)(text), `${pattern} on ${text}`).toBe(expected);
      return expected;
    });
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(8);
    expect(outcomes.filter((o) => !o).length).toBeGreaterThan(8);
  });
});
