/**
 * Finishing a scale-down that UpdateShardCount's half rule cut short, and the alarm thresholds that make it happen.
 *
 * A scale-down clamped by the rule (46 -> 23 when the load wants 7) leaves the stream where the rule allowed, not
 * where the measured load says it should be. At 23 shards the load of 7 is 15 % (below the scale-down threshold:
 * the alarm fires again), but the next step, 23 -> 12, lands at 29 %: above a 0.25 threshold, so that alarm would
 * never fire again and the stream would stay at 12 for as long as the load stays. So the scaling records a PENDING
 * target (the count it wanted) on the stream, as the tag `autoscaler.pending` ("down to 7"), and writes the
 * scale-down alarm with a threshold the pending target's load is under:
 *
 *   pending p on n shards: threshold = max(normal, p x target / n)        (7 on 12 at the target 0.5: 0.2916)
 *
 * The alarms are reset after the scaling as always; the scale-down alarm re-evaluates the traffic it already has
 * at its next period and fires while the load still fits p shards. The delivery then goes through every usual
 * check (UPDATING, stale/duplicate, cooldown, budget and its reserve, min/max, lag, the half rule, DRY_RUN) and
 * decide() sizes the next step from the measurement again: the pending count only decides WHEN the alarm asks,
 * never how far a scaling goes. A scaling that lands where it wanted clears the tag and the threshold returns to
 * normal.
 *
 * Scale-ups have no pending target: one cut short by the double rule lands below the scale-up threshold only when
 * the rest of the way is less than 1.5x, i.e. at a utilisation between the target and the scale-up threshold,
 * where nothing throttles; a larger rest keeps the scale-up alarm firing on its own. Continuing there anyway cost
 * about 12 % more shard-hours on the spike and sawtooth traces with no fewer throttled minutes (`npm run simulate`).
 *
 * Normal scale-down threshold on n shards: scaleDownThreshold, but never above k x target / n, where k is the largest
 * count a scale-down from n is worth (MIN_SCALE_DOWN_FRACTION): under it the load fits k shards at the target, so a
 * scale-down alarm ends in a scaling (or a hold that can change), never in "no change" asked again every minute.
 * With the target 0.5 that caps it at 0.25 on 2 shards, 0.33 on 3, 0.375 on 4 and 0.4 on 5.
 *
 * Pure (no SDK): alarms.ts (and through it serverless.yml's deploy helpers) use it.
 */
import { worthScalingDown } from './decide';
import type { ScalingPolicy } from './policy';

export const PENDING_TAG = 'autoscaler.pending';

/** The largest shard count a scale-down from `shards` is worth an operation for; 0 when there is none. */
export function largestWorthwhileScaleDown(shards: number): number {
  for (let count = shards - 1; count >= 1; count--) if (worthScalingDown(shards, count)) return count;
  return 0;
}

/** Whether a pending scale-down target still says something on `shards`: fewer, and worth an operation. */
export function pendingApplies(pending: number | undefined, shards: number): pending is number {
  return pending !== undefined && pending < shards && worthScalingDown(shards, pending);
}

/** The thresholds of a stream's two alarms on `shards` shards, with the pending scale-down target if any. */
export function alarmThresholds(
  policy: ScalingPolicy,
  shards: number,
  pending?: number,
): { up: number; down: number } {
  const target = policy.targetUtilisation;
  let down = Math.min(
    policy.scaleDownThreshold,
    floor4((largestWorthwhileScaleDown(shards) * target) / shards),
  );
  if (pendingApplies(pending, shards)) down = Math.max(down, floor4((pending * target) / shards));
  return { up: policy.scaleUpThreshold, down };
}

/**
 * Computed thresholds have 4 decimals (the alarm description repeats them), rounded down: under the rounded value
 * the load still fits the smaller count.
 */
const floor4 = (value: number) => Math.floor(value * 10_000 + 1e-9) / 10_000;

/** Tag value: "down to 7"; empty when there is none. */
export function encodePending(pending: number | undefined): string {
  return pending === undefined ? '' : `down to ${pending}`;
}

export function decodePending(value: string | undefined): number | undefined {
  const match = /^down to (\d{1,5})$/.exec(value?.trim() ?? '');
  const shards = match ? Number(match[1]) : 0;
  return shards >= 1 ? shards : undefined;
}
