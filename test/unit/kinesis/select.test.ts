import { describe, expect, it } from 'vitest';
import { matchesFilter, parseFieldFilter, parseProjection, project } from '../../../shared/kinesis/select';

describe('field filter', () => {
  it('matches all paths (AND), any listed value (OR), and presence', () => {
    const filter = parseFieldFilter(
      '{"type": ["click", "view"], "user.country": ["DE"], "debug": {"exists": false}}',
    );
    expect(matchesFilter({ type: 'click', user: { country: 'DE' } }, filter)).toBe(true);
    expect(matchesFilter({ type: 'buy', user: { country: 'DE' } }, filter)).toBe(false);
    expect(matchesFilter({ type: 'view', user: { country: 'FR' } }, filter)).toBe(false);
    expect(matchesFilter({ type: 'view', user: { country: 'DE' }, debug: true }, filter)).toBe(false);
    expect(matchesFilter('not an object', filter)).toBe(false);
  });

  it('explains a bad filter', () => {
    expect(() => parseFieldFilter('{"a": 1}')).toThrow(/expected an array of values/);
    expect(() => parseFieldFilter('[1]')).toThrow(/JSON object/);
    expect(() => parseFieldFilter('{')).toThrow(/not valid JSON/);
    expect(() => parseFieldFilter('{"a..b": [1]}')).toThrow(/empty segment/);
    expect(() => parseFieldFilter('{"a": [{"x": 1}]}')).toThrow(/strings, numbers, booleans or null/);
  });
});

describe('projection', () => {
  it('keeps only the listed paths, preserving nesting', () => {
    const value = { id: 1, user: { name: 'a', country: 'DE', tags: [1] }, other: true };
    expect(project(value, parseProjection(['id', 'user.country', 'missing.path']))).toEqual({
      id: 1,
      user: { country: 'DE' },
    });
    expect(JSON.stringify(project(value, parseProjection(['user.country', 'user.name'])))).toBe(
      '{"user":{"country":"DE","name":"a"}}',
    );
  });

  it('returns non-objects as they are, and never touches prototypes', () => {
    expect(project([1, 2], parseProjection(['a']))).toEqual([1, 2]);
    expect(project(7, parseProjection(['a']))).toBe(7);
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}');
    project(hostile, parseProjection(['__proto__.polluted']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
