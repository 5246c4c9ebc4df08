/**
 * decide(): the boundaries and fields mutation testing showed unpinned (npm run mutate autoscaler): the 10 %
 * minimum scale-down, the cooldown, the 24 h window, the 10,000-shard rules and their 9,999 floor, the retry flag
 * of every hold (the handler re-arms the alarm only when it is set), the reason and the utilisation figures.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, type DecisionInput, decide } from '../../../functions/shard-autoscaler/decide';
import { demand, held, input, NOW, policy, scaled } from '../../support/decide-fixtures';

const down = (currentShards: number, shards: number, fields: Partial<DecisionInput> = {}) =>
  decide(input({ direction: 'down', currentShards, demand: demand(shards), ...fields }));

describe('decide: exact boundaries', () => {
  it('scales down when exactly 10 % of the shards go, not when fewer do', () => {
    // At the 0.5 target, demand 4.5 needs 9 shards: 1 of 10 is exactly 10 %.
    expect(scaled(down(10, 4.5)).to).toBe(9);
    // 1 of 11 is 9 %.
    expect(held(down(11, 5)).hold).toBe('no-change');
    expect(held(down(11, 5)).reason).toMatch(
      /^removing 1 of 11 shard\(s\) is not worth one of the day's operations; /,
    );
  });

  it('the cooldown ends exactly cooldown seconds after the last operation', () => {
    const upCooldown = policy().scaleUpCooldownSeconds * 1000;
    const downCooldown = policy().scaleDownCooldownSeconds * 1000;
    expect(upCooldown).not.toBe(downCooldown);
    expect(scaled(decide(input({ demand: demand(3.2), history: [NOW - upCooldown] }))).to).toBe(7);
    const early = held(decide(input({ demand: demand(3.2), history: [NOW - upCooldown + 1] })));
    expect(early).toMatchObject({ hold: 'cooldown', retry: true, retryAfter: NOW + 1 });
    expect(early.reason).toMatch(/^last scaling 60 s ago; /);
    expect(scaled(down(8, 0.5, { history: [NOW - downCooldown] })).to).toBe(4);
    expect(held(down(8, 0.5, { history: [NOW - downCooldown + 1] }))).toMatchObject({
      hold: 'cooldown',
      retryAfter: NOW + 1,
    });
  });

  it('an operation exactly 24 h old has left the window; one a millisecond younger has not', () => {
    const nine = Array.from({ length: 9 }, (_, i) => NOW - (i + 2) * 3_600_000);
    const atEdge = scaled(decide(input({ demand: demand(3.2), history: [...nine, NOW - DAY_MS] })));
    expect(atEdge.budget).toMatchObject({ limit: 10, used: 9, left: 0 });
    const inside = held(decide(input({ demand: demand(3.2), history: [...nine, NOW - DAY_MS + 1] })));
    expect(inside).toMatchObject({ hold: 'budget-exhausted', retry: true, retryAfter: NOW + 1 });
    expect(inside.budget).toMatchObject({ used: 10, left: 0, nextFreeAt: NOW + 1 });
    expect(inside.reason).toMatch(/^10 of 10 operations used in 24 h; /);
  });

  it('the next free operation is the oldest in the window, whatever the order of the history', () => {
    const history = [NOW - 3_600_000, NOW - 20 * 3_600_000, NOW - 2 * DAY_MS, NOW - 7_200_000];
    const decision = scaled(decide(input({ demand: demand(3.2), history })));
    expect(decision.budget).toEqual({
      limit: 10,
      used: 3,
      left: 6,
      nextFreeAt: NOW - 20 * 3_600_000 + DAY_MS,
    });
    expect(scaled(decide(input({ demand: demand(3.2) }))).budget).toEqual({ limit: 10, used: 0, left: 9 });
  });

  it('budget-reserved holds from the moment only the reserve is left', () => {
    const reserve = policy().reserveForScaleUp;
    const spent = (n: number) => Array.from({ length: n }, (_, i) => NOW - (i + 1) * 3_600_000);
    // 10 - 7 = 3 left > reserve 2: allowed; 10 - 8 = 2 left: held.
    expect(reserve).toBe(2);
    expect(scaled(down(8, 0.5, { history: spent(7) })).budget.left).toBe(2);
    const heldDown = held(down(8, 0.5, { history: spent(8) }));
    expect(heldDown).toMatchObject({ hold: 'budget-reserved', retry: true });
    expect(heldDown.reason).toMatch(/^the last 2 operation\(s\) of the 24 h budget are kept for scale-ups; /);
  });

  it('a scale-up with the last operations goes as far as allowed only when left <= max(reserve, 1)', () => {
    const spent = (n: number) => Array.from({ length: n }, (_, i) => NOW - (i + 1) * 3_600_000);
    expect(scaled(decide(input({ demand: demand(3.1), history: spent(7) }))).to).toBe(7);
    const last = scaled(decide(input({ demand: demand(3.1), history: spent(8) })));
    expect(last.to).toBe(8);
    expect(last.clamps).toEqual(['one of the last 2 operation(s): as far as allowed']);
    // Going as far as allowed is the desired count itself: nothing to say.
    expect(scaled(decide(input({ demand: demand(3.8), history: spent(8) })))).toMatchObject({
      to: 8,
      desired: 8,
      clamps: [],
    });
    // With no reserve, only the very last operation goes far.
    const noReserve = policy({ reserveForScaleUp: 0 });
    expect(scaled(decide(input({ demand: demand(3.1), history: spent(8), policy: noReserve }))).to).toBe(7);
    expect(scaled(decide(input({ demand: demand(3.1), history: spent(9), policy: noReserve }))).to).toBe(8);
  });
});

describe('decide: the 10,000-shard rules', () => {
  const big = policy({ maxShards: 10_000 });
  it('a stream above 10,000 scaling down to a target below 10,000 goes to that target', () => {
    const d = scaled(down(12_000, 4_000, { policy: big }));
    expect(d.to).toBe(8_000);
    expect(d.clamps).toEqual([]);
  });

  it('clamps to 9,999 when the target is 10,000 or more, and refuses when half the stream is over 9,999', () => {
    const exactly = scaled(down(12_000, 5_000, { policy: big }));
    expect(exactly.to).toBe(9_999);
    expect(exactly.clamps).toEqual(['below 10,000 shards']);
    // Half of 19,998 is 9,999: a target of 10,000 becomes 9,999. Half of 19,999 is 10,000: UpdateShardCount
    // cannot do it.
    const floor = scaled(down(19_998, 5_000, { policy: big }));
    expect(floor.to).toBe(9_999);
    expect(floor.clamps).toEqual(['below 10,000 shards']);
    expect(scaled(down(19_998, 10, { policy: big }))).toMatchObject({ to: 9_999, pending: 20 });
    const refused = held(down(19_999, 10, { policy: big }));
    expect(refused).toMatchObject({ hold: 'outside-aws-limits', retry: false });
    expect(refused.reason).toMatch(/^a stream of 19999 shards cannot be scaled down by UpdateShardCount; /);
  });

  it('a stream of exactly 10,000 shards scales down freely', () => {
    expect(scaled(down(10_000, 4_500, { policy: big })).to).toBe(9_000);
  });

  it('a scale-up stops at 10,000 shards and says so', () => {
    const up = scaled(
      decide(input({ currentShards: 6_000, demand: demand(9_000), policy: policy({ maxShards: 10_000 }) })),
    );
    expect(up).toMatchObject({ to: 10_000, desired: 10_000, clamps: [] });
    const twice = scaled(decide(input({ currentShards: 4, demand: demand(100) })));
    expect(twice.to).toBe(8);
    expect(twice.clamps).toEqual(['at most 2x current']);
  });
});

describe('decide: holds, retry flags, reasons and figures', () => {
  it('no-headroom is retried (the handler re-arms the alarm), at-max / at-min / outside limits are not', () => {
    const noRoom = held(decide(input({ demand: demand(3.2), accountShardHeadroom: 0 })));
    expect(noRoom).toMatchObject({ hold: 'no-headroom', retry: true });
    expect(noRoom.reason).toMatch(/^the account shard limit leaves no room to scale up; /);
    expect('retryAfter' in noRoom).toBe(false);
    expect(held(decide(input({ demand: demand(3.2), accountShardHeadroom: -3 }))).hold).toBe('no-headroom');
    const atMax = held(
      decide(input({ currentShards: 6, demand: demand(100), policy: policy({ maxShards: 6 }) })),
    );
    expect(atMax).toMatchObject({ hold: 'at-max', retry: false });
    expect(atMax.reason).toMatch(/^already at or above maxShards 6; /);
    const noChange = held(decide(input({ demand: demand(1) })));
    expect(noChange).toMatchObject({ hold: 'no-change', retry: true });
    expect(noChange.reason).toMatch(/^the measured demand does not call for more shards; /);
    expect(held(down(4, 1.8)).reason).toMatch(/^the measured demand does not allow fewer shards; /);
    const atMin = held(down(2, 0, { policy: policy({ minShards: 2 }) }));
    expect(atMin.reason).toMatch(/^already at or below minShards 2; /);
    const lag = held(down(8, 0.5, { demand: demand(0.5, { lagging: true }) }));
    expect(lag.reason).toMatch(
      new RegExp(`^consumers lag by ${policy().scaleDownMaxIteratorAgeSeconds} s or more; `),
    );
    // Lag does not hold a scale-up.
    expect(scaled(decide(input({ demand: demand(3.2, { lagging: true }) }))).to).toBe(7);
  });

  it('headroom: clamps and says so when it is the limit, not when doubling is', () => {
    const clamped = scaled(decide(input({ demand: demand(3.2), accountShardHeadroom: 2 })));
    expect(clamped).toMatchObject({ to: 6, clamps: ['account shard headroom 2', 'AWS shard limits'] });
    const ample = scaled(decide(input({ demand: demand(3.2), accountShardHeadroom: 4 })));
    expect(ample).toMatchObject({ to: 7, clamps: [] });
    expect(scaled(decide(input({ demand: demand(3.2), accountShardHeadroom: 3 }))).to).toBe(7);
  });

  it('reason and utilisation: the measured load in words, before and after', () => {
    const d = scaled(decide(input({ demand: demand(3.2) })));
    expect(d).toMatchObject({
      direction: 'up',
      from: 4,
      desired: 7,
      utilisation: 0.8,
      utilisationAfter: 0.457,
    });
    expect(d.reason).toBe('peak load 3.2 shard(s) of write bytes = 80 % of 4 shard(s); 7 at the target 50 %');
    const r = scaled(
      decide(input({ demand: demand(2.345, { binding: 'records', throttled: true }), currentShards: 2 })),
    );
    expect(r.utilisation).toBe(1.173);
    expect(r.reason).toBe(
      'peak load 2.35 shard(s) of write records (throttled writes counted) = 117 % of 2 shard(s); 5 at the target 50 %; at most 2x current',
    );
    const reads = held(decide(input({ demand: demand(1, { binding: 'reads' }) })));
    expect(reads.reason).toBe(
      'the measured demand does not call for more shards; peak load 1 shard(s) of read bytes = 25 % of 4 shard(s); 2 at the target 50 %',
    );
    expect(reads).toMatchObject({ desired: 2, utilisation: 0.25, from: 4, direction: 'up' });
  });

  it('at least one shard is needed, and demand exactly at the target needs no extra shard', () => {
    expect(held(decide(input({ demand: demand(0) })))).toMatchObject({ desired: 1, utilisation: 0 });
    // 3 shards of demand at 0.5 is exactly 6 (floating point must not make it 7).
    expect(scaled(decide(input({ demand: demand(3) }))).to).toBe(6);
    expect(scaled(decide(input({ demand: demand(0.3 * 10) }))).desired).toBe(6);
  });

  it('pending: the rest of a scale-down the half rule cut short, when still worth an operation', () => {
    const cut = scaled(down(12, 1.2));
    expect(cut).toMatchObject({ to: 6, pending: 3 });
    expect(cut.clamps).toEqual([
      'at least half of current (6)',
      '3 pending: the scale-down alarm asks again while the load fits',
    ]);
    // From 12 to 6 with 6 desired: not cut short, nothing pending.
    expect('pending' in scaled(down(12, 3))).toBe(false);
    // Half of 20 is 10; desired 9 removes 1 of 10 (exactly 10 %): pending 9.
    expect(scaled(down(20, 4.5)).pending).toBe(9);
    // Half of 22 is 11; desired 10 removes 1 of 11: not worth it, nothing pending.
    expect('pending' in scaled(down(22, 5))).toBe(false);
  });
});
