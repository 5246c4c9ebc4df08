/**
 * A minute-by-minute model of one provisioned Kinesis stream, the CloudWatch alarms watching it and the
 * UpdateShardCount rules AWS enforces, driven by a traffic trace and a controller (an autoscaling policy).
 *
 * Modelled:
 *   - per-shard write limits (1 MiB/s, 1,000 records/s); offered load above capacity is throttled (rejected
 *     records are published as WriteProvisionedThroughputExceeded, accepted ones as IncomingBytes/Records);
 *   - metrics reach CloudWatch one minute late; alarms are evaluated every minute over sliding periods
 *     ("M of N"), act only on a transition to ALARM, and SetAlarmState makes them re-evaluate;
 *   - UpdateShardCount: refused while UPDATING (ResourceInUseException), above 10 per rolling 24 h
 *     (LimitExceededException), above 2x or below half (odd counts: half of 5 is 2.5), above 10,000;
 *     an accepted call leaves the stream UPDATING for 2 minutes + 6 s per shard of the larger count (AWS says
 *     "a few minutes", longer for large streams) at the OLD capacity, then the new count applies;
 *   - SNS is at-least-once: every 7th alarm notification is delivered twice;
 *   - the stream's tags (the autoscaler keeps its history and pending target there: ListTagsForStream, AddTagsToStream);
 *   - the consumers' iterator age, when the trace has it (GetRecords.IteratorAgeMilliseconds, Maximum per period),
 *     in the scale-down alarms that block on it;
 *   - one-time schedules (EventBridge Scheduler, at()) that reset an alarm at a given minute.
 * Not modelled: sub-minute bursts (a minute at 100 % average would throttle in reality), producer retries.
 */
import type { Direction } from '../../functions/shard-autoscaler/alarms';
import { emptySample, type PeriodSample } from '../../functions/shard-autoscaler/demand';
import { sampleWindow } from '../../functions/shard-autoscaler/measure';
import type { ScalingPolicy } from '../../functions/shard-autoscaler/policy';
import type { Trace } from './traces';

const MIB = 1024 * 1024;
export const MINUTE_MS = 60_000;
/** Minutes between the end of a minute and its metrics being visible to alarms and GetMetricData. */
const METRIC_DELAY_MINUTES = 1;
const DUPLICATE_EVERY = 7;

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSpec {
  /** The math adds WriteProvisionedThroughputExceeded back (ours) or counts accepted writes only (anchor). */
  offered: boolean;
  periodMinutes: number;
  evaluationPeriods: number;
  datapoints: number;
  threshold: number;
  /** The shard count constant in the math. */
  shards: number;
  /**
   * Scale-down alarms blocked while consumers lag: ours adds FILL(iteratorAge,0) x threshold / limit to the
   * MAX (at the limit it reaches the threshold); the AWS sample's alarm does not breach at or over its limit.
   */
  lagLimitMs?: number;
}

interface AlarmState extends AlarmSpec {
  direction: Direction;
  state: AlarmStateValue;
  /** Minute of the last state change. */
  changedAt: number;
}

export type UpdateResult =
  'ok' | 'ResourceInUseException' | 'LimitExceededException' | 'InvalidArgumentException';

export interface Controller {
  name: string;
  initialAlarms(shards: number): Record<Direction, AlarmSpec>;
  onAlarm(world: World, direction: Direction, stateChangedAtMs: number): void;
}

export interface MinuteRecord {
  minute: number;
  demandShards: number;
  shards: number;
  utilisation: number;
  throttled: boolean;
}

export interface SimulationResult {
  controller: string;
  trace: string;
  minutes: MinuteRecord[];
  operations: Array<{ minute: number; from: number; to: number }>;
  rejected: Array<{ minute: number; target: number; error: UpdateResult }>;
  invocations: number;
}

/** What a controller can see and do: the stream, its alarms and CloudWatch data, through API-like calls. */
export class World {
  minute = 0;
  shards: number;
  updating: { to: number; doneAt: number } | undefined;
  readonly accepted: number[] = [];
  readonly operations: SimulationResult['operations'] = [];
  readonly rejected: SimulationResult['rejected'] = [];
  readonly alarms: Record<Direction, AlarmState>;
  /** Per minute: accepted bytes and records, throttled records (sums over the minute), iterator age (Maximum). */
  readonly metrics: Array<{ bytes: number; records: number; throttled: number; iteratorAgeMs: number }> = [];
  /** The stream's tags. */
  readonly tags = new Map<string, string>();
  /**
   * One-time schedules (EventBridge Scheduler's at() with the SetAlarmState target): at `minute` the alarm is reset
   * to INSUFFICIENT_DATA, as the function's re-arm would. One per alarm and time (the name is derived from both).
   */
  readonly schedules = new Map<string, { direction: Direction; minute: number }>();
  invocations = 0;

  constructor(
    initialShards: number,
    alarms: Record<Direction, AlarmSpec>,
    readonly epochMs: number,
  ) {
    this.shards = initialShards;
    this.alarms = {
      up: { ...alarms.up, direction: 'up', state: 'INSUFFICIENT_DATA', changedAt: 0 },
      down: { ...alarms.down, direction: 'down', state: 'INSUFFICIENT_DATA', changedAt: 0 },
    };
  }

  get nowMs(): number {
    return this.epochMs + this.minute * MINUTE_MS;
  }

  describeStream(): { shards: number; status: 'ACTIVE' | 'UPDATING' } {
    return { shards: this.shards, status: this.updating ? 'UPDATING' : 'ACTIVE' };
  }

  updateShardCount(target: number): UpdateResult {
    const current = this.shards;
    let result: UpdateResult = 'ok';
    if (this.updating) result = 'ResourceInUseException';
    else if (this.accepted.filter((at) => at > this.minute - 24 * 60).length >= 10)
      result = 'LimitExceededException';
    else if (target > 10_000) result = 'LimitExceededException';
    else if (target > 2 * current || target * 2 < current || target === current || target < 1) {
      result = 'InvalidArgumentException';
    }
    if (result !== 'ok') {
      this.rejected.push({ minute: this.minute, target, error: result });
      return result;
    }
    this.accepted.push(this.minute);
    this.operations.push({ minute: this.minute, from: current, to: target });
    this.updating = { to: target, doneAt: this.minute + 2 + Math.ceil((Math.max(current, target) * 6) / 60) };
    return 'ok';
  }

  listTags(): Map<string, string> {
    return new Map(this.tags);
  }

  /** AddTagsToStream (an empty value is kept as empty, as Kinesis does). */
  addTags(tags: Record<string, string>): void {
    for (const [key, value] of Object.entries(tags)) this.tags.set(key, value);
  }

  putAlarms(specs: Record<Direction, AlarmSpec>): void {
    for (const direction of ['up', 'down'] as const) Object.assign(this.alarms[direction], specs[direction]);
  }

  /** CreateSchedule at(atMs): false when a schedule of that alarm for that time exists (ConflictException). */
  scheduleRearm(direction: Direction, atMs: number): boolean {
    const minute = Math.ceil((atMs - this.epochMs) / MINUTE_MS);
    const key = `${direction}@${minute}`;
    if (this.schedules.has(key)) return false;
    this.schedules.set(key, { direction, minute });
    return true;
  }

  setAlarmState(direction: Direction, state: AlarmStateValue): void {
    const alarm = this.alarms[direction];
    if (alarm.state !== state) Object.assign(alarm, { state, changedAt: this.minute });
  }

  /** GetMetricData over the decision's window, as measure.ts would read it. */
  samples(policy: ScalingPolicy, direction: Direction): PeriodSample[] {
    const window = sampleWindow(policy, direction, this.nowMs);
    const periodMs = window.periodSeconds * 1000;
    const visible = this.minute - 1 - METRIC_DELAY_MINUTES;
    const samples: PeriodSample[] = [];
    for (let start = window.startTime.getTime(); start < window.endTime.getTime(); start += periodMs) {
      const sample = emptySample(start);
      const first = (start - this.epochMs) / MINUTE_MS;
      for (let m = first; m < first + window.periodSeconds / 60; m++) {
        const data = m >= 0 && m <= visible ? this.metrics[m] : undefined;
        if (!data) continue;
        sample.incomingBytes += data.bytes;
        sample.incomingRecords += data.records;
        sample.throttledRecords += data.throttled;
        sample.iteratorAgeMs = Math.max(sample.iteratorAgeMs, data.iteratorAgeMs);
      }
      samples.push(sample);
    }
    return samples;
  }

  /** One alarm evaluation at the current minute; returns true on a transition to ALARM. */
  evaluate(alarm: AlarmState): boolean {
    const last = this.minute - 1 - METRIC_DELAY_MINUTES;
    const span = alarm.periodMinutes * alarm.evaluationPeriods;
    if (last + 1 < span) return false;
    let breaching = 0;
    for (let k = 0; k < alarm.evaluationPeriods; k++) {
      let bytes = 0;
      let records = 0;
      let throttled = 0;
      let age = 0;
      for (let m = last - (k + 1) * alarm.periodMinutes + 1; m <= last - k * alarm.periodMinutes; m++) {
        bytes += this.metrics[m]!.bytes;
        records += this.metrics[m]!.records;
        throttled += this.metrics[m]!.throttled;
        age = Math.max(age, this.metrics[m]!.iteratorAgeMs);
      }
      if (alarm.offered) {
        // alarms.ts: bytes x offered / (records + 1), offered = records + throttled
        bytes = (bytes * (records + throttled)) / (records + 1);
        records += throttled;
      }
      const seconds = alarm.periodMinutes * 60;
      let value = Math.max(bytes / (MIB * seconds * alarm.shards), records / (1000 * seconds * alarm.shards));
      if (alarm.lagLimitMs !== undefined) {
        value = alarm.offered
          ? Math.max(value, (age * alarm.threshold) / alarm.lagLimitMs)
          : age >= alarm.lagLimitMs
            ? Number.POSITIVE_INFINITY
            : value;
      }
      if (alarm.direction === 'up' ? value >= alarm.threshold : value < alarm.threshold) breaching += 1;
    }
    const next: AlarmStateValue = breaching >= alarm.datapoints ? 'ALARM' : 'OK';
    if (next === alarm.state) return false;
    Object.assign(alarm, { state: next, changedAt: this.minute });
    return next === 'ALARM';
  }
}

export function simulate(
  trace: Trace,
  controller: Controller,
  initialShards: number,
  epochMs = Date.UTC(2026, 0, 5),
): SimulationResult {
  const world = new World(initialShards, controller.initialAlarms(initialShards), epochMs);
  const minutes: MinuteRecord[] = [];
  let deliveries = 0;
  for (const point of trace.points) {
    world.minute = point.minute;
    if (world.updating && world.updating.doneAt <= world.minute) {
      world.shards = world.updating.to;
      world.updating = undefined;
    }
    const capacityBytes = world.shards * MIB;
    const capacityRecords = world.shards * 1000;
    const utilisation = Math.max(point.bytesPerSec / capacityBytes, point.recordsPerSec / capacityRecords);
    const accepted = Math.min(1, 1 / utilisation);
    world.metrics[point.minute] = {
      bytes: point.bytesPerSec * 60 * accepted,
      records: point.recordsPerSec * 60 * accepted,
      throttled: point.recordsPerSec * 60 * (1 - accepted),
      iteratorAgeMs: point.iteratorAgeMs ?? 0,
    };
    minutes.push({
      minute: point.minute,
      demandShards: Math.max(point.bytesPerSec / MIB, point.recordsPerSec / 1000),
      shards: world.shards,
      utilisation,
      throttled: utilisation > 1,
    });
    // The end of this minute: schedules due run, alarms evaluate, transitions to ALARM notify the controller.
    world.minute = point.minute + 1;
    for (const [key, schedule] of world.schedules) {
      if (schedule.minute > world.minute) continue;
      world.setAlarmState(schedule.direction, 'INSUFFICIENT_DATA');
      world.schedules.delete(key); // ActionAfterCompletion DELETE
    }
    for (const direction of ['up', 'down'] as const) {
      const alarm = world.alarms[direction];
      if (!world.evaluate(alarm)) continue;
      const changedAtMs = world.nowMs;
      deliveries += 1;
      const copies = deliveries % DUPLICATE_EVERY === 0 ? 2 : 1;
      for (let copy = 0; copy < copies; copy++) {
        world.invocations += 1;
        controller.onAlarm(world, direction, changedAtMs);
      }
    }
  }
  return {
    controller: controller.name,
    trace: trace.name,
    minutes,
    operations: world.operations,
    rejected: world.rejected,
    invocations: world.invocations,
  };
}

export interface Summary {
  policy: string;
  'throttled min': number;
  'peak util %': number;
  'mean util %': number;
  'shard-hours': number;
  'scaling ops': number;
  'max ops / 24h': number;
  /** UpdateShardCount calls AWS would refuse (the 24 h budget, the 2x / half rule, UPDATING). */
  'refused calls': number;
  /** Scalings to a count outside the policy's [min, max] (when given). */
  'outside min/max': number;
  invocations: number;
}

export function summarise(result: SimulationResult, bounds?: { min: number; max: number }): Summary {
  const minutes = result.minutes;
  // The most operations in any rolling 24 h (operations are in time order).
  let maxOps = 0;
  let first = 0;
  result.operations.forEach((op, last) => {
    while (op.minute - result.operations[first]!.minute >= 1440) first += 1;
    maxOps = Math.max(maxOps, last - first + 1);
  });
  const outOfBounds = bounds
    ? result.operations.filter(
        (op) => op.to > Math.max(bounds.max, op.from) || op.to < Math.min(bounds.min, op.from),
      ).length
    : 0;
  const mean = minutes.reduce((sum, m) => sum + m.demandShards / m.shards, 0) / minutes.length;
  return {
    policy: result.controller,
    'throttled min': minutes.filter((m) => m.throttled).length,
    'peak util %': Math.round(Math.max(...minutes.map((m) => m.utilisation)) * 100),
    'mean util %': Math.round(mean * 100),
    'shard-hours': Math.round(minutes.reduce((sum, m) => sum + m.shards, 0) / 60),
    'scaling ops': result.operations.length,
    'max ops / 24h': maxOps,
    'refused calls': result.rejected.length,
    'outside min/max': outOfBounds,
    invocations: result.invocations,
  };
}
