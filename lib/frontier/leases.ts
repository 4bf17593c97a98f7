/**
 * Leases: a popped request stays recorded in `<spiderid>:leases` (scored by its deadline) until
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
 * Each of these puts a request back at its old place exactly once (the lease is removed first,
 * in the same script), and a late acknowledgement of a lease that was put back removes nothing
 * (the request's next lease has another token): a crawler that was only slow causes at most a
 * second crawl of its pages, never a loss.
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import { leaseHoldersKey, leasesKey, queueIndexKey, queueKey } from "./keys.ts";
import { priorityFromScore } from "./queue.ts";
import { registerScripts, type ScriptCommands, scripts } from "./scripts.ts";

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
  return {
    id,
    domain: id.slice(0, first),
    score,
    priority: priorityFromScore(Number(score)),
    member: id.slice(second + 1),
    holder,
    token,
  };
}

/** Acknowledges finished leases (their results are in Kafka): one ZREM. */
export async function ackLeases(redis: Redis, spiderid: string, ids: readonly string[]) {
  if (ids.length > 0) await redis.zrem(leasesKey(spiderid), ...ids);
}

/** Puts leased requests back in their queues (each at most once); resolves with how many. */
export async function returnLeases(
  redis: Redis,
  spiderid: string,
  leases: readonly Lease[],
): Promise<number> {
  if (leases.length === 0) return 0;
  registerScripts(redis);
  const pipeline = redis.pipeline() as unknown as ScriptCommands<unknown> & ChainableCommander;
  for (const lease of leases) {
    pipeline.lease_return(
      leasesKey(spiderid),
      queueKey(spiderid, lease.domain),
      queueIndexKey(spiderid),
      lease.id,
      lease.domain,
      lease.score,
      lease.member,
      spiderid,
    );
  }
  const results = await pipeline.exec();
  const failed = (results ?? []).find(([err]) => err !== null);
  if (failed) throw failed[0];
  return (results ?? []).reduce((n, [, value]) => n + Number(value), 0);
}

/** Returns the requests whose lease deadline passed (their crawler died). */
export async function reclaimExpiredLeases(
  redis: Redis,
  spiderid: string,
  opts: { nowMs?: number; limit?: number } = {},
): Promise<number> {
  const expired = await redis.zrangebyscore(
    leasesKey(spiderid),
    "-inf",
    String(opts.nowMs ?? Date.now()),
    "LIMIT",
    "0",
    String(opts.limit ?? 500),
  );
  return await returnLeases(redis, spiderid, expired.map(parseLease));
}

/**
 * Puts back at once the leases of every crawler whose heartbeat key is gone (except `selfId`'s),
 * and forgets those crawlers. One Lua call; it reads only the holders while everyone is alive.
 */
export async function reclaimDeadHolders(
  redis: Redis,
  spiderid: string,
  selfId: string,
): Promise<{ returned: number; holders: string[] }> {
  const [returned, holders] = await scripts<[number, string[], number]>(redis).lease_settle(
    leasesKey(spiderid),
    leaseHoldersKey(spiderid),
    queueIndexKey(spiderid),
    spiderid,
    "dead",
    selfId,
  );
  return { returned, holders };
}

/**
 * Settles the leases of crawler `holder`: those whose token is in `keep` (still being worked on)
 * stay, those in `acked` (finished, their acknowledgement failed) are removed, every other one
 * goes back to its queue at once (a pop that ran although its caller saw it fail).
 */
export async function reconcileLeases(
  redis: Redis,
  spiderid: string,
  holder: string,
  opts: { keep: Iterable<string>; acked?: Iterable<string> },
): Promise<{ returned: number; acked: number }> {
  const keep = [...opts.keep];
  const [returned, , acked] = await scripts<[number, string[], number]>(redis).lease_settle(
    leasesKey(spiderid),
    leaseHoldersKey(spiderid),
    queueIndexKey(spiderid),
    spiderid,
    "own",
    holder,
    String(keep.length),
    ...keep,
    ...(opts.acked ?? []),
  );
  return { returned, acked };
}
