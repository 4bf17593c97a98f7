import assert from "node:assert/strict";
import { parseProgress, parseRefused, rateBetween, RateMeter } from "./progress.ts";

Deno.test("parseProgress: done and errors per crawl, other fields ignored", () => {
  const parsed = parseProgress({
    "c1\tdone": "5",
    "c1\terrors": "2",
    "c2\tdone": "1",
    "c3\tsomething": "9",
    "notab": "3",
  });
  assert.deepEqual([...parsed], [["c1", { done: 5, errors: 2 }], ["c2", { done: 1, errors: 0 }]]);
});

Deno.test("parseRefused: summed over reasons per crawl", () => {
  const parsed = parseRefused({ "c1\tnetwork": "2", "c1\trobots": "3", "c2\trobots": "1" });
  assert.deepEqual([...parsed], [["c1", 5], ["c2", 1]]);
});

Deno.test("rateBetween: per second, never negative", () => {
  assert.equal(rateBetween(10, 0, 30, 2000), 10);
  assert.equal(rateBetween(30, 0, 10, 2000), 0);
  assert.equal(rateBetween(10, 1000, 20, 1000), 0);
});

Deno.test("RateMeter: the change over the window, steady between bursty writes", () => {
  const meter = new RateMeter(10_000);
  assert.equal(meter.observe("a", 0, 0), 0);
  // The counter is written every 5 s in steps of 50: the rate stays 10/s in between.
  assert.equal(meter.observe("a", 50, 5_000), 10);
  assert.equal(meter.observe("a", 50, 8_000), 50 / 8);
  assert.equal(meter.observe("a", 100, 10_000), 10);
  // Readings older than the window are dropped (one at its start is kept).
  assert.equal(meter.observe("a", 150, 15_000), 10);
  meter.prune(100_000);
  assert.equal(meter.observe("a", 500, 100_000), 0);
});
