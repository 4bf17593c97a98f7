import assert from "node:assert/strict";
import { backoffDelay, isProgrammerError, retry, RetryError } from "./retry.ts";

/** A function failing `failures` times with `Error("fail <n>")`, then resolving with "ok". */
function flaky(failures: number) {
  const calls: number[] = [];
  const fn = ({ attempt }: { attempt: number }) => {
    calls.push(attempt);
    if (calls.length <= failures) return Promise.reject(new Error(`fail ${calls.length}`));
    return Promise.resolve("ok");
  };
  return { fn, calls };
}

Deno.test("`retry()` resolves with the first success, numbering the attempts", async () => {
  const { fn, calls } = flaky(2);
  const retried: [string, number, number][] = [];
  const value = await retry(fn, {
    minDelayMs: 1,
    onRetry: (err, attempt, delayMs) => retried.push([(err as Error).message, attempt, delayMs]),
    random: () => 0,
  });
  assert.equal(value, "ok");
  assert.deepEqual(calls, [1, 2, 3]);
  assert.deepEqual(retried, [["fail 1", 1, 1], ["fail 2", 2, 2]]);
});

Deno.test("`retry()` gives up after maxAttempts with a RetryError keeping the last cause", async () => {
  const { fn, calls } = flaky(10);
  const err = await retry(fn, { maxAttempts: 3, minDelayMs: 1 }).catch((e) => e);
  assert.ok(err instanceof RetryError);
  assert.equal(err.stoppedBy, "maxAttempts");
  assert.equal(err.attempts, 3);
  assert.equal((err.cause as Error).message, "fail 3");
  assert.equal(err.message, "Cannot finish: 3 attempts failed: fail 3");
  assert.deepEqual(calls, [1, 2, 3]);
});

Deno.test("`retry()` never retries programmer errors", async () => {
  for (const bug of [new TypeError("x is undefined"), new RangeError("r"), new SyntaxError("s")]) {
    let calls = 0;
    const err = await retry(() => {
      calls++;
      throw bug;
    }, { minDelayMs: 1, isRetriable: () => true }).catch((e) => e);
    assert.equal(err, bug, "passed on as it is");
    assert.equal(calls, 1);
  }
  assert.ok(isProgrammerError(new ReferenceError("r")));
  assert.ok(!isProgrammerError(new Error("network down")));
  assert.ok(!isProgrammerError("a string"));
});

Deno.test("`retry()` passes on a failure isRetriable refuses, at once", async () => {
  class Fatal extends Error {}
  let calls = 0;
  const fatal = new Fatal("no such topic");
  const err = await retry(() => {
    calls++;
    return Promise.reject(calls === 1 ? new Error("transient") : fatal);
  }, { minDelayMs: 1, isRetriable: (e) => !(e instanceof Fatal) }).catch((e) => e);
  assert.equal(err, fatal);
  assert.equal(calls, 2);
});

Deno.test("`retry()` waits the backoff delays, capped at maxDelayMs", async () => {
  const { fn } = flaky(5);
  const delays: number[] = [];
  const t0 = performance.now();
  await retry(fn, {
    maxAttempts: 6,
    minDelayMs: 4,
    maxDelayMs: 10,
    jitter: 0,
    onRetry: (_err, _attempt, delayMs) => delays.push(delayMs),
  });
  assert.deepEqual(delays, [4, 8, 10, 10, 10]);
  assert.ok(performance.now() - t0 >= 40, "it really waited");
});

Deno.test("`backoffDelay()` grows by the multiplier, caps, and jitters below the cap", () => {
  const none = { minDelayMs: 250, maxDelayMs: 5_000, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, none)),
    [250, 500, 1_000, 2_000, 4_000, 5_000, 5_000],
  );
  assert.equal(backoffDelay(3, { minDelayMs: 10, multiplier: 3, jitter: 0 }), 90);
  // Full jitter: anywhere from 0 to the cap; equal jitter: from half of it.
  assert.equal(backoffDelay(2, { minDelayMs: 100, jitter: 1 }, () => 0), 200);
  assert.equal(backoffDelay(2, { minDelayMs: 100, jitter: 1 }, () => 0.999), 0);
  assert.equal(backoffDelay(2, { minDelayMs: 100, jitter: 0.5 }, () => 0.999), 100);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(4, { minDelayMs: 100, maxDelayMs: 500, jitter: 0.5 });
    assert.ok(d >= 250 && d <= 500, `${d}`);
  }
});

Deno.test("`retry()` gives up at the deadline rather than wait past it", async () => {
  const { fn, calls } = flaky(100);
  const t0 = performance.now();
  const err = await retry(fn, {
    maxAttempts: Infinity,
    minDelayMs: 20,
    jitter: 0,
    deadlineMs: 200,
  }).catch((e) => e);
  assert.ok(err instanceof RetryError);
  assert.equal(err.stoppedBy, "deadline");
  // Attempts at 0, 20, 60 and 140 ms; the next would wait 160 ms, past the deadline.
  assert.deepEqual(calls, [1, 2, 3, 4]);
  assert.equal((err.cause as Error).message, "fail 4");
  assert.equal(err.message, "Cannot finish: deadline of 200 ms reached after 4 attempts: fail 4");
  assert.ok(performance.now() - t0 < 200, "without waiting for nothing");
});

Deno.test("`retry()` aborts an attempt still running at the deadline and waits for it", async () => {
  let wound = false;
  const err = await retry(({ signal }) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => {
        setTimeout(() => {
          wound = true;
          reject(signal.reason);
        }, 5);
      });
    }), { deadlineMs: 20 }).catch((e) => e);
  assert.ok(err instanceof RetryError);
  assert.equal(err.stoppedBy, "deadline");
  assert.equal(err.attempts, 1);
  assert.equal((err.cause as DOMException).name, "TimeoutError");
  assert.ok(wound, "the attempt settled before retry() did");
});

Deno.test("`retry()` stops when its signal aborts: before, between and during attempts", async () => {
  // Before: no attempt at all.
  let calls = 0;
  const err0 = await retry(() => Promise.resolve(calls++), { signal: AbortSignal.abort() })
    .catch((e) => e);
  assert.ok(err0 instanceof RetryError);
  assert.equal(err0.stoppedBy, "aborted");
  assert.equal(err0.attempts, 0);
  assert.equal(calls, 0);

  // Between: the wait ends at once, the last failure is kept.
  const between = new AbortController();
  const { fn } = flaky(100);
  const t0 = performance.now();
  const waiting = retry(fn, { maxAttempts: Infinity, minDelayMs: 60_000, signal: between.signal });
  setTimeout(() => between.abort(), 10);
  const err1 = await waiting.catch((e) => e);
  assert.ok(err1 instanceof RetryError);
  assert.equal(err1.stoppedBy, "aborted");
  assert.equal(err1.message, "Cannot finish: aborted after 1 attempt: fail 1");
  assert.ok(performance.now() - t0 < 5_000);

  // During: the attempt sees its signal abort; retry() settles after it, never retrying.
  const during = new AbortController();
  let settled = false;
  const running = retry(
    ({ signal }) =>
      new Promise<void>((_, reject) =>
        signal.addEventListener("abort", () => {
          settled = true;
          reject(new Error("consumer stopped"));
        })
      ),
    { signal: during.signal, maxAttempts: Infinity, minDelayMs: 1 },
  );
  during.abort();
  const err2 = await running.catch((e) => e);
  assert.ok(settled);
  assert.ok(err2 instanceof RetryError);
  assert.equal(err2.stoppedBy, "aborted");
  assert.equal((err2.cause as Error).message, "consumer stopped");
});

Deno.test("`retry()` forever: resetBackoff() starts the waits over after progress", async () => {
  const controller = new AbortController();
  const delays: number[] = [];
  let calls = 0;
  const err = await retry(({ attempt, resetBackoff }) => {
    calls++;
    if (attempt === 4) resetBackoff(); // this session ran well before failing
    if (attempt === 7) controller.abort();
    return Promise.reject(new Error("crashed"));
  }, {
    maxAttempts: Infinity,
    minDelayMs: 1,
    jitter: 0,
    signal: controller.signal,
    onRetry: (_err, _attempt, delayMs) => delays.push(delayMs),
  }).catch((e) => e);
  assert.equal(calls, 7);
  assert.deepEqual(delays, [1, 2, 4, 1, 2, 4]);
  assert.ok(err instanceof RetryError);
  assert.equal(err.stoppedBy, "aborted");
});

Deno.test("`retry()` refuses maxAttempts below 1", async () => {
  await assert.rejects(
    retry(() => Promise.resolve(1), { maxAttempts: 0 }),
    (err: Error) =>
      err instanceof RangeError &&
      err.message === "Cannot retry: maxAttempts must be at least 1, current value is 0",
  );
});
