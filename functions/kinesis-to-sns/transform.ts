/**
 * One decoded JSON user record -> the alerts its rules raise (undefined when no rule matches: the record is
 * filtered out). Pure: patterns and templates were compiled at cold start (rules.ts).
 */
import type { ConsumerRecord } from '../../shared/kinesis/types';
import { fieldText, renderTemplate, type Rule } from './rules';

export interface AlertMatch {
  /** Index into the rule list. */
  rule: number;
  /** The `groupBy` field's text ('' without groupBy or when the field is missing). */
  group: string;
  /** Alerts with the same rule and key collapse into one notification per invocation. */
  key: string;
  subject: string;
  message: string;
}

/** SNS rejects an empty message. */
export const EMPTY_MESSAGE = '(empty message)';

export function matchRules(
  record: ConsumerRecord<unknown>,
  rules: readonly Rule[],
): AlertMatch[] | undefined {
  let matches: AlertMatch[] | undefined;
  for (const rule of rules) {
    if (!rule.matches(record.value)) continue;
    const subject = renderTemplate(rule.subject, record.value, rule);
    // Without a message template the notification carries the record exactly as it arrived.
    const message =
      (rule.message
        ? renderTemplate(rule.message, record.value, rule)
        : (record.text ?? JSON.stringify(record.value))) || EMPTY_MESSAGE;
    const group = rule.groupBy ? fieldText(record.value, rule.groupBy) : '';
    // With groupBy, one alert per group value; without it, only identical alerts collapse.
    const key = rule.groupBy ? `g\u0000${group}` : `m\u0000${subject}\u0000${message}`;
    (matches ??= []).push({ rule: rule.index, group, key, subject, message });
  }
  return matches;
}
