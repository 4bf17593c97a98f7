/**
 * The frontier's Lua scripts (`lua/*.lua`), each typed once. Every queue write and pop is one
 * of these calls per shard, whatever the batch size. Their keys vary per call (one group per
 * domain), so each call passes the number of keys first, then the keys (every key through KEYS:
 * Redis Cluster routes the call by them), then the arguments.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import { luaScripts } from "../services/lua.ts";

/** Registers the frontier scripts on `client` (idempotent). */
export const registerScripts: (client: RedisClient) => void = luaScripts(
  new URL("./lua/", import.meta.url),
  {
    enqueue: null,
    frontier_pop: null,
    lease_putback: null,
    purge_queue: 3,
    queue_adopt: 4,
  },
);

/** A client or pipeline on which the scripts were registered, typed per script. */
export interface ScriptCommands<R> {
  /** numkeys, KEYS dupefilter, blacklist, seq, index, 4 per domain; ARGV see enqueue.lua. */
  enqueue(...keysAndArgs: (string | number)[]): R;
  /** numkeys, KEYS index, leases, blacklist, holders, pop seq, seq, 4 per domain (frontier_pop.lua). */
  frontier_pop(...keysAndArgs: (string | number)[]): R;
  /** numkeys, KEYS leases, index, holders, 2 per domain; ARGV see lease_putback.lua. */
  lease_putback(...keysAndArgs: (string | number)[]): R;
  /** KEYS queue, index, backlog; ARGV domain, field prefix, members (see purge_queue.lua). */
  purge_queue(...keysAndArgs: string[]): R;
  /** KEYS queue, backlog, index, seq; ARGV domain, chunk, recount max, dry (queue_adopt.lua). */
  queue_adopt(...keysAndArgs: (string | number)[]): R;
}

/** The registered scripts of a client (registering them on first use). */
export function scripts<R>(client: RedisClient): ScriptCommands<Promise<R>> {
  registerScripts(client);
  return client as unknown as ScriptCommands<Promise<R>>;
}
