/**
 * The scaling history, kept on the stream itself as tags so it survives invocations and redeploys and is
 * visible in the console:
 *   autoscaler.history        the last 10 UpdateShardCount times, oldest first, e.g. "20260122T101500Z 20260122T134000Z"
 *   autoscaler.last-scaling   a readable line about the last one, e.g. "20260122T134000Z up 4 to 8"
 * Times use ISO 8601 basic format: Kinesis tag values allow letters, digits, spaces and _ . / = + - @, no colons.
 */
import type { Direction } from './alarms';
import { LIMITS } from './policy';

export const HISTORY_TAG = 'autoscaler.history';
export const LAST_SCALING_TAG = 'autoscaler.last-scaling';

/** 2026-01-22T13:40:00.123Z -> 20260122T134000Z (second precision). */
export function formatTagTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function parseTagTime(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Tag value -> times (epoch ms, ascending). Unreadable entries are skipped. */
export function decodeHistory(value: string | undefined): number[] {
  if (!value) return [];
  return value
    .split(/\s+/)
    .map(parseTagTime)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
}

/**
 * Times -> tag value, keeping the newest 10 (all a 10-per-24 h budget can need). Times are rounded UP to the
 * second: alarm times are compared against them, and an alarm raised in the same second as a scaling operation
 * must count as stale (the alarms are reset after scaling, so a fresh one comes a period later).
 */
export function encodeHistory(times: number[]): string {
  return [...times]
    .sort((a, b) => a - b)
    .slice(-LIMITS.operationsPer24h)
    .map((ms) => formatTagTime(Math.ceil(ms / 1000) * 1000))
    .join(' ');
}

export function describeScaling(at: number, direction: Direction, from: number, to: number): string {
  return `${formatTagTime(at)} ${direction} ${from} to ${to}`;
}
