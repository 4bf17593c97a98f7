import assert from "node:assert/strict";
import { TimeoutError, withTimeout } from "./timeout.ts";

Deno.test("`withTimeout()` settles as the work does, leaving no timer behind", async () => {
  // A 60 s timer left armed would fail this test (Deno's op sanitizer).
  assert.equal(await withTimeout(Promise.resolve(7), 60_000), 7);
  assert.equal(await withTimeout(() => Promise.resolve("fn"), 60_000), "fn");
  const broken = new Error("broker down");
  await assert.rejects(withTimeout(Promise.reject(broken), 60_000), (e) => e === broken);
  await assert.rejects(withTimeout(() => Promise.reject(broken), Infinity), (e) => e === broken);
});

Deno.test("`withTimeout()` rejects with a TimeoutError and aborts the work's signal", async () => {
  let aborted: unknown = null;
  const err = await withTimeout(
    (signal) =>
      new Promise<never>((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted = signal.reason;
          reject(new Error("late failure, never unhandled"));
        });
      }),
    10,
    { message: "no acknowledgement within 10 ms" },
  ).catch((e) => e);
  assert.ok(err instanceof TimeoutError);
  assert.equal(err.message, "no acknowledgement within 10 ms");
  assert.equal(err.timeoutMs, 10);
  assert.equal(aborted, err);
  // A bare promise stops being waited for; its later rejection is handled.
  const late = new Promise<void>((_, reject) => setTimeout(() => reject(new Error("late")), 20));
  const err2 = await withTimeout(late, 5).catch((e) => e);
  assert.equal(err2.message, "Cannot finish: no result within 5 ms");
  await new Promise((r) => setTimeout(r, 30));
});

Deno.test("`withTimeout()` stops at once when its signal aborts", async () => {
  const controller = new AbortController();
  let workSignal: AbortSignal | null = null;
  const waiting = withTimeout(
    (signal) => {
      workSignal = signal;
      return new Promise<void>(() => {});
    },
    60_000,
    { signal: controller.signal },
  );
  const reason = new Error("shutting down");
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  assert.equal(workSignal!.aborted, true);
  // Already aborted: the work is not started.
  let started = false;
  await assert.rejects(
    withTimeout(
      () => {
        started = true;
        return Promise.resolve();
      },
      1_000,
      { signal: controller.signal },
    ),
    (e) => e === reason,
  );
  assert.equal(started, false);
});

Deno.test("`withTimeout()` refuses a negative time", () => {
  assert.throws(
    () => withTimeout(Promise.resolve(), -1),
    /^RangeError: Cannot set a timeout: ms must be at least 0, current value is -1$/,
  );
});
