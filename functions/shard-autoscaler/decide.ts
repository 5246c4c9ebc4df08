/**
 * The scaling decision: a pure function of the stream's state, its measured demand, the history of scaling
 * operations and the policy. The handler and the simulator (scripts/simulate) call exactly this.
 *
 * Rules, in order:
 *   1. scale-down is held while consumers lag (iterator age at or over the policy's limit);
 *   2. desired = ceil(demand / targetUtilisation), clamped to [minShards, maxShards]; an alarm whose direction
 *      the measurement no longer supports does nothing (no-change, at-max, at-min), nor does a scale-down
 *      that would remove less than 10 % of the shards;
 *   3. budget: at most maxOperationsPer24h (<= 10, UpdateShardCount's limit) operations in any rolling 24 h;
 *      scale-downs never use the last `reserveForScaleUp` of them;
 *   4. cooldown since the last operation (separate for up and down);
 *   5. UpdateShardCount's rules: target <= 2 x current, target >= ceil(current / 2) (half of 5 is 2.5, so 3),
 *      <= 10,000 shards, a stream above 10,000 only scales down below 10,000, and no more than the account's
 *      shard headroom (DescribeLimits) when it is known;
 *   6. a scale-up that spends one of the reserved operations goes as far as the rules allow, so the last
 *      operations of the day are not spent in small steps;
 *   7. a scale-down the half rule cut short returns the rest as `pending` (pending.ts), when it is worth an
 *      operation: the handler records it and sets the scale-down alarm to ask again while the load fits it.
 *
 * @example
 * ```ts
 * const decision = decide({ direction: 'up', now: Date.now(), currentShards: 4, history: [], demand, policy });
 * if (decision.action === 'scale') await updateShardCount(decision.to);
 * ```
 */
import type { Direction } from './alarms';
import type { Demand } from './demand';
import { LIMITS, type ScalingPolicy } from './policy';

export type { Direction };

export const DAY_MS = 86_400_000;
/**
 * A scale-down must remove at least this share of the shards: smaller steps (often an artefact of a window
 * that still holds the tail of a peak) spend one of the 10 daily operations for almost no saving.
 */
export const MIN_SCALE_DOWN_FRACTION = 0.1;

/** Whether going from `from` down to `to` shards removes enough of them to be worth one of the day's operations. */
export const worthScalingDown = (from: number, to: number) => (from - to) / from >= MIN_SCALE_DOWN_FRACTION;

export type HoldReason =
  | 'consumers-lagging'
  | 'no-change'
  | 'at-max'
  | 'at-min'
  | 'budget-exhausted'
  | 'budget-reserved'
  | 'cooldown'
  | 'no-headroom'
  | 'outside-aws-limits';

/** Holds worth re-evaluating later (the handler re-arms the alarm); the others wait for a new alarm. */
const RETRYABLE: ReadonlySet<HoldReason> = new Set([
  'consumers-lagging',
  'no-change',
  'budget-exhausted',
  'budget-reserved',
  'cooldown',
  'no-headroom',
]);

export interface DecisionInput {
  direction: Direction;
  /** Epoch milliseconds. */
  now: number;
  currentShards: number;
  /** Epoch milliseconds of earlier UpdateShardCount calls on this stream (older than 24 h are ignored). */
  history: number[];
  demand: Demand;
  policy: ScalingPolicy;
  /** Account shard limit minus open shards (DescribeLimits), when known. */
  accountShardHeadroom?: number;
}

export interface Budget {
  limit: number;
  /** Operations in the rolling 24 h before this decision. */
  used: number;
  /** Operations left after this decision (counting it when it scales). */
  left: number;
  /** When the oldest operation in the window leaves it, if any. */
  nextFreeAt?: number;
}

interface Common {
  direction: Direction;
  from: number;
  /** Shards the demand calls for at the target utilisation, clamped to [min, max]. */
  desired: number;
  reason: string;
  budget: Budget;
  /** Peak utilisation of the current shards (over 1 = throttling). */
  utilisation: number;
}

export type Decision =
  | (Common & {
      action: 'scale';
      to: number;
      utilisationAfter: number;
      clamps: string[];
      /**
       * Scale-down only: the count the half rule kept this scaling from (desired), when the rest of the way is still
       * worth an operation. Recorded on the stream, it sets the scale-down alarm to fire again while the load fits
       * it (pending.ts).
       */
      pending?: number;
    })
  | (Common & { action: 'hold'; hold: HoldReason; retry: boolean; retryAfter?: number });

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const BINDING = { bytes: 'write bytes', records: 'write records', reads: 'read bytes' } as const;

export function decide(input: DecisionInput): Decision {
  const { direction, now, currentShards: from, demand, policy } = input;
  const up = direction === 'up';
  const window = input.history.filter((at) => at > now - DAY_MS).sort((a, b) => a - b);
  const used = window.length;
  const budget: Budget = {
    limit: policy.maxOperationsPer24h,
    used,
    left: Math.max(0, policy.maxOperationsPer24h - used),
    ...(window.length > 0 ? { nextFreeAt: window[0]! + DAY_MS } : {}),
  };
  const needed = Math.max(1, Math.ceil(demand.shards / policy.targetUtilisation - 1e-9));
  const desired = Math.min(policy.maxShards, Math.max(policy.minShards, needed));
  const utilisation = round(demand.shards / from, 3);
  const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
  const measured =
    `peak load ${round(demand.shards)} shard(s) of ${BINDING[demand.binding]}` +
    (demand.throttled ? ' (throttled writes counted)' : '') +
    ` = ${percent(utilisation)} of ${from} shard(s); ${needed} at the target ${percent(policy.targetUtilisation)}`;
  const common = { direction, from, desired, budget, utilisation };
  const hold = (reason: HoldReason, text: string, retryAfter?: number): Decision => ({
    ...common,
    action: 'hold',
    hold: reason,
    retry: RETRYABLE.has(reason),
    reason: `${text}; ${measured}`,
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  });

  if (!up && demand.lagging) {
    return hold('consumers-lagging', `consumers lag by ${policy.scaleDownMaxIteratorAgeSeconds} s or more`);
  }
  if (up && desired <= from) {
    return from >= policy.maxShards
      ? hold('at-max', `already at or above maxShards ${policy.maxShards}`)
      : hold('no-change', 'the measured demand does not call for more shards');
  }
  if (!up && desired >= from) {
    return from <= policy.minShards
      ? hold('at-min', `already at or below minShards ${policy.minShards}`)
      : hold('no-change', 'the measured demand does not allow fewer shards');
  }
  if (!up && !worthScalingDown(from, desired)) {
    return hold(
      'no-change',
      `removing ${from - desired} of ${from} shard(s) is not worth one of the day's operations`,
    );
  }
  if (used >= policy.maxOperationsPer24h) {
    return hold(
      'budget-exhausted',
      `${used} of ${policy.maxOperationsPer24h} operations used in 24 h`,
      budget.nextFreeAt,
    );
  }
  if (!up && budget.left <= policy.reserveForScaleUp) {
    return hold(
      'budget-reserved',
      `the last ${policy.reserveForScaleUp} operation(s) of the 24 h budget are kept for scale-ups`,
      budget.nextFreeAt,
    );
  }
  const last = window.at(-1);
  const cooldownMs = (up ? policy.scaleUpCooldownSeconds : policy.scaleDownCooldownSeconds) * 1000;
  if (last !== undefined && now - last < cooldownMs) {
    return hold('cooldown', `last scaling ${Math.round((now - last) / 1000)} s ago`, last + cooldownMs);
  }

  const clamps: string[] = [];
  let to: number;
  if (up) {
    let ceiling = Math.min(2 * from, LIMITS.maxShardsPerStream);
    if (input.accountShardHeadroom !== undefined && from + input.accountShardHeadroom < ceiling) {
      ceiling = from + Math.max(0, input.accountShardHeadroom);
      clamps.push(`account shard headroom ${input.accountShardHeadroom}`);
    }
    if (ceiling <= from) return hold('no-headroom', 'the account shard limit leaves no room to scale up');
    const lastOps = budget.left <= Math.max(policy.reserveForScaleUp, 1);
    to = lastOps ? Math.min(ceiling, policy.maxShards) : Math.min(ceiling, desired);
    if (lastOps && to > desired)
      clamps.push(`one of the last ${budget.left} operation(s): as far as allowed`);
    if (to < desired) clamps.push(to === 2 * from ? 'at most 2x current' : 'AWS shard limits');
  } else {
    const floor = Math.ceil(from / 2);
    to = Math.max(desired, floor);
    if (to > desired) clamps.push(`at least half of current (${floor})`);
    if (from > LIMITS.maxShardsPerStream && to >= LIMITS.maxShardsPerStream) {
      // "Scale a stream with more than 10000 shards down unless the result is less than 10000 shards" is refused.
      if (LIMITS.maxShardsPerStream - 1 < floor) {
        return hold(
          'outside-aws-limits',
          `a stream of ${from} shards cannot be scaled down by UpdateShardCount`,
        );
      }
      to = LIMITS.maxShardsPerStream - 1;
      clamps.push('below 10,000 shards');
    }
  }
  // A scale-down the half rule cut short leaves the rest pending, when it is still worth an operation (pending.ts).
  // Scale-ups leave none: see pending.ts.
  const pending =
    !up && to === Math.ceil(from / 2) && to > desired && worthScalingDown(to, desired) ? desired : undefined;
  if (pending !== undefined)
    clamps.push(`${desired} pending: the scale-down alarm asks again while the load fits`);
  const scaledBudget = { ...budget, left: budget.left - 1 };
  return {
    ...common,
    budget: scaledBudget,
    action: 'scale',
    to,
    ...(pending !== undefined ? { pending } : {}),
    clamps,
    utilisationAfter: round(demand.shards / to, 3),
    reason: `${measured}${clamps.length > 0 ? `; ${clamps.join('; ')}` : ''}`,
  };
}
