/**
 * A bounded, time-limited set of keys, oldest forgotten first: the crawler's memories that save
 * a Redis write or read per page, with Redis staying the authority.
 *
 * - Follow-up links it already handed to Redis, per crawl (`recentlySent`). Pages of one site
 *   link to the same pages over and over (about 97% of the links of a typical crawl are
 *   duplicates); sending each again costs a fingerprint, JSON and a Redis write only for the
 *   dupefilter to refuse it. Kept for half the dupefilter's lifetime.
 * - Cookie jars it found empty (`emptyJars`). Most sites set no cookie, yet every download would
 *   read its crawl's jar first. A jar read empty is not read again for 2 s; a cookie stored by
 *   this crawler forgets the jar at once, one stored by another crawler is announced on
 *   `crawl_cluster:cookies:<spiderid>` (`cookie_store.ts`) and forgotten when it arrives — so the
 *   staleness is the pub/sub delay, and at most 2 s while the subscription is down.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecentKeys } from "./recent_keys.ts";
 *
 * const jars = new RecentKeys(100, 1_000);
 * jars.add("jar", 0);
 * assert.equal(jars.has("jar", 500), true);
 * assert.equal(jars.has("jar", 1_500), false); // too old
 * jars.add("jar", 2_000);
 * jars.forget("jar");
 * assert.equal(jars.has("jar", 2_001), false);
 * ```
 *
 * @module
 */

/** Keys remembered for `maxAgeMs`, at most `maxEntries` of them. */
export class RecentKeys {
  readonly #seen = new Map<string, number>();

  constructor(readonly maxEntries: number, readonly maxAgeMs: number) {}

  /** True when `key` was recorded less than `maxAgeMs` ago (and not forgotten since). */
  has(key: string, nowMs = Date.now()): boolean {
    const at = this.#seen.get(key);
    if (at === undefined) return false;
    if (nowMs - at < this.maxAgeMs) return true;
    this.#seen.delete(key);
    return false;
  }

  /** Records `key` now. */
  add(key: string, nowMs = Date.now()): void {
    this.#seen.delete(key); // re-inserted last: Map order is the age order
    this.#seen.set(key, nowMs);
    if (this.#seen.size > this.maxEntries) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
  }

  /** Drops `key`. */
  forget(key: string): void {
    this.#seen.delete(key);
  }

  get size(): number {
    return this.#seen.size;
  }
}
