/**
 * What a crawler knows about its own leases, so none is left that nobody works on:
 *
 * - after a failure that may have leased requests this crawler does not know about (a pop whose
 *   reply was lost: it may have run on the server while the client saw a timeout), or left
 *   leases it finished but could not acknowledge, it is *dirty*: before its next pop the loop
 *   settles its leases with `reconcileLeases()` — those in flight stay, those finished are
 *   removed, every other one goes back to its queue at once; and it does so every
 *   `auditMs` anyway (a reply lost on a connection that was replaced);
 * - a lease whose request failed unexpectedly (a bug) is *parked*: kept until its deadline
 *   (`LEASE_TIMEOUT`), so a bug is not retried in a tight loop;
 * - {@linkcode DeliveryBackoff}: after Kafka or Redis refused a page's output, pops pause a
 *   moment (doubling up to 30 s while it goes on), so a broker outage is not a re-fetch loop.
 *
 * @module
 */

import {
  type FrontierLayout,
  type LeaseHolder,
  parseLease,
  reconcileLeases,
} from "../../../lib/frontier/mod.ts";
import type { RedisClient } from "../../../lib/services/redis.ts";

/** The crawler's own leases' bookkeeping (see the module doc). */
export class Holdings {
  readonly holder: LeaseHolder;
  readonly #auditMs: number;
  #dirty = false;
  #lastSettledAt = Date.now();
  /** Tokens of finished leases whose acknowledgement failed. */
  readonly #unacked = new Set<string>();
  /** Tokens of leases left to their deadline → when it passes (ms). */
  readonly #parked = new Map<string, number>();

  constructor(holder: LeaseHolder, opts: { auditMs: number }) {
    this.holder = holder;
    this.#auditMs = opts.auditMs;
  }

  /** Something failed that may have left a lease of this crawler that nobody works on. */
  markDirty(): void {
    this.#dirty = true;
  }

  /** Whether the loop should settle its leases before popping again. */
  get due(): boolean {
    return this.#dirty || Date.now() - this.#lastSettledAt >= this.#auditMs;
  }

  /** Whether a failure is waiting to be settled. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Finished leases whose acknowledgement failed: removed by the next settlement. */
  ackFailed(ids: readonly string[]): void {
    for (const id of ids) this.#unacked.add(parseLease(id).token);
    this.#dirty = true;
  }

  /** Leaves a lease to its deadline (`untilMs`), untouched by settlements. */
  park(leaseId: string, untilMs: number): void {
    this.#parked.set(parseLease(leaseId).token, untilMs);
  }

  /**
   * Settles this crawler's leases in Redis: `working` (lease ids in flight or waiting for their
   * acknowledgement) and parked ones stay. Rejects when Redis does not answer (still dirty).
   */
  async settle(
    redis: RedisClient,
    layout: FrontierLayout,
    spiderid: string,
    working: Iterable<string>,
    families: readonly string[] = [spiderid],
  ): Promise<{ returned: number; acked: number }> {
    const now = Date.now();
    for (const [token, until] of this.#parked) if (until <= now) this.#parked.delete(token);
    const keep = new Set(this.#parked.keys());
    for (const id of working) keep.add(parseLease(id).token);
    const acked = [...this.#unacked];
    const result = await reconcileLeases(redis, layout, spiderid, this.holder.id, {
      keep,
      acked,
      families,
    });
    for (const token of acked) this.#unacked.delete(token);
    this.#dirty = this.#unacked.size > 0;
    this.#lastSettledAt = now;
    return result;
  }
}

/** Pops pause after a delivery failure: 1 s, doubling while failures go on, at most 30 s. */
export class DeliveryBackoff {
  #failures = 0;
  #until = 0;

  /** A page's output was refused. */
  failed(): void {
    this.#failures++;
    this.#until = Date.now() + Math.min(30_000, 1000 * 2 ** (this.#failures - 1));
  }

  /** A page's output was delivered. */
  succeeded(): void {
    this.#failures = 0;
    this.#until = 0;
  }

  /** How long pops should still wait, in milliseconds. */
  get waitMs(): number {
    return Math.max(0, this.#until - Date.now());
  }
}
