/**
 * Leases: a popped request stays recorded in its shard's `<spiderid>:leases` (scored by its
 * deadline) until
 * the crawler acknowledges it after its result reached Kafka and its follow-ups reached Redis.
 * Each lease names the crawler holding it and carries a token unique to its pop
 * (`"<domain>\n<score>\t<holder>\t<token>\n<member>"`, see `lua/frontier_pop.lua`), so:
 *
 * - a crawler that dies (its heartbeat key is gone, `HEARTBEAT_TIMEOUT`) has its requests put
 *   back at once by any other crawler ({@linkcode reclaimDeadHolders});
 * - a crawler settles its own leases after a failure that may have left some nobody works on
 *   (a pop whose reply was lost) ({@linkcode reconcileLeases});
 * - whatever the holder, a lease whose deadline passed goes back ({@linkcode
 *   reclaimExpiredLeases}, `LEASE_TIMEOUT`, the last resort).
 *
 * Each of these reads the leases, picks those that go back, and puts each back at its old place
 * exactly once (`lua/lease_putback.lua` removes the lease first, in the same call), and a late acknowledgement of a lease that was put back removes nothing
 * (the request's next lease has another token): a crawler that was only slow causes at most a
 * second crawl of its pages, never a loss.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import type { FrontierLayout, FrontierShard } from "./layout.ts";
import { priorityFromScore } from "./queue.ts";
import { scripts } from "./scripts.ts";

/** A request held under a lease. */
export interface Lease {
  /** The lease as stored (pass it back to ack or return). */
  readonly id: string;
  readonly domain: string;
  /** The queue score the request had (it keeps its place when returned). */
  readonly score: string;
  readonly priority: number;
  /** The request JSON. */
  readonly member: string;
  /** The id of the crawler holding it ("" for a lease without a holder). */
  readonly holder: string;
  /** Unique to the pop that made it ("" for a lease written before tokens existed). */
  readonly token: string;
  /** The tagged queue family it came from (`families.ts`); "" for the spider type's own. */
  readonly family: string;
}

/** The crawler a lease belongs to: its id and the heartbeat key that says it is alive. */
export interface LeaseHolder {
  /** The crawler's id (the process id of its heartbeat key); no tab or newline. */
  readonly id: string;
  /** `stats:crawler:<host>:<spiderid>:<id>`: while it exists, the leases stay. */
  readonly heartbeatKey: string;
}

/** Splits a stored lease into its parts (with or without holder and token). */
export function parseLease(id: string): Lease {
  const first = id.indexOf("\n");
  const second = id.indexOf("\n", first + 1);
  const [score, holder = "", token = ""] = id.slice(first + 1, second).split("\t");
  const slash = token.indexOf("/");
  return {
    id,
    domain: id.slice(0, first),
    score,
    priority: priorityFromScore(Number(score)),
    member: id.slice(second + 1),
    holder,
    token,
    family: slash < 0 ? "" : token.slice(0, slash),
  };
}

/** Where leases live: one shard of one queue family. */
interface Place {
  readonly shard: FrontierShard;
  readonly family: string;
}

/** Every shard of every family given (the spider type's own when none). */
function places(layout: FrontierLayout, families: readonly string[]): Place[] {
  return families.flatMap((family) => layout.shards.map((shard) => ({ shard, family })));
}

/** Leases grouped by the shard of their domain and their family. */
function byPlace(
  layout: FrontierLayout,
  spiderid: string,
  leases: readonly Lease[],
): { place: Place; leases: Lease[] }[] {
  const groups = new Map<string, { place: Place; leases: Lease[] }>();
  for (const lease of leases) {
    const shard = layout.of(lease.domain);
    const family = lease.family || spiderid;
    const key = `${shard.id}\n${family}`;
    const group = groups.get(key);
    if (group) group.leases.push(lease);
    else groups.set(key, { place: { shard, family }, leases: [lease] });
  }
  return [...groups.values()];
}

/** Acknowledges finished leases (their results are in Kafka): one ZREM per shard and family. */
export async function ackLeases(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await Promise.all(
    byPlace(layout, spiderid, ids.map(parseLease)).map(({ place, leases }) =>
      redis.zrem(place.shard.leases(place.family), ...leases.map((l) => l.id))
    ),
  );
}

/** One lease_putback call: leases of one place back to their queues, dead holders forgotten. */
async function putBack(
  redis: RedisClient,
  { shard, family }: Place,
  leases: readonly Lease[],
  forget: readonly string[] = [],
): Promise<number> {
  if (leases.length === 0 && forget.length === 0) return 0;
  const keys = [shard.leases(family), shard.index(family), shard.holders(family)];
  const domainNumber = new Map<string, number>();
  const pairs: (string | number)[] = [];
  for (const lease of leases) {
    let j = domainNumber.get(lease.domain);
    if (j === undefined) {
      domainNumber.set(lease.domain, j = domainNumber.size + 1);
      keys.push(shard.queue(family, lease.domain), shard.backlog(family, lease.domain));
    }
    pairs.push(j, lease.id);
  }
  return Number(
    await scripts<number>(redis).lease_putback(
      keys.length,
      ...keys,
      forget.length,
      ...forget,
      ...pairs,
    ),
  );
}

const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

/** Puts leased requests back in their queues (each at most once); resolves with how many. */
export async function returnLeases(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  leases: readonly Lease[],
): Promise<number> {
  if (leases.length === 0) return 0;
  return sum(
    await Promise.all(
      byPlace(layout, spiderid, leases).map(({ place, leases }) => putBack(redis, place, leases)),
    ),
  );
}

/** Options of the maintenance functions below. */
export interface LeaseScanOptions {
  /** The queue families to look at (`families.ts`). @default [spiderid] */
  families?: readonly string[];
}

/** Returns the requests whose lease deadline passed (their crawler died). */
export async function reclaimExpiredLeases(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  opts: LeaseScanOptions & { nowMs?: number; limit?: number } = {},
): Promise<number> {
  return sum(
    await Promise.all(
      places(layout, opts.families ?? [spiderid]).map(async (place) => {
        const expired = await redis.zrangebyscore(
          place.shard.leases(place.family),
          "-inf",
          String(opts.nowMs ?? Date.now()),
          "LIMIT",
          "0",
          String(opts.limit ?? 500),
        );
        return await putBack(redis, place, expired.map(parseLease));
      }),
    ),
  );
}

/**
 * Puts back at once the leases of every crawler whose heartbeat key is gone (except `selfId`'s),
 * and forgets those crawlers. While everyone is alive it reads only the holders and their
 * heartbeat keys.
 */
export async function reclaimDeadHolders(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  selfId: string,
  opts: LeaseScanOptions = {},
): Promise<{ returned: number; holders: string[] }> {
  const all = places(layout, opts.families ?? [spiderid]);
  const perPlace = await Promise.all(
    all.map(async ({ shard, family }) =>
      Object.entries(await redis.hgetall(shard.holders(family))).filter(([id]) => id !== selfId)
    ),
  );
  // Each crawler's heartbeat is checked once, however many places it holds leases in.
  const heartbeats = new Map(perPlace.flat());
  const ids = [...heartbeats.keys()];
  const alive = await Promise.all(ids.map((id) => redis.exists(heartbeats.get(id)!)));
  const dead = new Set(ids.filter((_, i) => alive[i] === 0));
  if (dead.size === 0) return { returned: 0, holders: [] };
  const returned = await Promise.all(all.map(async (place, i) => {
    const forget = perPlace[i].map(([id]) => id).filter((id) => dead.has(id));
    if (forget.length === 0) return 0;
    const leases = (await redis.zrange(place.shard.leases(place.family), "0", "-1"))
      .map(parseLease)
      .filter((l) => dead.has(l.holder));
    return await putBack(redis, place, leases, forget);
  }));
  return { returned: sum(returned), holders: [...dead] };
}

/**
 * Settles the leases of crawler `holder`: those whose token is in `keep` (still being worked on)
 * stay, those in `acked` (finished, their acknowledgement failed) are removed, every other one
 * goes back to its queue at once (a pop that ran although its caller saw it fail).
 */
export async function reconcileLeases(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  holder: string,
  opts: LeaseScanOptions & { keep: Iterable<string>; acked?: Iterable<string> },
): Promise<{ returned: number; acked: number }> {
  const keep = new Set(opts.keep);
  const done = new Set(opts.acked ?? []);
  const results = await Promise.all(
    places(layout, opts.families ?? [spiderid]).map(async (place) => {
      const leasesKey = place.shard.leases(place.family);
      const own = (await redis.zrange(leasesKey, "0", "-1"))
        .map(parseLease)
        .filter((l) => l.holder === holder && !keep.has(l.token));
      const finished = own.filter((l) => done.has(l.token));
      const acked = finished.length > 0
        ? await redis.zrem(leasesKey, ...finished.map((l) => l.id))
        : 0;
      const returned = await putBack(redis, place, own.filter((l) => !done.has(l.token)));
      return { returned, acked };
    }),
  );
  return {
    returned: sum(results.map((r) => r.returned)),
    acked: sum(results.map((r) => r.acked)),
  };
}
