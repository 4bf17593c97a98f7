/**
 * The stored form of a crawl request (a queue member): its JSON without the properties that equal
 * their `schemas/scraper.json` default. A queued request is mostly defaults (`"allowed_domains":
 * null`, `"useragent": null`, … about 200 bytes of them), and a frontier holds millions of
 * requests: leaving them out cuts Redis memory per pending request by about half.
 *
 * {@linkcode expandRequest} puts them back, so a crawler sees exactly the request the
 * kafka-monitor validated (every property present, as the schema promises). A member that
 * carries every property — written by an older version of this project or by Scrapy Cluster's
 * kafka-monitor — expands to itself. The Lua scripts read only `appid`, `crawlid` (never
 * defaults: the schema requires them) and `expires` (absent reads as 0 = never, its default).
 * Fingerprints and the dupefilter do not involve the member.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeStoredRequest, encodeRequest } from "./compact_request.ts";
 *
 * const req = { url: "http://a.com/", appid: "app", crawlid: "c1", spiderid: "link",
 *   priority: 1, maxdepth: 2, useragent: null };
 * const member = '{"url":"http://a.com/","appid":"app","crawlid":"c1","maxdepth":2}';
 * assert.equal(encodeRequest(req), member);
 * assert.equal(decodeStoredRequest(encodeRequest(req))?.useragent, null);
 * ```
 *
 * @module
 */

import scraperSchema from "../../schemas/scraper.json" with { type: "json" };

type Json = Record<string, unknown>;

/**
 * The scraper schema's defaults, by property (all primitives or null, so `===` compares them).
 * Imported rather than read at run time: a crawler needs no read permission on `schemas/`.
 */
export const REQUEST_DEFAULTS: Readonly<Record<string, string | number | null>> = Object.freeze(
  Object.fromEntries(
    Object.entries(scraperSchema.properties as Record<string, { default?: unknown }>)
      .filter(([, spec]) => "default" in spec)
      .map(([name, spec]) => {
        const value = spec.default;
        if (value !== null && typeof value === "object") {
          // A default object or array could be shared and mutated by whoever expands it.
          throw new Error(`scraper schema: the default of ${name} is not a primitive`);
        }
        return [name, value as string | number | null];
      }),
  ),
);

const DEFAULT_ENTRIES = Object.entries(REQUEST_DEFAULTS);
// Without a prototype: a lookup of any other name is undefined, no own-property test needed.
const DEFAULT_OF: Record<string, unknown> = Object.assign(Object.create(null), REQUEST_DEFAULTS);

/**
 * The request without the properties equal to their schema default (a new object). Runs for
 * every follow-up a crawler queues (40 a page): one pass, no per-name own-property test (for-in
 * on a plain request object, whose prototype has no enumerable property).
 */
export function compactRequest(req: Readonly<Json>): Json {
  const out: Json = {};
  for (const name in req) {
    const value = req[name];
    // undefined: JSON.stringify would leave it out anyway.
    if (value === undefined || DEFAULT_OF[name] === value) continue;
    if (name === "__proto__") {
      // A parsed member may hold this key as data; an assignment would set the prototype.
      Object.defineProperty(out, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[name] = value;
  }
  return out;
}

/**
 * Puts back every schema default the request lacks (in place: `stored` is a freshly parsed
 * member), after its own properties, as the validator appends them.
 */
export function expandRequest<T extends Json>(stored: T): T {
  for (const [name, value] of DEFAULT_ENTRIES) {
    if (!Object.hasOwn(stored, name)) (stored as Json)[name] = value;
  }
  return stored;
}

/** The queue member of a request: its compact JSON. */
export function encodeRequest(req: Readonly<Json>): string {
  return JSON.stringify(compactRequest(req));
}

/**
 * The request a queue member stands for, every default in place; null when the member is not
 * a JSON object (what to do with it is the caller's call).
 */
export function decodeStoredRequest(member: string): Json | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(member);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  return expandRequest(parsed as Json);
}
