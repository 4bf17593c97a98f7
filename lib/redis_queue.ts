/**
 * The crawl frontier in Redis: one sorted set of JSON requests per spider type and registered
 * domain (`<spiderid>:<domain>:queue`, Scrapy Cluster's layout), higher priority first and
 * first-in-first-out among equal priorities, plus a per-spider index of non-empty domains so
 * nobody scans the key space to find work. Both changes happen in one Lua call.
 *
 * @example
 * ```ts ignore
 * await pushRequests(redis, "link", "example.com", [{ priority: 1, member: JSON.stringify(req) }]);
 * const [first] = await popRequests(redis, "link", "example.com");
 * ```
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import { queueIndexKey, queueKey, queueSeqKey } from "./keys.ts";
import { registerScripts, type ScriptCommands } from "./lua.ts";

/** The score multiplier separating priority from the FIFO sequence (see queue_push.lua). */
export const PRIORITY_SCALE = 2 ** 36;

/** One request to enqueue: its JSON text and priority. */
export interface QueueEntry {
  priority: number;
  member: string;
}

/** A request taken from a queue. */
export interface PoppedRequest {
  member: string;
  priority: number;
}

/** The priority a queue score encodes. */
export function priorityFromScore(score: number): number {
  return -Math.floor(score / PRIORITY_SCALE) || 0; // never -0
}

function pushArgs(spiderid: string, domain: string, entries: readonly QueueEntry[]): string[] {
  const args = [queueKey(spiderid, domain), queueIndexKey(spiderid), queueSeqKey(spiderid), domain];
  for (const entry of entries) args.push(String(entry.priority), entry.member);
  return args;
}

/** Adds requests to a domain queue; resolves with how many were new. */
export async function pushRequests(
  redis: Redis,
  spiderid: string,
  domain: string,
  entries: readonly QueueEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  registerScripts(redis);
  return Number(
    await (redis as unknown as ScriptCommands<Promise<unknown>>).queue_push(
      ...pushArgs(spiderid, domain, entries),
    ),
  );
}

/**
 * Appends the push to a pipeline (the kafka-monitor writes a whole Kafka batch in one round
 * trip). The pipeline must come from a client passed through `registerScripts`.
 */
export function pushRequestsInPipeline(
  pipeline: ChainableCommander,
  spiderid: string,
  domain: string,
  entries: readonly QueueEntry[],
): void {
  if (entries.length === 0) return;
  (pipeline as unknown as ScriptCommands<unknown>).queue_push(
    ...pushArgs(spiderid, domain, entries),
  );
}

/** Takes up to `count` best requests of a domain queue. */
export async function popRequests(
  redis: Redis,
  spiderid: string,
  domain: string,
  count = 1,
): Promise<PoppedRequest[]> {
  registerScripts(redis);
  const flat = await (redis as unknown as ScriptCommands<Promise<string[]>>).queue_pop(
    queueKey(spiderid, domain),
    queueIndexKey(spiderid),
    domain,
    count,
  );
  const out: PoppedRequest[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    out.push({ member: flat[i], priority: priorityFromScore(Number(flat[i + 1])) });
  }
  return out;
}

/** Domains of a spider that have pending requests, from the index. */
export function indexedDomains(redis: Redis, spiderid: string): Promise<string[]> {
  return redis.zrange(queueIndexKey(spiderid), "0", "-1");
}

/** Number of pending requests of a domain. */
export function queueSize(redis: Redis, spiderid: string, domain: string): Promise<number> {
  return redis.zcard(queueKey(spiderid, domain));
}
