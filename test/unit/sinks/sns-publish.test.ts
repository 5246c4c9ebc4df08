/**
 * publishNotifications against a scripted SNS client: which entries are sent again (per-entry failures on HTTP 200,
 * entries SNS did not mention, a failed call), which are refused for good, the backoff and the budget, the abort
 * signal, the batches not started after a failure, and what is logged. The integration tests publish to fauxqs,
 * which never fails an entry on demand.
 */
import {
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type PublishBatchResponse,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SinkWriteContext } from '../../../shared/kinesis/types';
import { logger } from '../../../shared/middleware/observability';
import { type PublishOutcome, publishNotifications, type SnsNotification } from '../../../shared/sinks/sns';

interface Sent {
  topic: string;
  entries: PublishBatchRequestEntry[];
  signal: AbortSignal | undefined;
}

/**
 * An SNS client whose every PublishBatch is answered by `answer(entries, call number)`. Answers are loosely typed:
 * SNS may leave out fields its model marks required (a Failed entry without Code).
 */
function scriptedSns(answer: (entries: PublishBatchRequestEntry[], n: number) => object) {
  const sent: Sent[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async send(command: PublishBatchCommand, options?: { abortSignal?: AbortSignal }) {
      expect(command).toBeInstanceOf(PublishBatchCommand);
      const entries = command.input.PublishBatchRequestEntries!;
      sent.push({ topic: command.input.TopicArn!, entries, signal: options?.abortSignal });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return answer(entries, sent.length);
    },
  };
  return { client: client as unknown as SNSClient, sent, maxInFlight: () => maxInFlight };
}

const ok = (entries: PublishBatchRequestEntry[]): PublishBatchResponse => ({
  Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
});
const notifications = (n: number): SnsNotification[] =>
  Array.from({ length: n }, (_, i) => ({ message: `m${i}`, subject: `s${i}` }));
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
const budget = (ms = 60_000, signal?: AbortSignal): SinkWriteContext => ({
  remainingTimeMs: () => ms,
  signal,
});
const fast = { baseBackoffMs: 1, maxBackoffMs: 1, minRoundMs: 0 };
const messages = (entries: PublishBatchRequestEntry[]) => entries.map((e) => e.Message);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('publishNotifications', () => {
  it('sends batches of at most 10 with Ids 0-9, the topic and the abort signal, and reports each delivered', async () => {
    const { client, sent } = scriptedSns(ok);
    const signal = new AbortController().signal;
    const outcomes = await publishNotifications(
      notifications(12),
      { topicArn: TOPIC, client, ...fast },
      budget(60_000, signal),
    );
    expect(outcomes).toEqual(Array(12).fill({ status: 'delivered' }));
    expect(sent.map((s) => s.entries.map((e) => e.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1'],
    ]);
    expect(sent[1]!.entries).toEqual([
      { Id: '0', Message: 'm10', Subject: 's10' },
      { Id: '1', Message: 'm11', Subject: 's11' },
    ]);
    expect(sent.every((s) => s.topic === TOPIC && s.signal === signal)).toBe(true);
  });

  it('sends again only the entries that failed for now, or that SNS did not mention, in order', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { client, sent } = scriptedSns((entries, n) => {
      if (n > 1) return ok(entries);
      return {
        // Id 1 answered twice: the first answer counts. Ids SNS never sent are ignored.
        Successful: [{ Id: '0' }, { Id: '1' }, { Id: '42' }, {}],
        Failed: [
          { Id: '1', Code: 'Throttled', SenderFault: false },
          { Id: '4', Code: 'InternalError', SenderFault: false },
          { Id: '2', SenderFault: false },
          { Id: '99', Code: 'Throttled', SenderFault: false },
          { Code: 'Throttled', SenderFault: false },
        ],
      };
    });
    const outcomes = await publishNotifications(
      notifications(6),
      { topicArn: TOPIC, client, ...fast },
      budget(),
    );
    expect(outcomes).toEqual(Array(6).fill({ status: 'delivered' }));
    expect(sent.map((s) => messages(s.entries))).toEqual([
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
      ['m2', 'm3', 'm4', 'm5'],
    ]);
    expect(sent[1]!.entries.map((e) => e.Id)).toEqual(['0', '1', '2', '3']);
    expect(warn).toHaveBeenCalledWith('PublishBatch entries failed; retrying', {
      round: 0,
      failed: 4,
      codes: ['InternalError', 'UnknownError', 'NotSent'],
    });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it.each(['InvalidParameter', 'InvalidParameterValue', 'ValidationError', 'ValidationException'])(
    'reports an entry refused with %s as a sender fault rejected, its message masked, and sends it no more',
    async (code) => {
      const { client, sent } = scriptedSns(() => ({
        Successful: [{ Id: '1' }],
        Failed: [{ Id: '0', Code: code, SenderFault: true, Message: 'Invalid parameter: "secret text"' }],
      }));
      const outcomes = await publishNotifications(
        notifications(2),
        { topicArn: TOPIC, client, ...fast },
        budget(),
      );
      expect(outcomes).toEqual([
        {
          status: 'rejected',
          errorName: code,
          reason: `SNS refused the notification: ${code} (Invalid parameter: "…")`,
        },
        { status: 'delivered' },
      ]);
      expect(sent).toHaveLength(1);
    },
  );

  it('cuts the message SNS gives for a refusal to 200 characters, and gives none when there is none', async () => {
    const { client } = scriptedSns(() => ({
      Failed: [
        { Id: '0', Code: 'InvalidParameter', SenderFault: true, Message: 'x'.repeat(500) },
        { Id: '1', Code: 'InvalidParameter', SenderFault: true },
      ],
    }));
    const outcomes = await publishNotifications(
      notifications(2),
      { topicArn: TOPIC, client, ...fast },
      budget(),
    );
    expect(outcomes).toEqual([
      {
        status: 'rejected',
        errorName: 'InvalidParameter',
        reason: `SNS refused the notification: InvalidParameter (${'x'.repeat(200)})`,
      },
      {
        status: 'rejected',
        errorName: 'InvalidParameter',
        reason: 'SNS refused the notification: InvalidParameter',
      },
    ]);
  });

  it('sends again an entry refused with a permanent code without SenderFault, or a sender fault with another code', async () => {
    const { client, sent } = scriptedSns((entries, n) =>
      n === 1
        ? {
            Failed: [
              { Id: '0', Code: 'InvalidParameter', SenderFault: false },
              { Id: '1', Code: 'AuthorizationError', SenderFault: true },
            ],
          }
        : ok(entries),
    );
    const outcomes = await publishNotifications(
      notifications(2),
      { topicArn: TOPIC, client, ...fast },
      budget(),
    );
    expect(outcomes).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
    expect(sent).toHaveLength(2);
  });

  it('sends the whole batch again after a failed call, naming the error', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const { client, sent } = scriptedSns((entries, n) => {
      if (n === 1) {
        const error = new Error('socket hang up "secret"');
        error.name = 'TimeoutError';
        throw error;
      }
      if (n === 2) throw 'a string';
      return ok(entries);
    });
    const outcomes = await publishNotifications(
      notifications(3),
      { topicArn: TOPIC, client, ...fast },
      budget(),
    );
    expect(outcomes).toEqual(Array(3).fill({ status: 'delivered' }));
    expect(sent.map((s) => messages(s.entries))).toEqual(Array(3).fill(['m0', 'm1', 'm2']));
    expect(warn).toHaveBeenNthCalledWith(1, 'PublishBatch call failed', {
      round: 0,
      entries: 3,
      errorName: 'TimeoutError',
      errorMessage: 'socket hang up "…"',
    });
    expect(warn).toHaveBeenNthCalledWith(2, 'PublishBatch call failed', {
      round: 1,
      entries: 3,
      errorName: 'Error',
      errorMessage: 'a string',
    });
  });

  it('reports what is left failed, with its last error, when the budget cannot hold another round', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    // Backoff before round r: min(maxBackoffMs, baseBackoffMs * 2^(r-1)) * 0.5 with Math.random() = 0.
    const run = async (remainingMs: number, over: { maxBackoffMs?: number } = {}) => {
      const { client, sent } = scriptedSns((entries) => ({
        Failed: entries.map((e) => ({ Id: e.Id, Code: 'Throttled', SenderFault: false })),
      }));
      const outcomes = await publishNotifications(
        notifications(1),
        { topicArn: TOPIC, client, baseBackoffMs: 8, maxBackoffMs: 1_000, minRoundMs: 100, ...over },
        // Enough for rounds while they are few; the budget ends after 6 calls in any case.
        { remainingTimeMs: () => (sent.length >= 6 ? 0 : remainingMs), signal: undefined },
      );
      return { outcomes, calls: sent.length };
    };
    // Round 1 waits 4 ms, round 2 8 ms, round 3 16 ms, each needing minRoundMs more.
    expect(await run(99)).toMatchObject({ calls: 0, outcomes: [{ status: 'failed', errorName: 'NotSent' }] });
    expect(await run(100)).toMatchObject({
      calls: 1,
      outcomes: [{ status: 'failed', errorName: 'Throttled' }],
    });
    expect((await run(104)).calls).toBe(2);
    expect((await run(108)).calls).toBe(3);
    expect((await run(115)).calls).toBe(3);
    expect((await run(116)).calls).toBe(4);
    // maxBackoffMs caps the wait: 2 ms every round.
    expect((await run(102, { maxBackoffMs: 4 })).calls).toBe(6);
  });

  it('waits between rounds: the backoff with jitter between half and all of it', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client } = scriptedSns((entries, n) =>
      n === 1 ? { Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] } : ok(entries),
    );
    const started = performance.now();
    await publishNotifications(
      notifications(1),
      { topicArn: TOPIC, client, baseBackoffMs: 60, maxBackoffMs: 1_000, minRoundMs: 0 },
      budget(),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(random).toHaveBeenCalled();
  });

  it('stops when the invocation is aborted, before a call or during the backoff', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const first = scriptedSns(ok);
    expect(
      await publishNotifications(
        notifications(2),
        { topicArn: TOPIC, client: first.client, ...fast },
        budget(60_000, aborted.signal),
      ),
    ).toEqual(Array(2).fill({ status: 'failed', errorName: 'NotSent' }));
    expect(first.sent).toHaveLength(0);

    const during = new AbortController();
    const second = scriptedSns(() => {
      setTimeout(() => during.abort(), 5);
      return { Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] };
    });
    const outcomes = await publishNotifications(
      notifications(1),
      { topicArn: TOPIC, client: second.client, baseBackoffMs: 1_000, maxBackoffMs: 1_000, minRoundMs: 0 },
      budget(60_000, during.signal),
    );
    expect(outcomes).toEqual([{ status: 'failed', errorName: 'Throttled' }]);
    expect(second.sent).toHaveLength(1);
  });

  it('starts no batch after one is left with failures, and FIFO topics send one batch at a time', async () => {
    const failFirst = (entries: PublishBatchRequestEntry[], n: number) =>
      n === 1
        ? { Failed: entries.map((e) => ({ Id: e.Id, Code: 'Throttled', SenderFault: false })) }
        : ok(entries);
    const context = (sent: Sent[]): SinkWriteContext => ({
      remainingTimeMs: () => (sent.length > 0 ? 0 : 60_000),
    });
    const fifo = scriptedSns(failFirst);
    const outcomes: PublishOutcome[] = await publishNotifications(
      notifications(25).map((n) => ({ ...n, groupId: 'g', deduplicationId: n.message })),
      { topicArn: `${TOPIC}.fifo`, client: fifo.client, ...fast, concurrency: 4 },
      context(fifo.sent),
    );
    expect(fifo.sent).toHaveLength(1);
    expect(fifo.sent[0]!.entries[0]).toMatchObject({ MessageGroupId: 'g', MessageDeduplicationId: 'm0' });
    expect(outcomes.slice(0, 10)).toEqual(Array(10).fill({ status: 'failed', errorName: 'Throttled' }));
    expect(outcomes.slice(10)).toEqual(Array(15).fill({ status: 'failed', errorName: 'NotSent' }));
    expect(fifo.maxInFlight()).toBe(1);
  });

  it('starts no batch after one with a single failed entry, and reports a failed call with its error', async () => {
    // After the first call the budget holds a first round (1 ms) but no retry (a backoff of 500-1,000 ms).
    const oneCall = (sent: Sent[]): SinkWriteContext => ({
      remainingTimeMs: () => (sent.length > 0 ? 10 : 60_000),
    });
    const options = {
      topicArn: TOPIC,
      baseBackoffMs: 1_000,
      maxBackoffMs: 1_000,
      minRoundMs: 1,
      concurrency: 1,
    };
    const partly = scriptedSns((entries) => ({
      Successful: entries.filter((e) => e.Id !== '3').map((e) => ({ Id: e.Id, MessageId: 'm' })),
      Failed: [{ Id: '3', Code: 'Throttled', SenderFault: false }],
    }));
    const outcomes = await publishNotifications(
      notifications(11),
      { ...options, client: partly.client },
      oneCall(partly.sent),
    );
    expect(partly.sent).toHaveLength(1);
    expect(outcomes[3]).toEqual({ status: 'failed', errorName: 'Throttled' });
    expect(outcomes[10]).toEqual({ status: 'failed', errorName: 'NotSent' });

    const throwing = scriptedSns(() => {
      throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    });
    expect(
      await publishNotifications(
        notifications(11),
        { ...options, client: throwing.client },
        oneCall(throwing.sent),
      ),
    ).toEqual([
      ...Array(10).fill({ status: 'failed', errorName: 'TimeoutError' }),
      { status: 'failed', errorName: 'NotSent' },
    ]);
    expect(throwing.sent).toHaveLength(1);
  });

  it('never waits more than the full backoff (the jitter takes between half and all of it)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client, sent } = scriptedSns((entries, n) =>
      n === 1 ? { Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] } : ok(entries),
    );
    // Round 1 waits 8 * (0.5 + 0.999 / 2) < 8 ms: a budget of 8 ms holds it.
    const outcomes = await publishNotifications(
      notifications(1),
      { topicArn: TOPIC, client, baseBackoffMs: 8, maxBackoffMs: 1_000, minRoundMs: 0 },
      { remainingTimeMs: () => (sent.length < 2 ? 8 : 0) },
    );
    expect(sent).toHaveLength(2);
    expect(outcomes).toEqual([{ status: 'delivered' }]);
  });

  it('keeps up to `concurrency` calls in flight on a standard topic (4 by default, at least 1)', async () => {
    for (const [concurrency, expected] of [
      [undefined, 4],
      [2, 2],
      [0, 1],
    ] as const) {
      const { client, maxInFlight, sent } = scriptedSns(ok);
      await publishNotifications(
        notifications(60),
        { topicArn: TOPIC, client, ...fast, concurrency },
        budget(),
      );
      expect(sent).toHaveLength(6);
      expect(maxInFlight()).toBe(expected);
    }
  });

  it("plans against the topic's maximum size", async () => {
    const { client, sent } = scriptedSns(ok);
    await publishNotifications(
      [{ message: 'x'.repeat(600) }, { message: 'y'.repeat(600) }],
      { topicArn: TOPIC, client, ...fast, maxRequestBytes: 1_000 },
      budget(),
    );
    expect(sent.map((s) => s.entries.length)).toEqual([1, 1]);
  });
});
