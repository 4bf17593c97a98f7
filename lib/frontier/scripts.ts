/**
 * The frontier's Lua scripts (`lua/*.lua`), each typed once. Every queue write and pop is one
 * of these calls, whatever the batch size.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { luaScripts } from "../services/lua.ts";

/** Registers the frontier scripts on `client` (idempotent). */
export const registerScripts: (client: Redis) => void = luaScripts(
  new URL("./lua/", import.meta.url),
  {
    enqueue: 2,
    frontier_pop: 5,
    lease_return: 3,
    lease_settle: 3,
    purge_queue: 2,
  },
);

/** A client or pipeline on which the scripts were registered, typed per script. */
export interface ScriptCommands<R> {
  /** KEYS dupefilter, blacklist; ARGV options JSON, then groups of 5 (see enqueue.lua). */
  enqueue(...keysAndArgs: string[]): R;
  /** KEYS index, leases, blacklist, lease holders, pop seq; ARGV see frontier_pop.lua. */
  frontier_pop(...keysAndArgs: (string | number)[]): R;
  /**
   * KEYS leases, lease holders, index; ARGV spiderid, "dead" | "own", the caller's id, then for
   * "own": n, n kept tokens, acked tokens (see lease_settle.lua).
   */
  lease_settle(...keysAndArgs: string[]): R;
  /** KEYS leases, queue, index; ARGV lease, domain, score, member, spiderid. */
  lease_return(...keysAndArgs: string[]): R;
  /** KEYS queue, index; ARGV domain, members to remove (see purge_queue.lua). */
  purge_queue(...keysAndArgs: string[]): R;
}

/** The registered scripts of a client (registering them on first use). */
export function scripts<R>(client: Redis): ScriptCommands<Promise<R>> {
  registerScripts(client);
  return client as unknown as ScriptCommands<Promise<R>>;
}
