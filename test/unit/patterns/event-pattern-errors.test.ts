/**
 * Event patterns: the full text of every error a rule author can meet (path and problem), the operator arguments
 * that are refused (non-finite numbers, wrong shapes), the bounds of a numeric range, `$or`-only patterns and
 * `exists: false` under an empty array. Plain test titles: one `it` per concern, several patterns each.
 */
import { describe, expect, it } from 'vitest';
import { compilePattern, PatternError } from '../../../shared/patterns';

/** The PatternError a pattern raises, as "path: problem". */
function problem(pattern: unknown): string {
  try {
    compilePattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(PatternError);
    expect((error as Error).name).toBe('PatternError');
    return (error as Error).message;
  }
  throw new Error(`compiled: ${JSON.stringify(pattern)}`);
}
const matches = (pattern: unknown, event: unknown) => compilePattern(pattern)(event);

describe('pattern errors: the pattern itself', () => {
  it('names what the pattern is when it is not an object', () => {
    expect(problem(null)).toBe('(pattern): must be a JSON object, not null');
    expect(problem([])).toBe('(pattern): must be a JSON object, not an array');
    expect(problem('x')).toBe('(pattern): must be a JSON object, not a string');
    expect(problem({})).toBe('(pattern): must name at least one field');
    expect(problem({ a: 1 })).toBe(
      'a: must be an array of values to match (e.g. [1]) or a nested object, not a number',
    );
    expect(problem({ a: null })).toBe(
      'a: must be an array of values to match (e.g. [null]) or a nested object, not null',
    );
  });

  it('accepts a pattern of $or alone, and checks each alternative', () => {
    const pattern = { $or: [{ a: [1] }, { b: [2] }] };
    expect(matches(pattern, { b: 2 })).toBe(true);
    expect(matches(pattern, { c: 2 })).toBe(false);
    expect(problem({ $or: [{}, { a: [1] }] })).toBe('$or[0]: must name at least one field');
    expect(problem({ $or: [{ a: [1] }, { b: 'x' }] })).toMatch(/^\$or\[1\]\.b: must be an array of values/);
    const nested = { $or: [{ $or: [{ a: [1] }, { b: [1] }] }, { c: [1] }] };
    expect(matches(nested, { b: 1 })).toBe(true);
    expect(matches(nested, { d: 1 })).toBe(false);
  });
});

describe('pattern errors: values and operators', () => {
  it('refuses numbers that are not finite', () => {
    expect(problem({ a: [Number.POSITIVE_INFINITY] })).toBe('a[0]: must be a finite number');
    expect(problem({ a: [{ numeric: ['>', Number.NaN] }] })).toBe('a[0].numeric[1]: must be a finite number');
    expect(problem({ a: [{ numeric: ['<', Number.POSITIVE_INFINITY] }] })).toBe(
      'a[0].numeric[1]: must be a finite number',
    );
    expect(problem({ a: [{ numeric: ['>', '1'] }] })).toBe('a[0].numeric[1]: must be a finite number');
  });

  it('lists the operators when one is unknown', () => {
    expect(problem({ a: [{ prefx: 'x' }] })).toBe(
      'a[0]: unknown operator "prefx" (one of prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard)',
    );
  });

  it('takes a string, or {"equals-ignore-case": string}, for prefix and suffix', () => {
    const shape = 'must be a string, or {"equals-ignore-case": "<string>"}';
    expect(problem({ a: [{ prefix: null }] })).toBe(`a[0].prefix: ${shape}`);
    expect(problem({ a: [{ suffix: ['x'] }] })).toBe(`a[0].suffix: ${shape}`);
    expect(problem({ a: [{ prefix: { 'equals-ignore-case': 'a', extra: 1 } }] })).toBe(
      `a[0].prefix: ${shape}`,
    );
    expect(problem({ a: [{ prefix: { 'equals-ignore-case': 1 } }] })).toBe(
      'a[0].prefix.equals-ignore-case: must be a string',
    );
    expect(matches({ a: [{ suffix: { 'equals-ignore-case': 'LOG' } }] }, { a: 'app.Log' })).toBe(true);
  });

  it('takes a string for equals-ignore-case and wildcard, and a CIDR string for cidr', () => {
    expect(problem({ a: [{ 'equals-ignore-case': 1 }] })).toBe('a[0].equals-ignore-case: must be a string');
    expect(problem({ a: [{ wildcard: 1 }] })).toBe('a[0].wildcard: must be a string');
    expect(problem({ a: [{ cidr: 1 }] })).toBe('a[0].cidr: must be a CIDR block string, e.g. "10.0.0.0/8"');
  });
});

describe('pattern errors: anything-but', () => {
  it('takes a string, a finite number, or a non-empty list of only one of them', () => {
    const at = 'a[0].anything-but';
    expect(problem({ a: [{ 'anything-but': Number.POSITIVE_INFINITY }] })).toBe(
      `${at}: must be a string, a number, a list of either, or an object, not a number`,
    );
    expect(problem({ a: [{ 'anything-but': null }] })).toBe(
      `${at}: must be a string, a number, a list of either, or an object, not null`,
    );
    expect(problem({ a: [{ 'anything-but': true }] })).toBe(
      `${at}: must be a string, a number, a list of either, or an object, not a boolean`,
    );
    expect(problem({ a: [{ 'anything-but': [] }] })).toBe(`${at}: must list at least one value`);
    expect(problem({ a: [{ 'anything-but': [1, Number.POSITIVE_INFINITY] }] })).toBe(
      `${at}: a list must hold only strings or only numbers`,
    );
    expect(matches({ a: [{ 'anything-but': [1, 2] }] }, { a: 3 })).toBe(true);
    expect(matches({ a: [{ 'anything-but': [1, 2] }] }, { a: 2 })).toBe(false);
  });

  it('takes an object of exactly one of prefix, suffix, equals-ignore-case, wildcard', () => {
    const at = 'a[0].anything-but';
    const one = 'an object here holds exactly one of prefix, suffix, equals-ignore-case, wildcard';
    expect(problem({ a: [{ 'anything-but': {} }] })).toBe(`${at}: ${one}`);
    expect(problem({ a: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] })).toBe(`${at}: ${one}`);
    expect(problem({ a: [{ 'anything-but': { numeric: ['>', 1] } }] })).toBe(`${at}: ${one}`);
    expect(problem({ a: [{ 'anything-but': { prefix: 1 } }] })).toBe(`${at}.prefix: must be a string`);
    expect(problem({ a: [{ 'anything-but': { prefix: ['a'] } }] })).toBe(`${at}.prefix: must be a string`);
    expect(problem({ a: [{ 'anything-but': { wildcard: 'a**' } }] })).toBe(
      `${at}.wildcard: consecutive wildcard characters are not allowed (at character 2)`,
    );
    expect(matches({ a: [{ 'anything-but': { prefix: 'x' } }] }, { a: 'yz' })).toBe(true);
    expect(matches({ a: [{ 'anything-but': { prefix: 'x' } }] }, { a: 'xz' })).toBe(false);
  });

  it('takes a non-empty list of strings for equals-ignore-case', () => {
    const at = 'a[0].anything-but.equals-ignore-case';
    const list = 'must be a string or a non-empty list of strings';
    expect(problem({ a: [{ 'anything-but': { 'equals-ignore-case': [] } }] })).toBe(`${at}: ${list}`);
    expect(problem({ a: [{ 'anything-but': { 'equals-ignore-case': [1] } }] })).toBe(`${at}: ${list}`);
    expect(problem({ a: [{ 'anything-but': { 'equals-ignore-case': ['a', 1] } }] })).toBe(`${at}: ${list}`);
    const pattern = { a: [{ 'anything-but': { 'equals-ignore-case': ['Red', 'BLUE'] } }] };
    expect(matches(pattern, { a: 'blue' })).toBe(false);
    expect(matches(pattern, { a: 'green' })).toBe(true);
  });
});

describe('pattern errors: numeric', () => {
  it('takes [op, number] or [lower-op, number, upper-op, number]', () => {
    const shape = 'a[0].numeric: must be [op, number] or [lower-op, number, upper-op, number]';
    for (const argument of ['>', [], ['>'], ['>', 1, '<'], ['>', 1, '<', 5, '<', 9, '>', 0]])
      expect(problem({ a: [{ numeric: argument }] }), JSON.stringify(argument)).toBe(shape);
    expect(problem({ a: [{ numeric: ['<', 5, '<=', 9] }] })).toBe(
      'a[0].numeric[2]: only one upper bound (< or <=) is allowed',
    );
  });

  it('refuses an empty range, and accepts a single point with both bounds inclusive', () => {
    const empty = 'a[0].numeric: the range is empty (its lower bound is above its upper bound)';
    expect(problem({ a: [{ numeric: ['>', 5, '<', 5] }] })).toBe(empty);
    expect(problem({ a: [{ numeric: ['>=', 5, '<', 5] }] })).toBe(empty);
    expect(problem({ a: [{ numeric: ['>', 5, '<=', 5] }] })).toBe(empty);
    expect(problem({ a: [{ numeric: ['>', 6, '<=', 5] }] })).toBe(empty);
    const point = { a: [{ numeric: ['>=', 5, '<=', 5] }] };
    expect(matches(point, { a: 5 })).toBe(true);
    expect(matches(point, { a: 5.000001 })).toBe(false);
    expect(matches({ a: [{ numeric: ['>', 4, '<', 6] }] }, { a: 5 })).toBe(true);
  });
});

describe('matching', () => {
  it('matches exists: false under a field that holds an empty array', () => {
    const pattern = { a: { b: [{ exists: false }] } };
    expect(matches(pattern, { a: [] })).toBe(true);
    expect(matches(pattern, { a: [{ b: 1 }] })).toBe(false);
    expect(matches({ a: { b: [1] } }, { a: [] })).toBe(false);
  });
});
