/**
 * One way to retry: exponential backoff with jitter, bounded by attempts, a deadline and an
 * `AbortSignal`, with a predicate deciding what is worth retrying. Programmer errors
 * (`TypeError`, `RangeError`, `SyntaxError`, `ReferenceError`, ...) are never retried: retrying
 * a bug only hides it. Loops that must go on until stopped (a consumer that restarts, a
 * watcher that reconnects) use it too, with `maxAttempts: Infinity` and a `signal`.
 *
 * Why not a library: `p-retry` comes closest (signal, `shouldRetry`, `maxRetryTime`), but its
 * `randomize` stretches delays by ×1–2 instead of drawing them below a cap (full or equal
 * jitter), it retries `RangeError`/`SyntaxError`, on abort it rejects while the running attempt
 * goes on behind the caller's back (no signal is handed to the attempt, so a consumer being
 * stopped could not disconnect before `close()` returns), and a long-lived loop cannot start
 * its backoff over after a healthy run. `exponential-backoff` has no signal, no deadline and
 * only full jitter. The needed part is small, so it is written here.
 *
 * @example
 * ```ts
 * import { retry } from "./retry.ts";
 *
 * let calls = 0;
 * const answer = await retry(() => {
 *   if (++calls < 3) throw new Error("not yet");
 *   return Promise.resolve(42);
 * }, { minDelayMs: 1, maxAttempts: 5 });
 * if (answer !== 42 || calls !== 3) throw new Error("unexpected");
 * ```
 *
 * @module
 */

import { sleep } from "./sleep.ts";

/** How {@linkcode backoffDelay} grows the wait between attempts. */
export interface BackoffOptions {
  /**
   * Wait after the first failure, before jitter.
   * @default {100}
   */
  minDelayMs?: number;
  /**
   * Longest wait between two attempts (jitter only shortens it).
   * @default {30_000}
   */
  maxDelayMs?: number;
  /**
   * Each further failure multiplies the wait by this.
   * @default {2}
   */
  multiplier?: number;
  /**
   * Share of each wait drawn at random: `1` is full jitter (anywhere from 0 to the wait), `0.5`
   * equal jitter (from half the wait to all of it), `0` none. Jitter keeps many clients that
   * failed together from retrying together.
   * @default {1}
   */
  jitter?: number;
}

/** Options of {@linkcode retry}. */
export interface RetryOptions extends BackoffOptions {
  /**
   * Attempts in all, the first included; `Infinity` retries until `signal` aborts.
   * @default {5}
   */
  maxAttempts?: number;
  /**
   * Time allowed from the first call, waits included: the attempt running then is aborted
   * (through its signal), and no attempt starts that would have to wait past it.
   * @default {Infinity}
   */
  deadlineMs?: number;
  /** Stops retrying: waits end at once, a running attempt sees its signal abort. */
  signal?: AbortSignal;
  /**
   * Whether a failure is worth another attempt; programmer errors never are, whatever this
   * says. A rejection it refuses is passed on as it is.
   * @default {() => true}
   */
  isRetriable?: (err: unknown) => boolean;
  /** Called after each failed attempt that will be retried, before the wait (for logging). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /**
   * Random numbers in [0, 1) for the jitter; tests pass a constant.
   * @default {Math.random}
   */
  random?: () => number;
}

/** What an attempt of {@linkcode retry} is handed. */
export interface RetryContext {
  /** 1 for the first call. */
  readonly attempt: number;
  /**
   * Aborts when the caller's signal aborts or the deadline passes; an attempt should stop
   * then, since `retry` waits for it to settle.
   */
  readonly signal: AbortSignal;
  /**
   * The attempt made progress (a consumer joined and fetched, a session was established):
   * if it fails later, the next wait starts again from `minDelayMs`.
   */
  resetBackoff(): void;
}

/** Why {@linkcode retry} gave up on retriable failures. */
export type RetryStop = "maxAttempts" | "deadline" | "aborted";

/**
 * {@linkcode retry} gave up: out of attempts, past its deadline, or aborted. `cause` is the last
 * attempt's error (or the abort reason when no attempt failed).
 */
export class RetryError extends Error {
  /** What ended the retries. */
  readonly stoppedBy: RetryStop;
  /** Attempts made. */
  readonly attempts: number;

  constructor(stoppedBy: RetryStop, attempts: number, cause: unknown, deadlineMs?: number) {
    const n = `${attempts} ${attempts === 1 ? "attempt" : "attempts"}`;
    const why = stoppedBy === "maxAttempts"
      ? `${n} failed`
      : stoppedBy === "deadline"
      ? `deadline of ${deadlineMs} ms reached after ${n}`
      : `aborted after ${n}`;
    super(`Cannot finish: ${why}: ${_message(cause)}`, { cause });
    this.name = "RetryError";
    this.stoppedBy = stoppedBy;
    this.attempts = attempts;
  }
}

/**
 * True for errors that come from a bug rather than from the world (`TypeError`, `RangeError`,
 * `SyntaxError`, `ReferenceError`, `EvalError`, `URIError`): never worth retrying. Note that
 * Deno's `fetch` reports network failures as `TypeError`: wrap them in an error of your own
 * to retry them.
 */
export function isProgrammerError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError ||
    err instanceof ReferenceError || err instanceof EvalError || err instanceof URIError;
}

/**
 * The wait after `failures` consecutive failures (1 after the first): `minDelayMs ×
 * multiplier^(failures − 1)`, capped at `maxDelayMs`, less a random share of `jitter`.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./retry.ts";
 *
 * const opts = { minDelayMs: 500, maxDelayMs: 10_000, jitter: 0 };
 * if (backoffDelay(1, opts) !== 500 || backoffDelay(3, opts) !== 2_000) throw new Error();
 * if (backoffDelay(10, opts) !== 10_000) throw new Error();
 * ```
 */
export function backoffDelay(
  failures: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { minDelayMs = 100, maxDelayMs = 30_000, multiplier = 2, jitter = 1 } = opts;
  const cap = Math.min(maxDelayMs, minDelayMs * multiplier ** Math.max(0, failures - 1));
  return Math.round(cap - Math.min(1, Math.max(0, jitter)) * random() * cap);
}

/**
 * Calls `fn` until it resolves, waiting {@linkcode backoffDelay} between attempts. Rejects
 * with a programmer error or a failure `isRetriable` refuses as it is, at once; otherwise with
 * a {@linkcode RetryError} (keeping the last failure as `cause`) when attempts run out, the
 * deadline passes or `signal` aborts. A running attempt is never abandoned: it is handed a
 * signal and `retry` settles only after it, so nothing keeps running behind the caller (bound
 * a call that ignores signals with `withTimeout`).
 *
 * @example
 * ```ts
 * import { retry, RetryError } from "./retry.ts";
 *
 * const controller = new AbortController();
 * const forever = retry(() => Promise.reject(new Error("down")), {
 *   maxAttempts: Infinity,
 *   minDelayMs: 1,
 *   signal: controller.signal,
 * });
 * setTimeout(() => controller.abort(), 20);
 * const err = await forever.catch((e) => e);
 * if (!(err instanceof RetryError) || err.stoppedBy !== "aborted") throw err;
 * ```
 */
export async function retry<T>(
  fn: (context: RetryContext) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const {
    maxAttempts = 5,
    deadlineMs = Infinity,
    signal,
    isRetriable = () => true,
    onRetry,
    random = Math.random,
  } = options;
  if (!(maxAttempts >= 1)) {
    throw new RangeError(
      `Cannot retry: maxAttempts must be at least 1, current value is ${maxAttempts}`,
    );
  }
  const started = performance.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = Number.isFinite(deadlineMs)
    ? setTimeout(() => stop.abort(_deadlineReason(deadlineMs)), deadlineMs)
    : undefined;
  const stoppedBy = (): RetryStop => signal?.aborted ? "aborted" : "deadline";
  let attempt = 0;
  let failures = 0;
  let lastError: unknown = undefined;
  try {
    if (signal?.aborted) throw new RetryError("aborted", 0, signal.reason);
    while (true) {
      attempt++;
      try {
        return await fn({ attempt, signal: stop.signal, resetBackoff: () => failures = 0 });
      } catch (err) {
        lastError = err;
      }
      if (stop.signal.aborted) {
        throw new RetryError(stoppedBy(), attempt, lastError, deadlineMs);
      }
      if (isProgrammerError(lastError) || !isRetriable(lastError)) throw lastError;
      if (attempt >= maxAttempts) throw new RetryError("maxAttempts", attempt, lastError);
      const delayMs = backoffDelay(++failures, options, random);
      if (performance.now() - started + delayMs >= deadlineMs) {
        throw new RetryError("deadline", attempt, lastError, deadlineMs);
      }
      onRetry?.(lastError, attempt, delayMs);
      await sleep(delayMs, stop.signal);
      if (stop.signal.aborted) {
        throw new RetryError(stoppedBy(), attempt, lastError, deadlineMs);
      }
    }
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
  }
}

function _deadlineReason(deadlineMs: number): DOMException {
  return new DOMException(`Deadline of ${deadlineMs} ms passed`, "TimeoutError");
}

function _message(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err === undefined) return "no attempt failed";
  return String(err);
}
