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
  queue_push: 3,
  queue_pop: 2,
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
  /** KEYS queue, index, seq; ARGV domain, then (priority, member) pairs. */
  queue_push(...keysAndArgs: string[]): R;
  /** KEYS queue, index; ARGV domain, count. */
  queue_pop(queue: string, index: string, domain: string, count: number): R;
}
