/**
 * How long a failing hook waits before its next attempt: `min` seconds after the first
 * failure, doubling with each consecutive one, never more than `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffMs } from "./backoff.ts";
 *
 * assert.deepEqual([1, 2, 3, 10].map((n) => backoffMs(n, 1, 5)), [1000, 2000, 4000, 5000]);
 * ```
 *
 * @module
 */

/** Milliseconds to wait after the `failures`-th consecutive failure (1 = the first). */
export function backoffMs(failures: number, minSec: number, maxSec: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.round(Math.min(minSec * 2 ** exponent, maxSec) * 1000);
}
