/**
 * Leases: a popped request stays recorded in `<spiderid>:leases` (scored by its deadline) until
 * the crawler acknowledges it after its result reached Kafka and its follow-ups reached Redis.
 * A crawler that dies leaves leases whose deadline passes; any crawler puts those requests back
 * in their queues at their old place ({@linkcode reclaimExpiredLeases}).
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import { leasesKey, queueIndexKey, queueKey } from "./keys.ts";
import { priorityFromScore } from "./queue.ts";
import { registerScripts, type ScriptCommands } from "./scripts.ts";

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
}

/** Splits a stored lease into its parts. */
export function parseLease(id: string): Lease {
  const first = id.indexOf("\n");
  const second = id.indexOf("\n", first + 1);
  const score = id.slice(first + 1, second);
  return {
    id,
    domain: id.slice(0, first),
    score,
    priority: priorityFromScore(Number(score)),
    member: id.slice(second + 1),
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
  return (results ?? []).reduce((n, [err, value]) => n + (err === null ? Number(value) : 0), 0);
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
