/**
 * The cluster's Lua scripts (`lib/lua/*.lua`), registered on an ioredis client with
 * `defineCommand`: ioredis sends EVALSHA and falls back to EVAL once on NOSCRIPT, so each script
 * travels once per connection. Every key arrives through KEYS, every time through ARGV.
 *
 * @module
 */

import type { Redis } from "ioredis";

/** Script name → number of KEYS it takes. */
const SCRIPTS = {
  enqueue: 2,
  frontier_pop: 3,
  lease_return: 3,
  lock_release: 1,
  lock_extend: 1,
} as const;

/** Names of the scripts in `lib/lua/`. */
export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<ScriptName, string>();

function source(name: ScriptName): string {
  let text = sources.get(name);
  if (text === undefined) {
    text = Deno.readTextFileSync(new URL(`./lua/${name}.lua`, import.meta.url));
    sources.set(name, text);
  }
  return text;
}

const registered = new WeakSet<Redis>();

/** Registers every script on `client` (idempotent). */
export function registerScripts(client: Redis): void {
  if (registered.has(client)) return;
  for (const [name, numberOfKeys] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, { numberOfKeys, lua: source(name as ScriptName) });
  }
  registered.add(client);
}

/** A client or pipeline on which the scripts were registered, typed per script. */
export interface ScriptCommands<R> {
  /** KEYS dupefilter, blacklist; ARGV options JSON, then groups of 5 (see enqueue.lua). */
  enqueue(...keysAndArgs: string[]): R;
  /** KEYS index, leases, blacklist; ARGV see frontier_pop.lua. */
  frontier_pop(...keysAndArgs: (string | number)[]): R;
  /** KEYS leases, queue, index; ARGV lease, domain, score, member, spiderid. */
  lease_return(...keysAndArgs: string[]): R;
  /** KEYS lock; ARGV token. */
  lock_release(lock: string, token: string): R;
  /** KEYS lock; ARGV token, ttl ms. */
  lock_extend(lock: string, token: string, ttlMs: number): R;
}

/** The registered scripts of a client or pipeline (registering them on first use). */
export function scripts<R>(client: Redis): ScriptCommands<Promise<R>> {
  registerScripts(client);
  return client as unknown as ScriptCommands<Promise<R>>;
}
