/**
 * What a Redis holds of the frontier, found by SCAN (never KEYS) and sorted by kind, for the
 * migrations: queues, dupefilters, blacklists, the per-spider keys of each shard (index, FIFO
 * sequence, leases, lease holders, pop counter, backlog counters) and the keys that carry no
 * shard tag in any layout (`timeout:…` expiry jobs, cookie jars). Other keys (throttle windows,
 * page-limit counters, stats, jobs) are not the frontier's to move.
 *
 * @module
 */

import {
  type FrontierLayout,
  type FrontierShard,
  parseFamily,
  parseQueueKey,
} from "../../lib/frontier/mod.ts";
import { type RedisClient, scanKeys } from "../../lib/services/redis.ts";

/** One domain queue of the source. */
export interface QueueRef {
  readonly key: string;
  readonly shard: FrontierShard;
  readonly spiderid: string;
  readonly domain: string;
}

/** The per-spider keys of one shard (`<spiderid>:<suffix>`), by suffix. */
export const SHARD_KEY_SUFFIXES = [
  "queue_index",
  "queue_seq",
  "leases",
  "lease_holders",
  "pop_seq",
] as const;

/** A per-spider key of one shard. */
export interface ShardKeyRef {
  readonly key: string;
  readonly spiderid: string;
  readonly kind: typeof SHARD_KEY_SUFFIXES[number];
}

/** The frontier keys found in one Redis. */
export interface Inventory {
  queues: QueueRef[];
  /** `<spiderid>\t<crawlid>` → the dupefilter keys of that crawl (one per shard holding one). */
  dupefilters: Map<string, string[]>;
  /** spiderid → its blacklist keys (one per shard). */
  blacklists: Map<string, string[]>;
  /** Per-spider shard keys (index, sequence, leases, holders, pop counter). */
  shardKeys: ShardKeyRef[];
  /** Backlog counter hashes (`<spiderid>:<domain>:backlog`), rebuilt on the target. */
  backlogs: string[];
  /** Keys with the same name in every layout: `timeout:…`, cookie jars, tag family lists. */
  plainKeys: string[];
  /** Queue keys of another layout than the source's (left alone). */
  misplaced: number;
  /** Every spider id seen. */
  spiders: Set<string>;
}

const COOKIE_JAR = /^([^:{}]+):cookies:[^:]+:.+:jar$/;
/** The tagged queue families of a spider type (node tags): one key, the same in every layout. */
const TAG_FAMILIES = /^([^:{}]+):tag_families$/;

/**
 * Scans `redis` for the frontier keys of `layout` (only those of `spiders` when given: their
 * keys are found by pattern, so a big Redis is not read whole).
 */
export async function takeInventory(
  redis: RedisClient,
  layout: FrontierLayout,
  spiders: readonly string[] = [],
): Promise<Inventory> {
  const inv: Inventory = {
    queues: [],
    dupefilters: new Map(),
    blacklists: new Map(),
    shardKeys: [],
    backlogs: [],
    plainKeys: [],
    misplaced: 0,
    spiders: new Set(),
  };
  const wanted = new Set(spiders);
  const seen = new Set<string>();
  const patterns = spiders.length === 0
    ? ["*"]
    : spiders.map(globEscape).flatMap((s) => [`*${s}:*`, `*${s}@*`, `timeout:${s}:*`]);
  for (const pattern of patterns) {
    for await (const keys of scanKeys(redis, pattern)) {
      for (const key of keys) {
        // A key may come twice (two patterns, or SCAN's own repeats).
        if (seen.has(key)) continue;
        seen.add(key);
        classify(inv, layout, key, wanted);
      }
    }
  }
  inv.queues.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return inv;
}

function classify(inv: Inventory, layout: FrontierLayout, key: string, wanted: Set<string>) {
  const take = (spiderid: string) => {
    // A tagged queue family (`<spiderid>@<tags>`) belongs to its spider type.
    if (wanted.size > 0 && !wanted.has(parseFamily(spiderid).spiderid)) return false;
    inv.spiders.add(spiderid);
    return true;
  };
  if (key.startsWith("timeout:")) {
    if (key.split(":").length === 4 && take(key.split(":")[1])) inv.plainKeys.push(key);
    return;
  }
  const families = TAG_FAMILIES.exec(key);
  if (families) {
    if (take(families[1])) inv.plainKeys.push(key);
    return;
  }
  const jar = COOKIE_JAR.exec(key);
  if (jar) {
    if (take(jar[1])) inv.plainKeys.push(key);
    return;
  }
  const untagged = layout.untag(key);
  if (!untagged) {
    // A queue key of another layout is worth a word in the summary.
    const name = key.startsWith("{") ? key.slice(key.indexOf("}") + 1) : key;
    const parsed = parseQueueKey(name);
    if (parsed && take(parsed.spiderid)) inv.misplaced++;
    return;
  }
  const { shard, name } = untagged;
  const colon = name.indexOf(":");
  if (colon <= 0) return;
  const spiderid = name.slice(0, colon);
  const rest = name.slice(colon + 1);
  const queue = parseQueueKey(name);
  if (queue) {
    if (!take(spiderid)) return;
    if (layout.of(queue.domain) === shard) inv.queues.push({ key, shard, ...queue });
    else inv.misplaced++;
  } else if ((SHARD_KEY_SUFFIXES as readonly string[]).includes(rest)) {
    if (take(spiderid)) {
      inv.shardKeys.push({ key, spiderid, kind: rest as ShardKeyRef["kind"] });
    }
  } else if (rest === "blacklist") {
    if (take(spiderid)) push(inv.blacklists, spiderid, key);
  } else if (rest.startsWith("dupefilter:") && !rest.slice(11).includes(":")) {
    if (take(spiderid)) push(inv.dupefilters, `${spiderid}\t${rest.slice(11)}`, key);
  } else if (rest.endsWith(":backlog") && rest.length > ":backlog".length) {
    if (take(spiderid)) inv.backlogs.push(key);
  }
}

/** `text` as a literal in a Redis glob pattern. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Live crawler heartbeats (`stats:crawler:<host>:<spiderid>:<id>`) of these spider types: a
 * running crawler would pop and lease requests while they move.
 */
export async function crawlerHeartbeats(
  redis: RedisClient,
  spiders: Iterable<string>,
): Promise<string[]> {
  const found: string[] = [];
  for (const spiderid of spiders) {
    for await (const keys of scanKeys(redis, `stats:crawler:*:${globEscape(spiderid)}:*`)) {
      // Five segments: a heartbeat; six are status-code counters.
      found.push(...keys.filter((k) => k.split(":").length === 5 && k.split(":")[3] === spiderid));
    }
  }
  return found;
}
