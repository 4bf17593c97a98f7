/**
 * A bound on how long to wait for one piece of work, in place of hand-made
 * `Promise.race([work, timer])`: the timer is always cleared (no timer left to keep a process
 * or `deno test`'s sanitizers busy), a late rejection of the work is never unhandled, and work
 * given as a function is handed a signal that aborts when the time is up.
 *
 * @example
 * ```ts
 * import { TimeoutError, withTimeout } from "./timeout.ts";
 *
 * const fast = await withTimeout(Promise.resolve("done"), 1_000);
 * const slow = await withTimeout(
 *   (signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)),
 *   10,
 *   { message: "no answer in 10 ms" },
 * ).catch((err) => err);
 * if (fast !== "done" || !(slow instanceof TimeoutError)) throw new Error("unexpected");
 * ```
 *
 * @module
 */

/** The work given to {@linkcode withTimeout} did not settle in time. */
export class TimeoutError extends Error {
  /** The time that was allowed. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, message?: string) {
    super(message ?? `Cannot finish: no result within ${timeoutMs} ms`);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** Options of {@linkcode withTimeout}. */
export interface WithTimeoutOptions {
  /** Stops waiting at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The {@linkcode TimeoutError}'s message.
   * @default {"Cannot finish: no result within <ms> ms"}
   */
  message?: string;
}

/**
 * Settles as `work` does, or rejects with a {@linkcode TimeoutError} after `ms` (`Infinity`:
 * never). When `work` is a function it is called with a signal that aborts on the timeout or
 * on `signal`, so it can stop what it started; a promise given as it is simply stops being
 * waited for.
 */
export function withTimeout<T>(
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  options: WithTimeoutOptions = {},
): Promise<T> {
  if (!(ms >= 0)) {
    throw new RangeError(`Cannot set a timeout: ms must be at least 0, current value is ${ms}`);
  }
  const { signal, message } = options;
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    const onAbort = () => {
      controller.abort(signal?.reason);
      finish(() => reject(signal?.reason));
    };
    let running: Promise<T>;
    if (signal?.aborted) {
      controller.abort(signal.reason);
      if (typeof work !== "function") work.catch(() => {});
      return reject(signal.reason);
    }
    try {
      running = Promise.resolve(typeof work === "function" ? work(controller.signal) : work);
    } catch (err) {
      return reject(err);
    }
    // Settles at most once: whatever comes second (the work after the timeout) is ignored.
    running.then(
      (value) => finish(() => resolve(value)),
      (err) => finish(() => reject(err)),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    if (Number.isFinite(ms)) {
      timer = setTimeout(() => {
        const err = new TimeoutError(ms, message);
        controller.abort(err);
        finish(() => reject(err));
      }, ms);
    }
  });
}
