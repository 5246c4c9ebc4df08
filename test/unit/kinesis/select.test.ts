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

describe('field filter: what a path reaches', () => {
  it('does not look through null, strings or inherited properties', () => {
    const absent = (path: string) => parseFieldFilter(JSON.stringify({ [path]: { exists: false } }));
    expect(matchesFilter({ user: null }, absent('user.country'))).toBe(true);
    expect(matchesFilter({ user: 'abc' }, absent('user.length'))).toBe(true);
    expect(matchesFilter({}, absent('toString'))).toBe(true);
    expect(matchesFilter({ user: { country: null } }, absent('user.country'))).toBe(false);
  });

  it('matches null, numbers and booleans as listed, by value and type', () => {
    const filter = parseFieldFilter('{"a": [null, 7, true, "x"]}');
    expect(filter).toEqual([{ path: ['a'], anyOf: [null, 7, true, 'x'] }]);
    for (const a of [null, 7, true, 'x']) expect(matchesFilter({ a }, filter)).toBe(true);
    for (const a of ['7', false, 'null', 0]) expect(matchesFilter({ a }, filter)).toBe(false);
    expect(matchesFilter({}, filter)).toBe(false);
    expect(matchesFilter({ b: null }, filter)).toBe(false);
  });

  it('tests presence both ways', () => {
    const present = parseFieldFilter('{"user.id": {"exists": true}}');
    expect(present).toEqual([{ path: ['user', 'id'], exists: true }]);
    expect(matchesFilter({ user: { id: 0 } }, present)).toBe(true);
    expect(matchesFilter({ user: {} }, present)).toBe(false);
    expect(parseFieldFilter('{}')).toEqual([]);
    expect(matchesFilter({ anything: 1 }, parseFieldFilter('{}'))).toBe(true);
  });

  it('explains every kind of bad filter with a TypeError', () => {
    const message = (json: string) => {
      try {
        parseFieldFilter(json);
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${json}`);
    };
    const shape = 'a JSON object of "dotted.path": [values] or {"exists": true|false}';
    for (const json of ['null', '5', '"text"', '[]']) expect(message(json)).toBe(shape);
    expect(message('{')).toMatch(/^not valid JSON \(.+\)$/);
    let parseError: unknown;
    try {
      parseFieldFilter('{');
    } catch (error) {
      parseError = error;
    }
    expect((parseError as Error).cause).toBeInstanceOf(SyntaxError);
    for (const path of ['.a', 'a.', 'a..b', ''])
      expect(message(JSON.stringify({ [path]: [1] }))).toBe(`path "${path}" has an empty segment`);
    for (const condition of [null, 1, 'x', {}, { exists: 'yes' }, { exists: null }])
      expect(message(JSON.stringify({ a: condition }))).toBe(
        'path "a": expected an array of values or {"exists": true|false}',
      );
    for (const value of [{}, [1]])
      expect(message(JSON.stringify({ a: [value] }))).toBe(
        'path "a": values must be strings, numbers, booleans or null',
      );
  });
});

describe('projection: paths', () => {
  it('splits dotted fields and refuses empty segments', () => {
    expect(parseProjection(['id', 'user.address.country'])).toEqual([['id'], ['user', 'address', 'country']]);
    for (const field of ['', '.a', 'a.', 'a..b'])
      expect(() => parseProjection([field])).toThrow(new TypeError(`field "${field}" has an empty segment`));
  });

  it('returns the value itself when no path is configured, and null as it is', () => {
    const value = { id: 1 };
    expect(project(value, [])).toBe(value);
    expect(project(null, [['a']])).toBeNull();
    expect(project('text', [['a']])).toBe('text');
  });

  it('keeps the whole value of a path that is a prefix of another, in either order', () => {
    const value = { user: { name: 'a', country: 'DE' }, id: 1 };
    for (const fields of [
      ['user', 'user.name'],
      ['user.name', 'user'],
    ]) {
      expect(JSON.parse(JSON.stringify(project(value, parseProjection(fields))))).toEqual({
        user: { name: 'a', country: 'DE' },
      });
    }
    expect(JSON.stringify(project({ a: { b: { c: 1, d: 2 } } }, parseProjection(['a.b.c', 'a.b.d'])))).toBe(
      '{"a":{"b":{"c":1,"d":2}}}',
    );
  });
});
