import assert from "node:assert/strict";
import { sleep } from "./sleep.ts";

Deno.test("sleep() waits, and ends early when its signal aborts", async () => {
  const t0 = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t0 >= 25);
  const controller = new AbortController();
  const t1 = performance.now();
  const waiting = sleep(60_000, controller.signal);
  controller.abort();
  await waiting;
  assert.ok(performance.now() - t1 < 1_000);
  await sleep(60_000, controller.signal); // already aborted: returns at once
});
