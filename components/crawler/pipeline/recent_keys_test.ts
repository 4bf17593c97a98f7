import assert from "node:assert/strict";
import { RecentKeys } from "./recent_keys.ts";

Deno.test("RecentKeys remembers keys for maxAgeMs and forgets the oldest beyond its bound", () => {
  const seen = new RecentKeys(3, 1_000);
  seen.add("a", 0);
  seen.add("b", 10);
  assert.ok(seen.has("a", 500));
  assert.ok(!seen.has("a", 1_000), "too old");
  assert.ok(!seen.has("a", 10), "an expired key is dropped");
  seen.add("c", 20);
  seen.add("d", 30);
  seen.add("e", 40);
  assert.equal(seen.size, 3);
  assert.ok(!seen.has("b", 50), "the oldest went first");
  assert.ok(seen.has("c", 50) && seen.has("d", 50) && seen.has("e", 50));
  seen.add("c", 60); // refreshed: now the newest
  seen.add("f", 70);
  assert.ok(seen.has("c", 80) && !seen.has("d", 80));
});
