/**
 * The queue families a crawler pops from (node tags, `lib/frontier/families.ts`): its spider
 * type's own queues, plus every tagged family whose tags are all among its `CRAWLER_TAGS`. The
 * list is read again every few seconds (a family appears when the first request with its tags
 * is queued), and each pop visits the families from a rotating start so none starves.
 *
 * @module
 */

import { familiesFor, ShardRests } from "../../../lib/frontier/mod.ts";
import type { RedisClient } from "../../../lib/services/redis.ts";

/** How often the list of tagged families is read again. */
const REFRESH_MS = 5_000;

export class CrawlerFamilies {
  #list: string[];
  #next = 0;
  #readAt = -Infinity;
  readonly #rests = new Map<string, ShardRests>();

  constructor(
    readonly spiderid: string,
    /** CRAWLER_TAGS. */
    readonly tags: readonly string[],
    /** Whether the frontier has several shards (then empty shards are rested, per family). */
    readonly sharded: boolean,
  ) {
    this.#list = [spiderid];
  }

  /** The families this crawler may pop from now. */
  get list(): readonly string[] {
    return this.#list;
  }

  /** Reads the tagged families in use again, at most every few seconds (untagged: never). */
  async refresh(redis: RedisClient, nowMs = Date.now()): Promise<void> {
    if (this.tags.length === 0 || nowMs - this.#readAt < REFRESH_MS) return;
    this.#list = await familiesFor(redis, this.spiderid, this.tags);
    this.#readAt = nowMs;
  }

  /** The families in the order this pop visits them (the start moves on every pop). */
  order(): string[] {
    const n = this.#list.length;
    if (n === 1) return [...this.#list];
    const start = this.#next++ % n;
    return [...this.#list.slice(start), ...this.#list.slice(0, start)];
  }

  /** The shards of `family` this crawler leaves alone for a moment (sharded frontier only). */
  rests(family: string): ShardRests | undefined {
    if (!this.sharded) return undefined;
    let rests = this.#rests.get(family);
    if (!rests) this.#rests.set(family, rests = new ShardRests());
    return rests;
  }
}
