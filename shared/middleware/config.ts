/**
 * Configuration from environment variables, validated once into a typed object. A bad value fails with a
 * {@link ConfigError} that names the variable and what it expected, so the fix is obvious from the log line.
 *
 * @example
 * ```ts
 * const config = defineConfig((env) => ({
 *   bucket: env.string('BUCKET_NAME'),
 *   maxBytes: env.int('MAX_OBJECT_BYTES', { default: 64 * 1024 * 1024, min: 1024 }),
 *   format: env.oneOf('INPUT_FORMAT', ['json', 'text', 'binary'] as const, 'json'),
 * }));
 * config().bucket;
 * ```
 */

/** An environment variable is missing or has a value the function cannot use. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got?: string,
    /** The function's own variable when `variable` is the deploy-time one it was set from (see {@link deployedNames}). */
    readonly functionVariable?: string,
  ) {
    super(
      `Invalid configuration: ${variable} must be ${expected}` +
        (got === undefined ? ' (it is not set)' : ` (got ${JSON.stringify(got.slice(0, 200))})`),
    );
  }
}

/**
 * The variable holding {@link deployedNames}' list. serverless.yml sets some of a function's variables from
 * prefixed deploy-time ones (`OVERFLOW: ${env:CWL_OVERFLOW, ...}`) so that one shell cannot configure two functions
 * by accident, and lists them here (`OVERFLOW=CWL_OVERFLOW,OUTPUT_FORMAT=CWL_OUTPUT_FORMAT`).
 */
export const DEPLOYED_NAMES_VARIABLE = 'CONFIG_DEPLOYED_NAMES';

/** The function's variable -> the deploy-time variable the user sets, from {@link DEPLOYED_NAMES_VARIABLE}. */
export function deployedNames(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const names = new Map<string, string>();
  for (const pair of (env[DEPLOYED_NAMES_VARIABLE] ?? '').split(',')) {
    const [name, deployed] = pair.split('=').map((part) => part.trim());
    if (name && deployed) names.set(name, deployed);
  }
  return names;
}

/**
 * The same error naming the variable the user set: `CWL_OVERFLOW`, not the function's `OVERFLOW`, when
 * serverless.yml deploys one from the other. Unchanged when no name maps.
 */
export function asDeployed(error: ConfigError, env: NodeJS.ProcessEnv = process.env): ConfigError {
  const names = deployedNames(env);
  const variable = error.variable
    .split('/')
    .map((name) => names.get(name) ?? name)
    .join('/');
  if (variable === error.variable) return error;
  return new ConfigError(variable, error.expected, error.got, error.variable);
}

export interface IntOptions {
  default?: number;
  min?: number;
  max?: number;
}

/** Typed readers over an environment; each throws {@link ConfigError} naming the variable. */
export interface EnvReader {
  string(name: string, options?: { default?: string; pattern?: RegExp; describe?: string }): string;
  optionalString(name: string): string | undefined;
  int(name: string, options?: IntOptions): number;
  number(name: string, options?: { default?: number; min?: number; max?: number }): number;
  bool(name: string, defaultValue: boolean): boolean;
  oneOf<const T extends string>(name: string, values: readonly T[], defaultValue?: T): T;
  list(name: string, defaultValue?: string[]): string[];
}

export function envReader(env: NodeJS.ProcessEnv = process.env): EnvReader {
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const reader: EnvReader = {
    string(name, options = {}) {
      const value = raw(name) ?? options.default;
      const expected = options.describe ?? (options.pattern ? `a string matching ${options.pattern}` : 'set');
      if (value === undefined) throw new ConfigError(name, expected);
      if (options.pattern && !options.pattern.test(value)) throw new ConfigError(name, expected, value);
      return value;
    },
    optionalString: (name) => raw(name),
    int(name, options = {}) {
      const value = reader.number(name, options);
      if (!Number.isInteger(value)) throw new ConfigError(name, 'an integer', raw(name));
      return value;
    },
    number(name, options = {}) {
      const text = raw(name);
      const range = `a number${options.min !== undefined ? ` >= ${options.min}` : ''}${
        options.max !== undefined ? ` and <= ${options.max}` : ''
      }`;
      if (text === undefined) {
        if (options.default === undefined) throw new ConfigError(name, range);
        return options.default;
      }
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ConfigError(name, range, text);
      if (options.min !== undefined && value < options.min) throw new ConfigError(name, range, text);
      if (options.max !== undefined && value > options.max) throw new ConfigError(name, range, text);
      return value;
    },
    bool(name, defaultValue) {
      const text = raw(name)?.toLowerCase();
      if (text === undefined) return defaultValue;
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off'].includes(text)) return false;
      throw new ConfigError(name, 'true or false', text);
    },
    oneOf(name, values, defaultValue) {
      const text = raw(name) ?? defaultValue;
      const expected = `one of ${values.join(', ')}`;
      if (text === undefined) throw new ConfigError(name, expected);
      if (!(values as readonly string[]).includes(text)) throw new ConfigError(name, expected, text);
      return text as (typeof values)[number];
    },
    list(name, defaultValue) {
      const text = raw(name);
      if (text === undefined) {
        if (defaultValue === undefined) throw new ConfigError(name, 'a comma-separated list');
        return defaultValue;
      }
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    },
  };
  return reader;
}

/**
 * Declares a function's configuration. The returned getter validates on first call and caches the result;
 * {@link kitHandler} calls it before the first invocation so a bad configuration fails loudly at cold start.
 * `reset()` drops the cache (tests).
 */
export function defineConfig<T>(load: (env: EnvReader) => T): (() => T) & { reset(): void } {
  let cached: { value: T } | undefined;
  const get = () => {
    cached ??= { value: load(envReader(process.env)) };
    return cached.value;
  };
  return Object.assign(get, {
    reset() {
      cached = undefined;
    },
  });
}
