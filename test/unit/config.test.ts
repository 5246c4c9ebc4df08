import { describe, expect, it } from 'vitest';
import { ConfigError, defineConfig, envReader } from '../../shared/middleware/config';

describe('envReader', () => {
  it('names the variable and the expectation when a value is bad', () => {
    const env = envReader({ SIZE: 'big', MODE: 'fast' });
    expect(() => env.int('SIZE')).toThrow(/SIZE must be a number/);
    expect(() => env.oneOf('MODE', ['json', 'text'])).toThrow(
      new ConfigError('MODE', 'one of json, text', 'fast'),
    );
    expect(() => env.string('BUCKET_NAME')).toThrow(
      'Invalid configuration: BUCKET_NAME must be set (it is not set)',
    );
  });

  it('applies defaults, ranges and lists', () => {
    const env = envReader({ N: '12', FLAG: 'no', FIELDS: 'a, b,,c ' });
    expect(env.int('N', { min: 1, max: 20 })).toBe(12);
    expect(() => env.int('N', { max: 10 })).toThrow(/<= 10/);
    expect(env.int('MISSING', { default: 5 })).toBe(5);
    expect(env.bool('FLAG', true)).toBe(false);
    expect(env.list('FIELDS')).toEqual(['a', 'b', 'c']);
    expect(env.list('NONE', [])).toEqual([]);
  });

  it('defineConfig validates once and caches', () => {
    let loads = 0;
    process.env.KLK_TEST_VALUE = '3';
    const config = defineConfig((env) => {
      loads += 1;
      return env.int('KLK_TEST_VALUE');
    });
    expect(config()).toBe(3);
    expect(config()).toBe(3);
    expect(loads).toBe(1);
    config.reset();
    process.env.KLK_TEST_VALUE = 'x';
    expect(() => config()).toThrow(ConfigError);
    delete process.env.KLK_TEST_VALUE;
  });
});
