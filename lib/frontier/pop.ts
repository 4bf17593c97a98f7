/**
 * Taking work: the crawler reads which domains are ready in each shard's index (one read per
 * shard, sent together), then one Lua call per shard with ready domains (`lua/frontier_pop.lua`,
 * shards visited from a random one on, until the crawler has enough) checks them again, applies the cluster-wide domain throttle (hits per window per throttle key, live ZooKeeper
 * overrides, blacklisted domains), drops requests of stopped or expired crawls, and leases what it
 * takes — so no number of crawlers can overrun a domain's budget or take the same request twice.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import type { FrontierLayout, FrontierShard } from "./layout.ts";
import { type Lease, type LeaseHolder, parseLease } from "./leases.ts";
import { scripts } from "./scripts.ts";

/**
 * The cluster-wide domain throttle a crawler applies when it pops (see frontier_pop.lua):
 * at most `hits` pops per `windowSec` per throttle key, optionally spaced evenly.
 */
export interface ThrottleSpec {
  /** Throttle at all (false: no budget per domain; benchmarks, your own sites). */
  enabled: boolean;
  /** QUEUE_WINDOW: the default window in seconds. */
  windowSec: number;
  /** QUEUE_HITS: the default pops per window. */
  hits: number;
  /** QUEUE_MODERATED: pops spread evenly, one per window/hits seconds (elastic schedule). */
  moderated: boolean;
  /** Throttle key prefix per style: "", "<spiderid>:", "<ip>:" or "<spiderid>:<ip>:". */
  keyPrefix: string;
  /** Whether a waiting domain's index entry may move into the future (not with per-IP keys). */
  scheduleAhead: boolean;
  /** Per-domain [windowSec, hits] from ZooKeeper (hits already scaled). */
  domains: Readonly<Record<string, readonly [number, number]>>;
  /** ZooKeeper-blacklisted domains: never popped. */
  blocked: readonly string[];
}

const throttleJson = new WeakMap<ThrottleSpec, string>();

/** The script argument for a throttle (computed once per spec object). */
function throttleArg(spec: ThrottleSpec | undefined): string {
  if (!spec) return "";
  let json = throttleJson.get(spec);
  if (json === undefined) {
    json = JSON.stringify({
      on: spec.enabled,
      w: spec.windowSec,
      h: spec.hits,
      mod: spec.moderated,
      ahead: spec.scheduleAhead,
      // cjson decodes an empty object as an empty array: both read as "no overrides".
      domains: spec.domains,
      blocked: spec.blocked,
    });
    throttleJson.set(spec, json);
  }
  return json;
}

/** Options of {@linkcode popLeased}. */
export interface PopOptions {
  /** At most this many requests in total. */
  max: number;
  /** At most this many from one domain. @default max */
  perDomain?: number;
  /** Lease duration. */
  leaseMs: number;
  /** How many ready domains one call looks at per shard. @default 64 */
  candidates?: number;
  /** Domains this crawler must not take more from right now. */
  skipDomains?: Iterable<string>;
  /** The domain throttle; none = take freely. */
  throttle?: ThrottleSpec;
  /** The time; 0 = the Redis server's clock, shared by every crawler. @default 0 */
  nowMs?: number;
  /**
   * The queue family to pop from (`families.ts`): a tagged family of the spider type.
   * @default the spider type's own queues
   */
  family?: string;
  /** Shards to leave alone for a moment (their index had nothing ready); none = read all. */
  rests?: ShardRests;
  /**
   * The crawler taking the requests: recorded in each lease, so its leases go back as soon as
   * its heartbeat key is gone ({@linkcode reclaimDeadHolders}) and it can settle its own
   * ({@linkcode reconcileLeases}). None: the leases only expire by their deadline.
   */
  holder?: LeaseHolder;
}

/** A request dropped at pop time. */
export interface DroppedRequest {
  reason: "stopped" | "expired" | "invalid";
  member: string;
}

/**
 * How far ahead of this machine's clock an index entry still counts as ready: pops run on the
 * Redis server's clock, and the script checks readiness again on it.
 */
const CLOCK_TOLERANCE_MS = 1000;

/**
 * A crawler's memory of the shards whose index had nothing ready when it last looked: it skips
 * them for `restMs` (work arriving there waits at most that long), so on a cluster with many
 * shards and few busy domains a pop reads only the shards that have work.
 */
export class ShardRests {
  readonly #until = new Map<number, number>();
  constructor(readonly restMs = 100) {}

  /** Whether shard `id` may be read at `nowMs`. */
  due(id: number, nowMs: number): boolean {
    return (this.#until.get(id) ?? 0) <= nowMs;
  }

  /** Shard `id` had nothing ready at `nowMs`. */
  rest(id: number, nowMs: number): void {
    this.#until.set(id, nowMs + this.restMs);
  }
}

/** Takes up to `max` requests from the spider's ready domains, each under a lease. */
export async function popLeased(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  opts: PopOptions,
): Promise<{ leases: Lease[]; dropped: DroppedRequest[] }> {
  const skip = new Set(opts.skipDomains ?? []);
  const now = opts.nowMs || Date.now();
  const until = now + CLOCK_TOLERANCE_MS;
  const limit = (opts.candidates ?? 64) + skip.size;
  const rests = opts.rests;
  const family = opts.family ?? spiderid;
  const ready = await Promise.all(
    layout.shards.map(async (shard) => {
      if (rests && !rests.due(shard.id, now)) return [];
      const found = await redis.zrangebyscore(
        shard.index(family),
        "-inf",
        until,
        "LIMIT",
        0,
        limit,
      );
      if (found.length === 0) rests?.rest(shard.id, now);
      return found;
    }),
  );
  const leases: Lease[] = [];
  const dropped: DroppedRequest[] = [];
  const start = Math.floor(Math.random() * layout.count);
  for (let k = 0; k < layout.count && leases.length < opts.max; k++) {
    const i = (start + k) % layout.count;
    const domains = skip.size === 0 ? ready[i] : ready[i].filter((d) => !skip.has(d));
    if (domains.length === 0) continue;
    const got = await popShard(redis, layout.shards[i], spiderid, domains, {
      ...opts,
      max: opts.max - leases.length,
    });
    leases.push(...got.leases);
    dropped.push(...got.dropped);
  }
  return { leases, dropped };
}

/** One frontier_pop call on one shard, over the ready domains its index gave. */
async function popShard(
  redis: RedisClient,
  shard: FrontierShard,
  spiderid: string,
  domains: readonly string[],
  opts: PopOptions,
): Promise<{ leases: Lease[]; dropped: DroppedRequest[] }> {
  const prefix = opts.throttle?.keyPrefix ?? "";
  const family = opts.family ?? spiderid;
  const keys = [
    shard.index(family),
    shard.leases(family),
    shard.blacklist(spiderid),
    shard.holders(family),
    shard.popSeq(family),
    shard.seq(family),
  ];
  for (const domain of domains) {
    keys.push(
      shard.queue(family, domain),
      shard.backlog(family, domain),
      shard.throttleWindow(prefix + domain),
      shard.throttleTime(prefix + domain),
    );
  }
  const [leases, dropped] = await scripts<[string[], string[]]>(redis).frontier_pop(
    keys.length,
    ...keys,
    spiderid,
    opts.nowMs ?? 0,
    opts.max,
    opts.perDomain ?? opts.max,
    opts.leaseMs,
    throttleArg(opts.throttle),
    opts.holder?.id ?? "",
    opts.holder?.heartbeatKey ?? "",
    family === spiderid ? "" : `${family}/`,
    ...domains,
  );
  return {
    leases: leases.map(parseLease),
    dropped: dropped.map((d) => {
      const cut = d.indexOf("\n");
      return { reason: d.slice(0, cut) as DroppedRequest["reason"], member: d.slice(cut + 1) };
    }),
  };
}
