/**
 * A crawler's memory of the cookie jars it found empty. Most sites set no cookie, yet every
 * download would read its crawl's jar in Redis first (one round trip per page): a jar read
 * empty is not read again for `maxAgeMs`. A cookie stored by this crawler forgets the jar at
 * once; one stored by another crawler is announced on `crawl_cluster:cookies:<spiderid>`
 * (`cookie_store.ts`) and forgotten when the announcement arrives — so the staleness is the
 * pub/sub delay, and at most `maxAgeMs` while the subscription is down.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmptyJars } from "./empty_jars.ts";
 *
 * const jars = new EmptyJars(1_000, 100);
 * jars.markEmpty("jar", 0);
 * assert.equal(jars.isEmpty("jar", 500), true);
 * assert.equal(jars.isEmpty("jar", 1_500), false); // too old: read it again
 * jars.markEmpty("jar", 2_000);
 * jars.forget("jar"); // a cookie was stored in it
 * assert.equal(jars.isEmpty("jar", 2_001), false);
 * ```
 *
 * @module
 */

/** Cookie jar keys known to be empty, each for a while; oldest forgotten first beyond a bound. */
export class EmptyJars {
  readonly #since = new Map<string, number>();

  constructor(readonly maxAgeMs: number, readonly maxEntries: number) {}

  /** True when `key` was read empty less than `maxAgeMs` ago and not forgotten since. */
  isEmpty(key: string, nowMs = Date.now()): boolean {
    const at = this.#since.get(key);
    if (at === undefined) return false;
    if (nowMs - at < this.maxAgeMs) return true;
    this.#since.delete(key);
    return false;
  }

  /** `key` was just read empty. */
  markEmpty(key: string, nowMs = Date.now()): void {
    this.#since.delete(key); // re-inserted last: Map order is the age order
    this.#since.set(key, nowMs);
    if (this.#since.size > this.maxEntries) this.#since.delete(this.#since.keys().next().value!);
  }

  /** A cookie was stored in `key`: read it again next time. */
  forget(key: string): void {
    this.#since.delete(key);
  }

  get size(): number {
    return this.#since.size;
  }
}
