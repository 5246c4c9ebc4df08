/**
 * Field projection and filtering of JSON records, configured by environment variables so a consumer can be
 * narrowed without code. Paths are dotted (`user.address.country`); both run in time linear in the paths.
 */

/** A filter: every path must match (AND); a path matches one of its values, or tests presence. */
export type FieldFilter = ReadonlyArray<{
  path: string[];
  anyOf?: ReadonlyArray<string | number | boolean | null>;
  exists?: boolean;
}>;

function getPath(value: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key))
      return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

/**
 * Parses a filter written as JSON: `{"type": ["click", "view"], "user.country": ["DE"], "debug": {"exists": false}}`.
 * Throws a TypeError saying what is wrong (the config layer turns it into a ConfigError naming the variable).
 */
export function parseFieldFilter(json: string): FieldFilter {
  let spec: unknown;
  try {
    spec = JSON.parse(json);
  } catch (error) {
    throw new TypeError(`not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError('a JSON object of "dotted.path": [values] or {"exists": true|false}');
  }
  return Object.entries(spec).map(([path, condition]) => {
    const segments = path.split('.');
    if (segments.some((segment) => segment === ''))
      throw new TypeError(`path "${path}" has an empty segment`);
    if (Array.isArray(condition)) {
      for (const value of condition) {
        if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
          throw new TypeError(`path "${path}": values must be strings, numbers, booleans or null`);
        }
      }
      return { path: segments, anyOf: condition as Array<string | number | boolean | null> };
    }
    if (
      condition !== null &&
      typeof condition === 'object' &&
      typeof (condition as { exists?: unknown }).exists === 'boolean'
    ) {
      return { path: segments, exists: (condition as { exists: boolean }).exists };
    }
    throw new TypeError(`path "${path}": expected an array of values or {"exists": true|false}`);
  });
}

export function matchesFilter(value: unknown, filter: FieldFilter): boolean {
  for (const condition of filter) {
    const hit = getPath(value, condition.path);
    if (condition.exists !== undefined) {
      if (hit.found !== condition.exists) return false;
    } else if (!hit.found || !condition.anyOf!.includes(hit.value as string | number | boolean | null)) {
      return false;
    }
  }
  return true;
}

/** `"id, user.name"` -> [['id'], ['user', 'name']]. */
export function parseProjection(fields: readonly string[]): string[][] {
  return fields.map((field) => {
    const segments = field.split('.');
    if (segments.some((segment) => segment === ''))
      throw new TypeError(`field "${field}" has an empty segment`);
    return segments;
  });
}

/**
 * Keeps only the given paths, preserving nesting: project({a: 1, b: {c: 2, d: 3}}, [['b', 'c']]) -> {b: {c: 2}}.
 * Missing paths are left out; a non-object value is returned as it is (there is nothing to project).
 */
export function project(value: unknown, paths: readonly string[][]): unknown {
  if (paths.length === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  // Null-prototype objects: a path segment named "__proto__" must not reach Object.prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const path of paths) {
    const hit = getPath(value, path);
    if (!hit.found) continue;
    let target = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      let next = target[key];
      if (next === null || typeof next !== 'object') {
        next = Object.create(null) as Record<string, unknown>;
        target[key] = next;
      }
      target = next as Record<string, unknown>;
    }
    target[path.at(-1)!] = hit.value;
  }
  return out;
}
