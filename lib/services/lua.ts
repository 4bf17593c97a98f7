/**
 * Lua scripts as files, registered on an ioredis client with `defineCommand`: ioredis sends
 * EVALSHA and falls back to EVAL once on NOSCRIPT, so each script travels once per connection.
 * Each package that owns scripts (the frontier, the job locks) declares them with
 * {@linkcode luaScripts} next to its `lua/` folder; a line `--#include <file>` inlines helpers
 * shared by several scripts.
 *
 * @example
 * ```ts
 * import { luaScripts } from "./lua.ts";
 *
 * // lua/ holds frontier_pop.lua; it takes 3 KEYS.
 * const register = luaScripts(new URL("../frontier/lua/", import.meta.url), { frontier_pop: 3 });
 * if (typeof register !== "function") throw new Error("unexpected");
 * ```
 *
 * @module
 */

import { isRedisCluster, type RedisClient } from "./redis.ts";

/**
 * A script's source with each `--#include <file>` line replaced by that file (same folder):
 * Redis scripts cannot call each other, so helpers several scripts share are inlined.
 */
export function readScript(url: URL): string {
  return Deno.readTextFileSync(url).replace(
    /^--#include (\S+)$/gm,
    (_, file: string) => Deno.readTextFileSync(new URL(file, url)),
  );
}

/**
 * Declares the scripts `<name>.lua` of folder `dir` (script name → number of KEYS, or null when
 * it varies: then each call starts with it) and returns
 * a function that registers them on a client (idempotent; sources are read once, on first use).
 */
export function luaScripts(
  dir: URL,
  numberOfKeys: Readonly<Record<string, number | null>>,
): (client: RedisClient) => void {
  const registered = new WeakSet<RedisClient>();
  let sources: Map<string, string> | undefined;
  return (client) => {
    if (registered.has(client)) return;
    sources ??= new Map(
      Object.keys(numberOfKeys).map((name) => [name, readScript(new URL(`${name}.lua`, dir))]),
    );
    for (const [name, keys] of Object.entries(numberOfKeys)) {
      // null: the caller passes the number of keys first (scripts whose keys vary per call).
      const lua = sources.get(name)!;
      client.defineCommand(name, keys === null ? { lua } : { numberOfKeys: keys, lua });
      // ioredis's auto-pipelining routes a custom command by its first argument, which is the
      // key count here, not a key: such calls must go on their own, routed by their keys.
      if (keys === null && isRedisCluster(client)) {
        const ignored = client.options.autoPipeliningIgnoredCommands ??= [];
        if (!ignored.includes(name)) ignored.push(name);
      }
    }
    registered.add(client);
  };
}
