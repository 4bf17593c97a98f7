/**
 * The body signature a receiver verifies: header `X-Crawl-Cluster-Signature:
 * sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the hook's secret>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signBody } from "./signature.ts";
 *
 * // RFC 4231 test case 2
 * const sig = await signBody("Jefe", "what do ya want for nothing?");
 * assert.equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
 * ```
 *
 * @module
 */

/** The signature header's name. */
export const SIGNATURE_HEADER = "X-Crawl-Cluster-Signature";

/** `sha256=<hex>` of `body` under `secret`. */
export async function signBody(secret: string, body: string | Uint8Array): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const data = typeof body === "string" ? enc.encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, data as BufferSource));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
