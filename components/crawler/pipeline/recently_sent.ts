/**
 * A crawler's memory of the follow-up links it already handed to Redis, per crawl. Pages of one
 * site link to the same pages over and over (about 97% of the links of a typical crawl are
 * duplicates); sending each again costs a fingerprint, JSON and a Redis write only for the
 * dupefilter to refuse it. Redis stays the authority: this only skips what this process itself
 * sent recently (within half the dupefilter's lifetime), and forgets the oldest beyond a bound.
 *
 * @module
 */

/** A bounded, time-limited set of keys, oldest forgotten first. */
export class RecentlySent {
  readonly #seen = new Map<string, number>();

  constructor(readonly maxEntries: number, readonly maxAgeMs: number) {}

  /** True when `key` was recorded less than `maxAgeMs` ago. */
  has(key: string, nowMs = Date.now()): boolean {
    const at = this.#seen.get(key);
    if (at === undefined) return false;
    if (nowMs - at < this.maxAgeMs) return true;
    this.#seen.delete(key);
    return false;
  }

  /** Records `key` as sent now. */
  add(key: string, nowMs = Date.now()): void {
    this.#seen.delete(key); // re-inserted last: Map order is the age order
    this.#seen.set(key, nowMs);
    if (this.#seen.size > this.maxEntries) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
  }

  get size(): number {
    return this.#seen.size;
  }
}
