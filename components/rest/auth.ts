/**
 * Optional API-key authentication (`REST_API_KEYS`): a request presents its key in
 * `X-Api-Key: <key>` or `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests
 * with `timingSafeEqual`, against every configured key, so the time taken reveals nothing about
 * how much of a key was right or which key matched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiKeyCheck } from "./auth.ts";
 *
 * const check = apiKeyCheck(["s3cret"])!;
 * assert.ok(check(new Request("http://x/", { headers: { authorization: "Bearer s3cret" } })));
 * assert.ok(!check(new Request("http://x/", { headers: { "x-api-key": "guess" } })));
 * assert.equal(apiKeyCheck([]), null);
 * ```
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

const _digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** The key a request presents, or null. */
export function presentedKey(req: Request): string | null {
  const header = req.headers.get("x-api-key");
  if (header !== null && header !== "") return header;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

/** A check of requests against `keys`; null when there are no keys (authentication off). */
export function apiKeyCheck(keys: readonly string[]): ((req: Request) => boolean) | null {
  const digests = keys.filter((k) => k !== "").map(_digest);
  if (digests.length === 0) return null;
  return (req) => {
    const key = presentedKey(req);
    if (key === null) return false;
    const given = _digest(key);
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(given, digest) || ok;
    return ok;
  };
}
