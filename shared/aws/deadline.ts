/**
 * The invocation's time budget, as one object every AWS call and sink shares.
 *
 * Lambda kills an invocation at its deadline; a function that is still waiting on a hung request then returns
 * nothing, and Lambda retries the whole batch. A {@link Deadline} ends `marginMs` earlier: its `signal` aborts
 * every call that carries it (`client.send(command, { abortSignal: deadline.signal })`), so the runner stops
 * waiting, reports what is unfinished (a partial batch response, or ProcessingFailed with the original data) and
 * still answers in time. Per-attempt timeouts (shared/aws/clients.ts) bound each try inside that budget.
 *
 * @example
 * ```ts
 * const deadline = startDeadline(() => context.getRemainingTimeInMillis(), 2_000);
 * try {
 *   await s3Client().send(new PutObjectCommand(input), { abortSignal: deadline.signal });
 * } finally {
 *   deadline.dispose();
 * }
 * ```
 */

import { setMaxListeners } from 'node:events';

/** Default margin kept between the budget's end and Lambda's deadline, for answering (ms). */
export const DEFAULT_DEADLINE_MARGIN_MS = 2_000;

export interface Deadline {
  /** Aborts when the budget is spent (with a {@link DeadlineExceededError} as its reason). */
  readonly signal: AbortSignal;
  /** Milliseconds left in the budget (0 once spent; Infinity when the invocation has no deadline). */
  remainingMs(): number;
  /** True once the budget is spent. */
  expired(): boolean;
}

/** The budget ran out before a call finished; the call was abandoned, not failed by the service. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly budgetMs: number) {
    super(`the invocation's time budget (${Math.round(budgetMs)} ms) ran out before the call finished`);
  }
}

/**
 * Starts a deadline `marginMs` before the invocation's own (`remainingTimeMs()` is Lambda's
 * `context.getRemainingTimeInMillis`). Call `dispose()` when the invocation is done so no timer outlives it.
 */
export function startDeadline(
  remainingTimeMs: () => number,
  marginMs = DEFAULT_DEADLINE_MARGIN_MS,
): Deadline & { dispose(): void } {
  const budget = Math.max(0, remainingTimeMs() - marginMs);
  const controller = new AbortController();
  // Every call and backoff in flight listens on this one signal: dozens at once is normal, not a leak.
  setMaxListeners(0, controller.signal);
  const endsAt = performance.now() + budget;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expire = () => {
    if (!controller.signal.aborted) controller.abort(new DeadlineExceededError(budget));
  };
  if (!Number.isFinite(budget)) {
    // Outside Lambda (scripts, some tests) there is no deadline: the signal never fires.
  } else if (budget <= 0) {
    expire();
  } else {
    timer = setTimeout(expire, budget);
    // A deadline alone must never keep a process alive.
    timer.unref?.();
  }
  return {
    signal: controller.signal,
    remainingMs: () => (Number.isFinite(budget) ? Math.max(0, endsAt - performance.now()) : budget),
    expired: () => controller.signal.aborted,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** A deadline that never expires (unit tests, scripts). */
export const NO_DEADLINE: Deadline = {
  signal: new AbortController().signal,
  remainingMs: () => Number.POSITIVE_INFINITY,
  expired: () => false,
};

/**
 * Settles with `work`'s result, or with `onExpired()` once the deadline's signal fires and `graceMs` more have
 * passed without `work` settling (a call that ignores its abort signal must not hold the answer back).
 */
export async function untilDeadline<T>(
  work: Promise<T>,
  deadline: Deadline,
  onExpired: () => T,
  graceMs = 100,
): Promise<T> {
  if (!Number.isFinite(deadline.remainingMs()) && !deadline.expired()) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<T>((resolve) => {
    const giveUp = () => {
      timer = setTimeout(() => resolve(onExpired()), graceMs);
    };
    if (deadline.signal.aborted) giveUp();
    else {
      onAbort = giveUp;
      deadline.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort) deadline.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits `ms` (a retry's backoff), or less if `signal` fires first: a backoff never outlasts the invocation's budget.
 * Resolves either way; the caller checks the signal after.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
