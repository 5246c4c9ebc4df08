/**
 * EventBridge event patterns (the syntax Lambda's event filtering uses), compiled once into a matcher over parsed
 * JSON. Pure, no dependencies, no regular expression built from the pattern: every operator runs in time linear in
 * the value it tests (wildcards included: a `*`-only glob matched segment by segment with KMP, never backtracking).
 *
 * Semantics (EventBridge's documentation, "Comparison operators for use in event patterns", and aws/event-ruler):
 * - A pattern is an object; a field's pattern is either a nested object or a non-empty array of value matchers
 *   (OR). All fields must match (AND). `"$or": [p1, p2, ...]` (two or more objects) matches when one of them does.
 * - The values a field holds are its leaves: a string, number, boolean or null; an array contributes every leaf
 *   inside it (nested arrays flattened); an object is not a leaf. A field matches when ANY leaf matches. A nested
 *   pattern over an array of objects matches when one element matches the whole nested pattern.
 * - Exact values match by JSON type and value: `"300"` is not `300`; `null` is not `""`. Strings are compared
 *   character by character (case-sensitive).
 * - `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `cidr` test strings only; `numeric` tests numbers only.
 * - `exists: true` matches a field with at least one leaf; `exists: false` a field that is missing (or holds no
 *   leaf: `[]`, an object). Every other matcher needs a leaf, so a missing field never matches it —
 *   `anything-but` included.
 * - `anything-but` matches a leaf that its inner condition does not match (a value or a list of values, or one of
 *   `prefix` / `suffix` / `equals-ignore-case` / `wildcard`).
 * - `wildcard`: `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash; `**` and
 *   any other escape are invalid.
 * - `cidr`: an IPv4 block matches IPv4 address strings, an IPv6 block IPv6 address strings.
 * - `numeric`: `["=", n]`, or at most one lower bound (`>`, `>=`) and one upper bound (`<`, `<=`).
 *
 * @example
 * ```ts
 * const matches = compilePattern({ detail: { level: ['ERROR'], latencyMs: [{ numeric: ['>', 500] }] } });
 * matches({ detail: { level: 'ERROR', latencyMs: 812 } }); // true
 * ```
 */
import { compileCidr } from './cidr';
import { compileWildcard } from './wildcard';

/** A pattern is invalid: `path` says where (`detail.level[1]`), `problem` what is wrong. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || '(pattern)'}: ${problem}`);
  }
}

/** A compiled pattern: true when the (parsed JSON) value matches. */
export type Matcher = (value: unknown) => boolean;

type Leaf = string | number | boolean | null;
type LeafTest = (leaf: Leaf) => boolean;

interface FieldCondition {
  key: string;
  /** A nested pattern, or the leaf matchers of a value array. */
  nested?: ObjectNode;
  leaf?: LeafNode;
}

interface ObjectNode {
  fields: FieldCondition[];
  /** Each `$or`: one of its alternatives must match. */
  ors: ObjectNode[][];
}

interface LeafNode {
  /** `exists` matchers in the array: true/false. */
  exists: boolean[];
  tests: LeafTest[];
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
]);

const describe = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const fieldPath = (path: string, key: string) =>
  /^[A-Za-z_$][\w$-]*$/.test(key)
    ? path === ''
      ? key
      : `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;

/** Compiles a pattern (already parsed from JSON). Throws {@link PatternError} naming the path and the problem. */
export function compilePattern(pattern: unknown): Matcher {
  if (!isObject(pattern)) throw new PatternError('', `must be a JSON object, not ${describe(pattern)}`);
  const root = compileObject(pattern, '');
  if (root.fields.length === 0 && root.ors.length === 0)
    throw new PatternError('', 'must name at least one field');
  return (value) => matchObject(root, value);
}

function compileObject(pattern: Record<string, unknown>, path: string): ObjectNode {
  const node: ObjectNode = { fields: [], ors: [] };
  for (const [key, spec] of Object.entries(pattern)) {
    const here = fieldPath(path, key);
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject))
        throw new PatternError(here, 'must be an array of two or more pattern objects');
      node.ors.push(
        spec.map((alternative, index) => {
          const compiled = compileObject(alternative, `${here}[${index}]`);
          if (compiled.fields.length === 0 && compiled.ors.length === 0)
            throw new PatternError(`${here}[${index}]`, 'must name at least one field');
          return compiled;
        }),
      );
    } else if (Array.isArray(spec)) {
      if (spec.length === 0) throw new PatternError(here, 'must list at least one value to match');
      node.fields.push({ key, leaf: compileLeaf(spec, here) });
    } else if (isObject(spec)) {
      const nested = compileObject(spec, here);
      if (nested.fields.length === 0 && nested.ors.length === 0)
        throw new PatternError(here, 'must name at least one field (an empty object matches nothing)');
      node.fields.push({ key, nested });
    } else {
      throw new PatternError(
        here,
        `must be an array of values to match (e.g. [${JSON.stringify(spec)}]) or a nested object, not ${describe(spec)}`,
      );
    }
  }
  return node;
}

function compileLeaf(values: unknown[], path: string): LeafNode {
  const node: LeafNode = { exists: [], tests: [] };
  // Exact values share one Set lookup (same type and value: a Set never equates "1" and 1).
  const exact = new Set<Leaf>();
  values.forEach((value, index) => {
    const here = `${path}[${index}]`;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      exact.add(value);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new PatternError(here, 'must be a finite number');
      exact.add(value);
    } else if (isObject(value)) {
      const entries = Object.entries(value);
      if (entries.length !== 1)
        throw new PatternError(here, `an operator object holds exactly one operator (got ${entries.length})`);
      const [operator, argument] = entries[0]!;
      const at = `${here}.${operator}`;
      if (!OPERATORS.has(operator))
        throw new PatternError(
          here,
          `unknown operator ${JSON.stringify(operator)} (one of ${[...OPERATORS].join(', ')})`,
        );
      if (operator === 'exists') {
        if (typeof argument !== 'boolean') throw new PatternError(at, 'must be true or false');
        node.exists.push(argument);
      } else if (operator === 'anything-but') {
        const inner = compileAnythingBut(argument, at);
        node.tests.push((leaf) => !inner(leaf));
      } else if (operator === 'numeric') {
        node.tests.push(compileNumeric(argument, at));
      } else {
        node.tests.push(compileStringOperator(operator, argument, at));
      }
    } else {
      throw new PatternError(
        here,
        `must be a string, number, boolean, null or an operator object, not ${describe(value)}`,
      );
    }
  });
  if (exact.size === 1) {
    const [only] = exact;
    node.tests.unshift((leaf) => leaf === only);
  } else if (exact.size > 1) {
    node.tests.unshift((leaf) => exact.has(leaf));
  }
  return node;
}

const stringTest =
  (test: (text: string) => boolean): LeafTest =>
  (leaf) =>
    typeof leaf === 'string' && test(leaf);

function compileStringOperator(operator: string, argument: unknown, at: string): LeafTest {
  if (operator === 'prefix' || operator === 'suffix') {
    const starts = operator === 'prefix';
    if (typeof argument === 'string')
      return stringTest((text) => (starts ? text.startsWith(argument) : text.endsWith(argument)));
    if (isObject(argument) && Object.keys(argument).length === 1 && 'equals-ignore-case' in argument) {
      const folded = argument['equals-ignore-case'];
      if (typeof folded !== 'string') throw new PatternError(`${at}.equals-ignore-case`, 'must be a string');
      const lower = folded.toLowerCase();
      return stringTest((text) =>
        starts ? text.toLowerCase().startsWith(lower) : text.toLowerCase().endsWith(lower),
      );
    }
    throw new PatternError(at, 'must be a string, or {"equals-ignore-case": "<string>"}');
  }
  if (operator === 'equals-ignore-case') {
    if (typeof argument !== 'string') throw new PatternError(at, 'must be a string');
    const lower = argument.toLowerCase();
    return stringTest((text) => text.toLowerCase() === lower);
  }
  if (operator === 'wildcard') {
    if (typeof argument !== 'string') throw new PatternError(at, 'must be a string');
    try {
      return stringTest(compileWildcard(argument));
    } catch (error) {
      throw new PatternError(at, (error as Error).message);
    }
  }
  // cidr
  if (typeof argument !== 'string')
    throw new PatternError(at, 'must be a CIDR block string, e.g. "10.0.0.0/8"');
  try {
    return stringTest(compileCidr(argument));
  } catch (error) {
    throw new PatternError(at, (error as Error).message);
  }
}

/** The condition `anything-but` negates. */
function compileAnythingBut(argument: unknown, at: string): LeafTest {
  if (typeof argument === 'string' || (typeof argument === 'number' && Number.isFinite(argument)))
    return (leaf) => leaf === argument;
  if (Array.isArray(argument)) {
    if (argument.length === 0) throw new PatternError(at, 'must list at least one value');
    const allStrings = argument.every((item) => typeof item === 'string');
    const allNumbers = argument.every((item) => typeof item === 'number' && Number.isFinite(item));
    if (!allStrings && !allNumbers)
      throw new PatternError(at, 'a list must hold only strings or only numbers');
    const excluded = new Set<Leaf>(argument as Leaf[]);
    return (leaf) => excluded.has(leaf);
  }
  if (isObject(argument)) {
    const entries = Object.entries(argument);
    const operator = entries[0]?.[0];
    if (entries.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(operator!))
      throw new PatternError(
        at,
        'an object here holds exactly one of prefix, suffix, equals-ignore-case, wildcard',
      );
    const inner = entries[0]![1];
    if (operator === 'equals-ignore-case' && Array.isArray(inner)) {
      if (inner.length === 0 || !inner.every((item) => typeof item === 'string'))
        throw new PatternError(`${at}.${operator}`, 'must be a string or a non-empty list of strings');
      const lowered = new Set(inner.map((item: string) => item.toLowerCase()));
      return stringTest((text) => lowered.has(text.toLowerCase()));
    }
    if (typeof inner !== 'string') throw new PatternError(`${at}.${operator}`, 'must be a string');
    return compileStringOperator(operator!, inner, `${at}.${operator}`);
  }
  throw new PatternError(
    at,
    `must be a string, a number, a list of either, or an object, not ${describe(argument)}`,
  );
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

function compileNumeric(argument: unknown, at: string): LeafTest {
  if (!Array.isArray(argument) || argument.length === 0 || argument.length % 2 !== 0 || argument.length > 4)
    throw new PatternError(at, 'must be [op, number] or [lower-op, number, upper-op, number]');
  let lower: { value: number; inclusive: boolean } | undefined;
  let upper: { value: number; inclusive: boolean } | undefined;
  let equals: number | undefined;
  for (let i = 0; i < argument.length; i += 2) {
    const operator = argument[i];
    const value = argument[i + 1];
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new PatternError(`${at}[${i + 1}]`, 'must be a finite number');
    if (operator === '=') {
      if (argument.length !== 2) throw new PatternError(`${at}[${i}]`, '"=" stands alone: ["=", number]');
      equals = value;
    } else if (LOWER.has(operator as string)) {
      if (lower) throw new PatternError(`${at}[${i}]`, 'only one lower bound (> or >=) is allowed');
      lower = { value, inclusive: operator === '>=' };
    } else if (UPPER.has(operator as string)) {
      if (upper) throw new PatternError(`${at}[${i}]`, 'only one upper bound (< or <=) is allowed');
      upper = { value, inclusive: operator === '<=' };
    } else {
      throw new PatternError(
        `${at}[${i}]`,
        `unknown comparison ${JSON.stringify(operator)} (=, <, <=, >, >=)`,
      );
    }
  }
  if (equals !== undefined) {
    const target = equals;
    return (leaf) => leaf === target;
  }
  if (
    lower &&
    upper &&
    (lower.value > upper.value || (lower.value === upper.value && !(lower.inclusive && upper.inclusive)))
  )
    throw new PatternError(at, 'the range is empty (its lower bound is above its upper bound)');
  const lo = lower;
  const hi = upper;
  return (leaf) => {
    if (typeof leaf !== 'number') return false;
    if (lo && (lo.inclusive ? leaf < lo.value : leaf <= lo.value)) return false;
    if (hi && (hi.inclusive ? leaf > hi.value : leaf >= hi.value)) return false;
    return true;
  };
}

// ---- evaluation ----------------------------------------------------------------------------------------------

function matchObject(node: ObjectNode, value: unknown): boolean {
  if (Array.isArray(value)) {
    // One element must match the whole nested pattern (fields of different elements never combine).
    if (value.length === 0) return matchObject(node, undefined);
    for (const element of value) if (matchObject(node, element)) return true;
    return false;
  }
  const object = isObject(value) ? value : undefined;
  for (const field of node.fields) {
    const child = object !== undefined && Object.hasOwn(object, field.key) ? object[field.key] : undefined;
    if (field.nested ? !matchObject(field.nested, child) : !matchLeaf(field.leaf!, child)) return false;
  }
  for (const alternatives of node.ors) {
    let any = false;
    for (const alternative of alternatives) {
      if (matchObject(alternative, value)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

function matchLeaf(node: LeafNode, value: unknown): boolean {
  // Fast path: a scalar value is its only leaf.
  if (value === null || (typeof value !== 'object' && value !== undefined)) {
    const leaf = value as Leaf;
    for (const exists of node.exists) if (exists) return true;
    for (const test of node.tests) if (test(leaf)) return true;
    return false;
  }
  const leaves: Leaf[] = [];
  if (Array.isArray(value)) collectLeaves(value, leaves);
  for (const exists of node.exists) if (exists === leaves.length > 0) return true;
  for (const leaf of leaves) for (const test of node.tests) if (test(leaf)) return true;
  return false;
}

function collectLeaves(values: unknown[], into: Leaf[]): void {
  for (const value of values) {
    if (Array.isArray(value)) collectLeaves(value, into);
    else if (value === null || typeof value !== 'object') into.push(value as Leaf);
  }
}
