/**
 * Re-arming an alarm held by the 24 h budget at the time the budget frees, instead of every minute until then.
 *
 * A hold that can change later re-arms its alarm (SetAlarmState INSUFFICIENT_DATA): CloudWatch evaluates it again
 * within a minute and, while the condition holds, it fires again. For a cooldown that is a few minutes of
 * deliveries; for the budget (`budget-exhausted`, or a scale-down kept off the reserve) it is one delivery a minute
 * for hours, each a full check that ends in the same hold. The budget's next change is known: the oldest operation
 * of the rolling 24 h leaves it at `retryAfter`. So the function creates a one-time EventBridge Scheduler schedule
 * for the minute after it, whose target is CloudWatch's SetAlarmState on that alarm (a universal target: no
 * function is invoked, no code runs), and deleted after it ran. Until then the alarm stays in ALARM and asks
 * nothing. The schedule's name is derived from the alarm and the time, so a duplicate delivery finds it taken
 * (ConflictException) and creates no second one.
 *
 * Pure (no SDK): act.ts and the simulator (scripts/simulate) use it.
 */
import { createHash } from 'node:crypto';
import type { Decision } from './decide';

const MINUTE_MS = 60_000;

/** The time a hold on the 24 h budget re-arms its alarm (epoch ms), or undefined for any other decision. */
export function budgetRearmAt(decision: Decision): number | undefined {
  if (decision.action !== 'hold') return undefined;
  if (decision.hold !== 'budget-exhausted' && decision.hold !== 'budget-reserved') return undefined;
  if (decision.retryAfter === undefined) return undefined;
  // The minute after the oldest operation leaves the window: the decision then counts one operation fewer.
  return Math.floor(decision.retryAfter / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
}

/**
 * The schedule's name (1-64 characters of [0-9a-zA-Z-_.]): a hash of the alarm name (up to 255 characters) and the
 * minute, so one alarm has one schedule per time.
 */
export function rearmScheduleName(alarmName: string, at: number): string {
  const hash = createHash('sha256').update(alarmName).digest('hex').slice(0, 24);
  return `rearm-${hash}-${Math.floor(at / MINUTE_MS)}`;
}

/** at() takes UTC without a zone suffix when ScheduleExpressionTimezone is UTC (the default): at(2026-01-22T13:41:00). */
export function atExpression(at: number): string {
  return `at(${new Date(at).toISOString().slice(0, 19)})`;
}
