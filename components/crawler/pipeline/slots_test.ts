import assert from "node:assert/strict";
import { Slots } from "./slots.ts";

Deno.test("`Slots` counts requests in flight per process and per domain", () => {
  const slots = new Slots(3, 2);
  assert.equal(slots.free, 3);
  slots.take("a.com");
  slots.take("a.com");
  slots.take("b.com");
  assert.equal(slots.free, 0);
  assert.equal(slots.used, 3);
  assert.equal(slots.inFlight("a.com"), 2);
  assert.deepEqual(slots.fullDomains(), ["a.com"]);
  slots.release("a.com");
  assert.equal(slots.free, 1);
  assert.deepEqual(slots.fullDomains(), []);
  slots.release("a.com");
  slots.release("b.com");
  assert.equal(slots.inFlight("a.com"), 0);
  assert.equal(slots.free, 3);
});

Deno.test("`Slots.free` is never negative", () => {
  const slots = new Slots(1, 1);
  slots.take("a.com");
  slots.take("b.com");
  assert.equal(slots.free, 0);
});

Deno.test("`Slots.wait()` resolves at the next release, not at its timeout", async () => {
  const slots = new Slots(1, 1);
  slots.take("a.com");
  const started = Date.now();
  const waiting = slots.wait(new AbortController().signal, 60_000);
  setTimeout(() => slots.release("a.com"), 10);
  await waiting;
  assert.ok(Date.now() - started < 1_000);
});

Deno.test("`Slots.wait()` resolves after its timeout or on abort", async () => {
  const slots = new Slots(1, 1);
  const started = Date.now();
  await slots.wait(new AbortController().signal, 20);
  assert.ok(Date.now() - started >= 15);
  const controller = new AbortController();
  const waiting = slots.wait(controller.signal, 60_000);
  controller.abort();
  await waiting;
  assert.ok(Date.now() - started < 1_000);
});

Deno.test("`Slots.delivering()` gives a downloaded request's slot back, up to as many as slots", () => {
  const slots = new Slots(2, 2);
  slots.take("a.com");
  slots.take("a.com");
  assert.equal(slots.free, 0);
  assert.equal(slots.delivering("a.com"), true);
  assert.equal(slots.free, 1);
  slots.take("b.com");
  assert.equal(slots.delivering("b.com"), true);
  assert.equal(slots.free, 1);
  // Two deliveries under way for two slots: the next one keeps its slot.
  assert.equal(slots.delivering("a.com"), false);
  assert.equal(slots.free, 1);
  assert.equal(slots.inFlight("a.com"), 1);
  slots.delivered();
  assert.equal(slots.delivering("a.com"), true);
  assert.equal(slots.free, 2);
  assert.equal(slots.inFlight("a.com"), 0);
});
