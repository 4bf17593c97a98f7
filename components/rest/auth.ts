/**
 * Optional API-key authentication (`REST_API_KEYS`): a request presents its key in
 * `X-Api-Key: <key>` or `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests
 * with `timingSafeEqual`, against every configured key, so the time taken reveals nothing about
 * how much of a key was right or which key matched.
 *
 * Each key may carry scopes (`key:poll`, `key:feed+poll`; `key:feed,poll` inside a JSON array):
 * `feed` for crawl requests, info and stats on `/feed`, `poll` for `/poll`, `admin` for stop,
 * expire, ZooKeeper and webhook actions. A key without scopes has them all, as before scopes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiKeyCheck, parseApiKeys } from "./auth.ts";
 *
 * const check = apiKeyCheck(parseApiKeys(["s3cret", "dash:poll"]))!;
 * const bearer = (key: string) => new Request("http://x/", { headers: { authorization: `Bearer ${key}` } });
 * assert.deepEqual([...check(bearer("s3cret"))!], ["feed", "poll", "admin"]);
 * assert.deepEqual([...check(bearer("dash"))!], ["poll"]);
 * assert.equal(check(new Request("http://x/", { headers: { "x-api-key": "guess" } })), null);
 * assert.equal(apiKeyCheck([]), null);
 * ```
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/** What a key may do. */
export const SCOPES = ["feed", "poll", "admin"] as const;

/** One scope of {@linkcode SCOPES}. */
export type Scope = typeof SCOPES[number];

/** A configured key and what it may do. */
export interface ApiKey {
  readonly key: string;
  readonly scopes: ReadonlySet<Scope>;
}

const ALL_SCOPES: ReadonlySet<Scope> = new Set(SCOPES);
const _isScope = (word: string): word is Scope => (SCOPES as readonly string[]).includes(word);

/**
 * The keys of `REST_API_KEYS` entries: `key` (every scope) or `key:scope[+scope…]` (also `,`
 * between scopes, possible inside a JSON array). An entry whose part after the last `:` holds
 * no scope name is a key as a whole (keys from before scopes keep working). Throws for an
 * unknown scope next to known ones, and for an entry that is only a scope name (what
 * `key:feed,poll` becomes when comma separated text splits it).
 */
export function parseApiKeys(entries: readonly string[]): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of entries.map((e) => e.trim()).filter((e) => e !== "")) {
    if (_isScope(entry)) {
      throw new Error(
        `entry '${entry}' is a scope name, not a key (comma separated text split ` +
          `'key:…,${entry}'?): separate scopes with '+' (key:feed+poll) or give a JSON array`,
      );
    }
    const colon = entry.lastIndexOf(":");
    const words = colon > 0 ? entry.slice(colon + 1).split(/[+,]/).map((w) => w.trim()) : [];
    if (!words.some(_isScope)) {
      keys.push({ key: entry, scopes: ALL_SCOPES });
      continue;
    }
    const unknown = words.filter((w) => !_isScope(w));
    if (unknown.length > 0) {
      throw new Error(
        `unknown scope '${unknown[0]}' in a key's entry (scopes: ${SCOPES.join(", ")})`,
      );
    }
    keys.push({ key: entry.slice(0, colon), scopes: new Set(words as Scope[]) });
  }
  return keys;
}

const _digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** The key a request presents, or null. */
export function presentedKey(req: Request): string | null {
  const header = req.headers.get("x-api-key");
  if (header !== null && header !== "") return header;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

/**
 * A check of requests against `keys`, giving the matched key's scopes (null for no valid key);
 * null itself when there are no keys (authentication off).
 */
export function apiKeyCheck(
  keys: readonly ApiKey[],
): ((req: Request) => ReadonlySet<Scope> | null) | null {
  const known = keys.filter((k) => k.key !== "").map((k) => ({ ...k, digest: _digest(k.key) }));
  if (known.length === 0) return null;
  return (req) => {
    const key = presentedKey(req);
    if (key === null) return null;
    const given = _digest(key);
    let scopes: ReadonlySet<Scope> | null = null;
    // Every digest compared, whichever matches: the time does not tell which key it was.
    for (const k of known) if (timingSafeEqual(given, k.digest)) scopes = k.scopes;
    return scopes;
  };
}

/**
 * The scope a `/feed` request needs, from the schema of the plugin that took it and its
 * `action`: crawl requests, stats and `info` need `feed`; `stop`, `expire` and other actions,
 * ZooKeeper changes and webhook changes need `admin` (`webhook-list` only `feed`). A schema
 * this list does not know (a custom plugin) needs `admin`.
 */
export function scopeForRequest(schema: string, request: Readonly<Record<string, unknown>>): Scope {
  switch (schema) {
    case "scraper":
    case "stats":
      return "feed";
    case "action":
      return request.action === "info" ? "feed" : "admin";
    case "webhook":
      return request.action === "webhook-list" ? "feed" : "admin";
    default:
      return "admin";
  }
}
