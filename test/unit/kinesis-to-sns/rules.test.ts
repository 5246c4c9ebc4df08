import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collapseAlerts, notificationOf } from '../../../functions/kinesis-to-sns/alerts';
import {
  compileRules,
  compileTemplate,
  parseRules,
  RuleError,
  renderTemplate,
} from '../../../functions/kinesis-to-sns/rules';
import { matchRules } from '../../../functions/kinesis-to-sns/transform';
import type { RecordCoordinates } from '../../../shared/kinesis/types';

const coordinates = (sequenceNumber: string, subSequenceNumber = 0): RecordCoordinates => ({
  stream: 'app-logs',
  shardId: 'shardId-000000000001',
  sequenceNumber,
  subSequenceNumber,
  partitionKey: 'p',
  approximateArrivalTimestamp: Date.UTC(2025, 10, 22, 2),
});
const recordOf = (value: unknown, sequenceNumber = '1') => {
  const text = JSON.stringify(value);
  return { coordinates: coordinates(sequenceNumber), data: Buffer.from(text), value, text };
};

describe('rule templates', () => {
  it('renders dotted paths, array indexes, objects as JSON, missing and null fields empty', () => {
    const template = compileTemplate(
      '{{a.b}}|{{list.1}}|{{obj}}|{{missing.x}}|{{nil}}|{{n}}|{{ $rule }}/{{$severity}}',
    );
    const value = { a: { b: 'x' }, list: ['p', 'q'], obj: { k: [1] }, nil: null, n: 1.5 };
    expect(renderTemplate(template, value, { name: 'r', severity: 'low' })).toBe('x|q|{"k":[1]}|||1.5|r/low');
    expect(renderTemplate(compileTemplate('plain'), {}, { name: 'r', severity: 's' })).toBe('plain');
  });

  it('explains a broken template', () => {
    expect(() => compileTemplate('a {{b')).toThrow(/never closed/);
    expect(() => compileTemplate('a {{}}')).toThrow(
      'placeholder at character 3 must be a dotted field path like {{detail.host}}',
    );
    expect(() => compileTemplate('a {{x..y}}')).toThrow(/dotted field path/);
  });

  it('reads "}}" before a placeholder as text', () => {
    const template = compileTemplate('a}} {{x}}}}');
    expect(renderTemplate(template, { x: 'v' }, { name: 'r', severity: 's' })).toBe('a}} v}}');
    expect(renderTemplate(compileTemplate('}}{{x}}'), { x: 'v' }, { name: 'r', severity: 's' })).toBe('}}v');
  });

  it('renders strings as they are, numbers and booleans as JSON does, and nothing inside a string', () => {
    const template = compileTemplate('{{s}}|{{b}}|{{s.length}}|{{s.0}}|{{n.toFixed}}|{{nil.x}}');
    const value = { s: 'abc', b: false, n: 2, nil: null };
    expect(renderTemplate(template, value, { name: 'r', severity: 's' })).toBe('abc|false||||');
  });

  it('names the rule and severity only for $rule and $severity alone', () => {
    const template = compileTemplate('{{$rule}} {{$rule.id}} {{$severity.x}}');
    const value = { $rule: { id: 'field' }, $severity: { x: 'sev' } };
    expect(renderTemplate(template, value, { name: 'r', severity: 's' })).toBe('r field sev');
  });
});

describe('rule lists', () => {
  it('compiles the bundled rules.json', () => {
    const rules = compileRules(JSON.parse(readFileSync('functions/kinesis-to-sns/rules.json', 'utf8')));
    expect(rules.map((rule) => rule.name)).toEqual([
      'error-burst',
      'slow-checkout',
      'admin-login-outside-vpn',
    ]);
  });

  it.each([
    ['{', '(list): (json): not valid JSON'],
    ['[]', 'rule (list): (root): must be a non-empty JSON array of rules (or {"rules": [...]})'],
    ['null', 'rule (list): (root): must be a non-empty JSON array'],
    ['[1]', 'rule #1: (rule): must be a JSON object'],
    ['[null]', 'rule #1: (rule): must be a JSON object'],
    ['[{"pattern":{"x":[1]},"severity":"low"}]', 'rule #1: name: must be 1-64'],
    ['[{"name":123,"pattern":{"x":[1]},"severity":"low"}]', 'rule #1: name: must be 1-64'],
    ['[{"name":"a","pattern":{"x":[1]},"severity":"low!"}]', 'rule "a": severity: must be'],
    ['[{"name":"a","pattern":{"x":[1]},"severity":"-low"}]', 'rule "a": severity: must be'],
    [`[{"name":"a","pattern":{"x":[1]},"severity":"${'s'.repeat(33)}"}]`, 'rule "a": severity: must be'],
    ['[{"name":"a","pattern":1,"severity":"low"}]', 'rule "a": pattern: must be a JSON object'],
    ['[{"name":"a","pattern":{"a b":1},"severity":"low"}]', 'rule "a": pattern["a b"]: must be an array'],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","subject":""}]',
      'rule "a": subject: must be a non-empty string template',
    ],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","subject":7}]',
      'rule "a": subject: must be a non-empty string template',
    ],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","message":"{{x"}]',
      'rule "a": message: "{{" at character 1 is never closed',
    ],
    ['[{"name":"a","pattern":{"x":[1]},"severity":"low","groupBy":5}]', 'rule "a": groupBy: must be'],
    ['[{"name":"a b","pattern":{"x":[1]},"severity":"low"}]', 'rule "a b": name: must be 1-64'],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low"},{"name":"a","pattern":{"x":[1]},"severity":"low"}]',
      'rule "a": name: is used by an earlier rule',
    ],
    ['[{"name":"a","pattern":{"x":[1]}}]', 'rule "a": severity: must be'],
    ['[{"name":"a","pattern":{"x":1},"severity":"low"}]', 'rule "a": pattern.x: must be an array of values'],
    [
      '[{"name":"a","pattern":{"x":[{"numeric":[">","1"]}]},"severity":"low"}]',
      'rule "a": pattern.x[0].numeric[1]: must be a finite number',
    ],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","subject":"{{x"}]',
      'rule "a": subject: "{{" at character 1 is never closed',
    ],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","groupBy":"a..b"}]',
      'rule "a": groupBy: must be a dotted field path',
    ],
    [
      '[{"name":"a","pattern":{"x":[1]},"severity":"low","sevrity":"x"}]',
      'rule "a": sevrity: unknown key (one of name, pattern, severity, subject, message, groupBy, description)',
    ],
  ])('%s -> %s', (json, message) => {
    expect(() => parseRules(json)).toThrow(message);
  });

  it('throws a RuleError naming the rule, the path and the problem', () => {
    const error = (() => {
      try {
        parseRules('[{"name":"a","pattern":{"x":[1]},"severity":"low","groupBy":"."}]');
      } catch (thrown) {
        return thrown as RuleError;
      }
    })();
    expect(error).toBeInstanceOf(RuleError);
    expect(error).toMatchObject({ name: 'RuleError', rule: '"a"', path: 'groupBy' });
    expect(error!.problem).toBe('must be a dotted field path, e.g. "detail.host"');
  });

  it('accepts {"rules": [...]}', () => {
    expect(parseRules('{"rules":[{"name":"a","pattern":{"x":[1]},"severity":"low"}]}')).toHaveLength(1);
  });
});

describe('matching and collapsing', () => {
  const rules = parseRules(
    JSON.stringify([
      {
        name: 'grouped',
        pattern: { level: ['ERROR'] },
        severity: 'high',
        subject: 'E {{host}}',
        groupBy: 'host',
      },
      { name: 'identical', pattern: { level: ['ERROR', 'WARN'] }, severity: 'low', message: '{{msg}}' },
    ]),
  );

  it('raises one alert per matching rule, in rule order, and filters records no rule matches', () => {
    const matches = matchRules(recordOf({ level: 'ERROR', host: 'h', msg: 'm' }), rules)!;
    expect(matches.map((m) => [m.rule, m.subject, m.message])).toEqual([
      [0, 'E h', '{"level":"ERROR","host":"h","msg":"m"}'],
      [1, '[low] identical', 'm'],
    ]);
    expect(matchRules(recordOf({ level: 'INFO' }), rules)).toBeUndefined();
    expect(matchRules(recordOf({ level: 'WARN', msg: '' }), rules)![0]!.message).toBe('(empty message)');
  });

  it('without a message template, sends the record exactly as it arrived (its text, else its JSON)', () => {
    const text = '{ "level": "ERROR",  "host": "h\\u00e9" }';
    const value = JSON.parse(text) as unknown;
    const asArrived = { coordinates: coordinates('1'), data: Buffer.from(text), value, text };
    expect(matchRules(asArrived, rules)![0]!.message).toBe(text);
    const { text: _, ...withoutText } = asArrived;
    expect(matchRules(withoutText, rules)![0]!.message).toBe('{"level":"ERROR","host":"hé"}');
  });

  it('collapses by group with groupBy, by identical text without it, keeping count, first and last', () => {
    const values = [
      { level: 'ERROR', host: 'a', msg: 'x' },
      { level: 'ERROR', host: 'a', msg: 'y' },
      { level: 'WARN', host: 'b', msg: 'x' },
      { level: 'ERROR', host: 'b', msg: 'x' },
    ];
    const items = values.map((value, i) => {
      const record = recordOf(value, String(10 + i));
      return { coordinates: record.coordinates, value: matchRules(record, rules)! };
    });
    const alerts = collapseAlerts(items, rules);
    expect(alerts.map((a) => [a.rule.name, a.match.group, a.count, a.items])).toEqual([
      ['grouped', 'a', 2, [0, 1]],
      ['identical', '', 3, [0, 2, 3]],
      ['identical', '', 1, [1]],
      ['grouped', 'b', 1, [3]],
    ]);
    const grouped = notificationOf(alerts[0]!, true);
    expect(grouped.subject).toBe('E a (x2)');
    expect(grouped.message).toMatch(
      /\n\n-- 2 records matched rule grouped in this batch \(host="a"\)\nfirst: 2025-11-22T02:00:00.000Z shardId-000000000001 10\/0\nlast: {2}2025-11-22T02:00:00.000Z shardId-000000000001 11\/0$/,
    );
    expect(grouped.attributes).toEqual({ rule: 'grouped', severity: 'high', stream: 'app-logs', count: 2 });
    expect(grouped.groupId).toBe('a');
    expect(notificationOf(alerts[1]!, true).groupId).toBe('identical');
    expect(notificationOf(alerts[1]!, false).groupId).toBeUndefined();
    // A long subject is cut so that the count still shows.
    const long = notificationOf(
      { ...alerts[0]!, match: { ...alerts[0]!.match, subject: 'é'.repeat(200) } },
      false,
    );
    expect(long.subject).toBe(`${'?'.repeat(92)}... (x2)`);
    expect(long.subject).toHaveLength(100);
  });
});
