/**
 * The crawler's concurrency governor, kept apart from the loop: how many requests it may take
 * now (`CONCURRENT_REQUESTS` downloads in the whole process, at most
 * `CONCURRENT_REQUESTS_PER_DOMAIN` per domain — Scrapy's meaning: a page whose output is being
 * delivered has given its slot back, up to as many deliveries as slots) and a wake-up for the
 * loop when a request finishes. The loop asks the pop script for
 * `free` requests and tells it to skip the `fullDomains()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Slots } from "./slots.ts";
 *
 * const slots = new Slots(4, 2);
 * slots.take("a.com");
 * slots.take("a.com");
 * assert.equal(slots.free, 2);
 * assert.deepEqual(slots.fullDomains(), ["a.com"]);
 * ```
 *
 * @module
 */

import { sleep } from "../../../lib/async/mod.ts";

/** Slots for requests in flight, per process and per domain. */
export class Slots {
  #woken = false;
  #used = 0;
  #delivering = 0;
  readonly #perDomain = new Map<string, number>();
  readonly #waiters = new Set<() => void>();

  /**
   * @param max requests in flight in the process (CONCURRENT_REQUESTS)
   * @param maxPerDomain requests in flight per domain (CONCURRENT_REQUESTS_PER_DOMAIN)
   */
  constructor(readonly max: number, readonly maxPerDomain: number) {}

  /** Requests in flight. */
  get used(): number {
    return this.#used;
  }

  /** How many more requests may start now (0 when full). */
  get free(): number {
    return Math.max(0, this.max - this.#used);
  }

  /**
   * A request of `domain` is downloaded and only its delivery is left: its slot is given back
   * (true), unless as many deliveries as slots are already under way (false: it keeps its slot
   * until {@linkcode release}, so memory stays bounded). Call {@linkcode delivered} when a
   * delivery that got true ends.
   */
  delivering(domain: string): boolean {
    if (this.#delivering >= this.max) return false;
    this.#delivering++;
    this.release(domain);
    return true;
  }

  /** A delivery {@linkcode delivering} let go on without its slot has ended. */
  delivered(): void {
    this.#delivering = Math.max(0, this.#delivering - 1);
  }

  /** Requests in flight for `domain`. */
  inFlight(domain: string): number {
    return this.#perDomain.get(domain) ?? 0;
  }

  /** Domains that may not take another request now. */
  fullDomains(): string[] {
    const out: string[] = [];
    for (const [domain, n] of this.#perDomain) if (n >= this.maxPerDomain) out.push(domain);
    return out;
  }

  /** Records a request of `domain` starting. */
  take(domain: string): void {
    this.#used++;
    this.#perDomain.set(domain, this.inFlight(domain) + 1);
  }

  /** Records a request of `domain` finishing, and wakes whoever waits in `wait()`. */
  release(domain: string): void {
    this.#used = Math.max(0, this.#used - 1);
    const left = this.inFlight(domain) - 1;
    if (left > 0) this.#perDomain.set(domain, left);
    else this.#perDomain.delete(domain);
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /**
   * New work may be there (an enqueue announced it): wakes whoever waits in `wait()`, or, when
   * nobody waits yet, makes the next `wait()` return at once (the announcement came between a
   * pop that found nothing and the wait).
   */
  wake(): void {
    if (this.#waiters.size === 0) this.#woken = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves at the next `release()` or `wake()`, after `timeoutMs`, or when `signal` aborts. */
  async wait(signal: AbortSignal, timeoutMs = 60_000): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#waiters.add(wake);
    try {
      await sleep(timeoutMs, AbortSignal.any([signal, woken.signal]));
    } finally {
      this.#waiters.delete(wake);
    }
  }
}
