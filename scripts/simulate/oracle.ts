/**
 * What any policy could do on a trace, as rows beside the policies in `npm run simulate`:
 *
 *   ideal          shards = ceil(offered load / targetUtilisation) (at least minShards) every minute, ignoring
 *                  every AWS rule (no operation limit, no half/double, instant): the floor on shard-hours at the
 *                  target. Each minute's count change is counted as one "operation" only to show how far from
 *                  possible it is.
 *   best feasible  a schedule with perfect foresight that never runs a minute above the target utilisation and
 *                  obeys UpdateShardCount's rules: one operation per 5-minute step at most (a scaling takes minutes),
 *                  target between ceil(half) and double the current count, at most 10 operations in any rolling 24 h.
 *                  Dynamic programming over shard counts per 5-minute step, minimising shard-minutes + lambda x
 *                  operations; lambda (a price per operation) is raised until the schedule fits 10 operations in
 *                  every 24 h window, and the cheapest fitting schedule is kept. The rolling budget is enforced on the
 *                  result rather than in the state (an exact state would hold the times of the last 10 operations),
 *                  so this is a feasible schedule, an upper bound on the true optimum, usually close to it. The step
 *                  in which a scaling runs is paid at the larger count and must be served by the smaller one
 *                  (UPDATING keeps the old capacity; a 30-shard update takes about 5 minutes in the model).
 *                  It starts at whatever count the first step needs (the policies start at the trace's count).
 *
 * Both are sized at the policy's target utilisation (not at 100 %), like the policies' own scalings, so a policy
 * that runs hotter than the target between scalings can come in below them.
 */
import type { ScalingPolicy } from '../../functions/shard-autoscaler/policy';
import type { MinuteRecord, SimulationResult } from './model';
import type { Trace } from './traces';

const MIB = 1024 * 1024;
const STEP_MINUTES = 5;
const DAY_STEPS = (24 * 60) / STEP_MINUTES;
const OPERATIONS_PER_DAY = 10;

const demandShards = (point: Trace['points'][number]) =>
  Math.max(point.bytesPerSec / MIB, point.recordsPerSec / 1000);

function needed(demand: number, policy: ScalingPolicy): number {
  return Math.max(policy.minShards, Math.ceil(demand / policy.targetUtilisation - 1e-9));
}

function result(
  name: string,
  trace: Trace,
  shardsAt: (minute: number) => number,
  operations: SimulationResult['operations'],
): SimulationResult {
  const minutes: MinuteRecord[] = trace.points.map((point) => {
    const demand = demandShards(point);
    const shards = shardsAt(point.minute);
    return {
      minute: point.minute,
      demandShards: demand,
      shards,
      utilisation: demand / shards,
      throttled: demand > shards,
    };
  });
  return { controller: name, trace: trace.name, minutes, operations, rejected: [], invocations: 0 };
}

export function ideal(trace: Trace, policy: ScalingPolicy): SimulationResult {
  const counts = trace.points.map((point) => needed(demandShards(point), policy));
  const operations: SimulationResult['operations'] = [];
  counts.forEach((count, minute) => {
    if (minute > 0 && count !== counts[minute - 1])
      operations.push({ minute, from: counts[minute - 1]!, to: count });
  });
  return result('ideal', trace, (minute) => counts[minute]!, operations);
}

/** The most operations in any rolling 24 h window of a schedule (operation steps, ascending). */
export function maxOperationsInDay(steps: number[], daySteps = DAY_STEPS): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < steps.length; last++) {
    while (steps[last]! - steps[first]! >= daySteps) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

interface Schedule {
  counts: number[];
  /** Steps at which an operation starts (the count changes from the previous step's). */
  operations: number[];
  shardMinutes: number;
}

/** The cheapest schedule for one price per operation (shard-minutes). */
function cheapest(need: number[], top: number, price: number): Schedule {
  const steps = need.length;
  const INF = Number.POSITIVE_INFINITY;
  let cost = new Float64Array(top + 1).fill(INF);
  const from: Int16Array[] = [];
  for (let n = need[0]!; n <= top; n++) cost[n] = n * STEP_MINUTES;
  from.push(new Int16Array(top + 1).fill(-1));
  for (let s = 1; s < steps; s++) {
    const next = new Float64Array(top + 1).fill(INF);
    const back = new Int16Array(top + 1).fill(-1);
    for (let m = need[s]!; m <= top; m++) {
      // Staying at m.
      if (cost[m]! < INF) {
        next[m] = cost[m]! + m * STEP_MINUTES;
        back[m] = m;
      }
      // Scaling n -> m during step s: served by min(n, m), paid at max(n, m); ceil(n/2) <= m <= 2n.
      const low = Math.ceil(m / 2);
      const high = Math.min(top, 2 * m);
      for (let n = low; n <= high; n++) {
        if (n === m || cost[n] === INF || Math.min(n, m) < need[s]!) continue;
        if (m < Math.ceil(n / 2)) continue;
        const total = cost[n]! + Math.max(n, m) * STEP_MINUTES + price;
        if (total < next[m]!) {
          next[m] = total;
          back[m] = n;
        }
      }
    }
    cost = next;
    from.push(back);
  }
  let best = -1;
  for (let n = 1; n <= top; n++) if (cost[n]! < INF && (best < 0 || cost[n]! < cost[best]!)) best = n;
  const counts = new Array<number>(steps);
  counts[steps - 1] = best;
  for (let s = steps - 1; s > 0; s--) counts[s - 1] = from[s]![counts[s]!]!;
  const operations: number[] = [];
  let shardMinutes = counts[0]! * STEP_MINUTES;
  for (let s = 1; s < steps; s++) {
    if (counts[s] !== counts[s - 1]) operations.push(s);
    shardMinutes += Math.max(counts[s]!, counts[s - 1]!) * STEP_MINUTES;
  }
  return { counts, operations, shardMinutes };
}

export function bestFeasible(trace: Trace, policy: ScalingPolicy): SimulationResult {
  const need: number[] = [];
  for (let start = 0; start < trace.points.length; start += STEP_MINUTES) {
    const step = trace.points.slice(start, start + STEP_MINUTES);
    need.push(Math.max(...step.map((point) => needed(demandShards(point), policy))));
  }
  const top = Math.max(...need);
  let best: Schedule | undefined;
  // Prices from free to one shard for a day: the highest gives the fewest operations (a flat top count, with none,
  // always fits).
  for (let price = 0; ; price = price === 0 ? 1 : price * 1.5) {
    const schedule = cheapest(need, top, price);
    if (maxOperationsInDay(schedule.operations) <= OPERATIONS_PER_DAY) {
      if (!best || schedule.shardMinutes < best.shardMinutes) best = schedule;
    }
    if (price > 24 * 60 * top) break;
  }
  const schedule = best!;
  // Per minute: a step that starts a scaling is counted at the larger count (see above).
  const shardsAt = (minute: number) => {
    const s = Math.floor(minute / STEP_MINUTES);
    return s > 0 ? Math.max(schedule.counts[s]!, schedule.counts[s - 1]!) : schedule.counts[0]!;
  };
  const operations = schedule.operations.map((s) => ({
    minute: s * STEP_MINUTES,
    from: schedule.counts[s - 1]!,
    to: schedule.counts[s]!,
  }));
  const run = result('best feasible', trace, shardsAt, operations);
  // Served by the smaller count during the step: utilisation against it.
  for (const minute of run.minutes) {
    const s = Math.floor(minute.minute / STEP_MINUTES);
    const serving = s > 0 ? Math.min(schedule.counts[s]!, schedule.counts[s - 1]!) : schedule.counts[0]!;
    minute.utilisation = minute.demandShards / serving;
    minute.throttled = minute.demandShards > serving;
  }
  return run;
}
