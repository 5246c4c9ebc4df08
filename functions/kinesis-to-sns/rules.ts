/**
 * kinesis-to-sns rules: a JSON array (rules.json bundled with the function, or the RULES variable) of
 * `{ name, pattern, severity, subject?, message?, groupBy? }`, compiled once at cold start. `pattern` is an
 * EventBridge event pattern (shared/patterns) over the record's own fields; `subject` and `message` are templates
 * over the same fields (`{{detail.host}}`; a missing field renders empty); `groupBy` is a dotted field path whose
 * value groups alerts (FIFO MessageGroupId, collapsing). An invalid rule throws {@link RuleError} naming the rule,
 * the path inside it and the problem.
 */
import { compilePattern, type Matcher, PatternError } from '../../shared/patterns';

export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    readonly rule: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`rule ${rule}: ${path}: ${problem}`);
  }
}

/** A compiled `{{a.b.0}}` template. */
export interface Template {
  /** Literal text and field paths, alternating: literal, path, literal, ... (always starts and ends literal). */
  readonly literals: readonly string[];
  readonly paths: readonly (readonly string[])[];
}

export interface Rule {
  name: string;
  /** Position in the rule list (alerts are published in rule order within a record). */
  index: number;
  severity: string;
  matches: Matcher;
  subject: Template;
  /** Undefined: the message is the record's own text. */
  message?: Template;
  groupBy?: readonly string[];
}

/** Rule names travel as SNS message attributes and in keys: short, plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SEVERITY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const FIELD_PATH = /^[^.\s{}]+(\.[^.\s{}]+)*$/;
const KNOWN_KEYS = new Set(['name', 'pattern', 'severity', 'subject', 'message', 'groupBy', 'description']);
export const DEFAULT_SUBJECT = '[{{$severity}}] {{$rule}}';

/** Compiles `text` with `{{dotted.path}}` placeholders; `{{$rule}}`, `{{$severity}}` name the rule. */
export function compileTemplate(text: string): Template {
  const literals: string[] = [];
  const paths: string[][] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('{{', from);
    if (open < 0) break;
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`"{{" at character ${open + 1} is never closed with "}}"`);
    const path = text.slice(open + 2, close).trim();
    if (!FIELD_PATH.test(path))
      throw new Error(
        `placeholder at character ${open + 1} must be a dotted field path like {{detail.host}}`,
      );
    literals.push(text.slice(from, open));
    paths.push(path.split('.'));
    from = close + 2;
  }
  literals.push(text.slice(from));
  return { literals, paths };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A field's value as text: strings as they are, objects as JSON, missing (and null) empty. */
export function fieldText(value: unknown, path: readonly string[]): string {
  const found = valueAt(value, path);
  if (found === undefined || found === null) return '';
  if (typeof found === 'object') return JSON.stringify(found);
  return String(found);
}

export function renderTemplate(
  template: Template,
  record: unknown,
  rule: Pick<Rule, 'name' | 'severity'>,
): string {
  let out = template.literals[0]!;
  for (let i = 0; i < template.paths.length; i++) {
    const path = template.paths[i]!;
    const special = path.length === 1 ? path[0] : undefined;
    out +=
      special === '$rule' ? rule.name : special === '$severity' ? rule.severity : fieldText(record, path);
    out += template.literals[i + 1]!;
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses and compiles the rule list (JSON text, or `{ "rules": [...] }`). */
export function parseRules(json: string): Rule[] {
  let spec: unknown;
  try {
    spec = JSON.parse(json);
  } catch (error) {
    throw new RuleError('(list)', '(json)', `not valid JSON (${(error as Error).message.slice(0, 120)})`);
  }
  return compileRules(spec);
}

export function compileRules(spec: unknown): Rule[] {
  const list = isObject(spec) && Array.isArray(spec.rules) ? spec.rules : spec;
  if (!Array.isArray(list) || list.length === 0)
    throw new RuleError('(list)', '(root)', 'must be a non-empty JSON array of rules (or {"rules": [...]})');
  const names = new Set<string>();
  return list.map((entry, index) => {
    const label = isObject(entry) && typeof entry.name === 'string' ? `"${entry.name}"` : `#${index + 1}`;
    const fail = (path: string, problem: string): never => {
      throw new RuleError(label, path, problem);
    };
    if (!isObject(entry)) return fail('(rule)', 'must be a JSON object');
    for (const key of Object.keys(entry))
      if (!KNOWN_KEYS.has(key)) fail(key, `unknown key (one of ${[...KNOWN_KEYS].join(', ')})`);
    const { name, pattern, severity, subject, message, groupBy } = entry;
    if (typeof name !== 'string' || !NAME.test(name))
      fail('name', 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if (names.has(name as string)) fail('name', 'is used by an earlier rule');
    names.add(name as string);
    if (typeof severity !== 'string' || !SEVERITY.test(severity))
      fail('severity', 'must be 1-32 letters, digits, ".", "_" or "-" (e.g. "critical")');
    let matches: Matcher;
    try {
      matches = compilePattern(pattern);
    } catch (error) {
      if (error instanceof PatternError)
        fail(
          error.path === ''
            ? 'pattern'
            : error.path.startsWith('[')
              ? `pattern${error.path}`
              : `pattern.${error.path}`,
          error.problem,
        );
      throw error;
    }
    const template = (key: string, text: unknown): Template | undefined => {
      if (text === undefined) return undefined;
      if (typeof text !== 'string' || text === '') return fail(key, 'must be a non-empty string template');
      try {
        return compileTemplate(text);
      } catch (error) {
        return fail(key, (error as Error).message);
      }
    };
    if (groupBy !== undefined && (typeof groupBy !== 'string' || !FIELD_PATH.test(groupBy)))
      fail('groupBy', 'must be a dotted field path, e.g. "detail.host"');
    return {
      name: name as string,
      index,
      severity: severity as string,
      matches: matches!,
      subject: template('subject', subject) ?? compileTemplate(DEFAULT_SUBJECT),
      message: template('message', message),
      groupBy: groupBy === undefined ? undefined : (groupBy as string).split('.'),
    };
  });
}
