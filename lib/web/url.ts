/**
 * URL helpers: scheme completion, canonical form and request fingerprints.
 *
 * {@linkcode canonicalizeUrl} follows w3lib's `canonicalize_url` (used by Scrapy's duplicate
 * filter), on top of the WHATWG URL parser; like current w3lib, it lowercases the host but not
 * the userinfo. Documented differences from w3lib:
 *
 * - the WHATWG parser resolves `.`/`..` path segments, turns `\` into `/` and normalises
 *   IPv4 hosts (`http://0x7f.1/` → `http://127.0.0.1/`), like browsers do;
 * - the default port is dropped (80 for http, 443 for https);
 * - `%25` stays encoded in the path (w3lib decodes it to a bare `%`, which makes the result
 *   change when canonicalised again);
 * - the query is split on `&` only, not also on `;` (as Python ≥ 3.9.2 and URLSearchParams do),
 *   so `?b=1;a=2` keeps its single argument;
 * - everything is UTF-8: there is no `encoding` argument.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Options for {@linkcode canonicalizeUrl}. */
export interface CanonicalizeUrlOptions {
  /**
   * Keep the `#fragment`.
   *
   * @default {false}
   */
  keepFragment?: boolean;
}

/** A request as far as its fingerprint is concerned. */
export interface FingerprintRequest {
  /** The request URL; must be absolute. */
  url: string;
  /**
   * The HTTP method, case-insensitive.
   *
   * @default {"GET"}
   */
  method?: string;
  /** The request body; a string is encoded as UTF-8. */
  body?: string | Uint8Array | null;
  /**
   * The URL is already canonical (it came from {@linkcode canonicalizeUrl}, as every link the
   * link extractor returns does): skip canonicalizing it again, the hot path of a crawl.
   *
   * @default {false}
   */
  canonical?: boolean;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HEX = "0123456789ABCDEF";
// RFC 3986 unreserved + reserved, minus "#", plus "|" and "%" (w3lib's _path_safe_chars).
const PATH_SAFE = new Set(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?[]@!$&'()*+,;=|%",
);
// Escapes kept as escapes in the path: decoding them would change the path's structure.
const PATH_KEEP_ENCODED = new Set([0x2f, 0x3f, 0x25, 0x23]); // / ? % #
const encoder = new TextEncoder();

/**
 * Prefixes `http://` to a URL that has no `scheme://`, the way Scrapy's
 * `add_http_if_no_scheme` does. Leading and trailing whitespace is removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureScheme } from "./url.ts";
 *
 * assert.equal(ensureScheme("www.x.com"), "http://www.x.com");
 * assert.equal(ensureScheme("//www.x.com/a"), "http://www.x.com/a");
 * assert.equal(ensureScheme("https://www.x.com"), "https://www.x.com");
 * ```
 *
 * @param url A URL, possibly without scheme.
 * @returns The URL with a scheme.
 */
export function ensureScheme(url: string): string {
  const trimmed = url.trim();
  if (SCHEME.test(trimmed)) return trimmed;
  // A scheme-relative "//host/path" already has its slashes.
  return trimmed.startsWith("//") ? `http:${trimmed}` : `http://${trimmed}`;
}

/**
 * Returns the canonical form of a URL, so that equivalent URLs compare equal: scheme and host
 * lowercased (IDN hosts in punycode), default port and fragment dropped, query arguments sorted
 * by key then value (blank values kept as `a=`), percent-encoding normalised (unreserved and
 * safe characters decoded, hex escapes uppercased, unsafe characters encoded) and an empty path
 * turned into `/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalizeUrl } from "./url.ts";
 *
 * assert.equal(
 *   canonicalizeUrl("HTTP://WWW.Example.com:80/a%7eb?b=2&a=1&a=#top"),
 *   "http://www.example.com/a~b?a=&a=1&b=2",
 * );
 * ```
 *
 * @param url An absolute URL.
 * @param opts Canonicalisation options.
 * @returns The canonical URL.
 * @throws {TypeError} When the URL cannot be parsed as an absolute URL.
 */
export function canonicalizeUrl(url: string, opts: CanonicalizeUrlOptions = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `Cannot canonicalize URL: ${JSON.stringify(url.slice(0, 200))} is not an absolute URL`,
    );
  }
  const fragment = opts.keepFragment ? parsed.hash : "";
  if (parsed.host === "" && !parsed.href.startsWith(`${parsed.protocol}//`)) {
    // Opaque URLs (mailto:, data:, ...) have no path or query structure to normalise.
    return parsed.href.slice(0, parsed.href.length - parsed.hash.length) + fragment;
  }
  const userinfo = parsed.username || parsed.password
    ? `${parsed.username}${parsed.password ? `:${parsed.password}` : ""}@`
    : "";
  const path = _canonicalPath(parsed.pathname) || "/";
  const query = _canonicalQuery(parsed.search.slice(1));
  return `${parsed.protocol}//${userinfo}${parsed.host}${path}${
    query ? `?${query}` : ""
  }${fragment}`;
}

/**
 * Returns a request's fingerprint as Scrapy's `request_fingerprint` computes it: the SHA-1 hex
 * digest of the uppercased method, the canonical URL (without fragment) and the body. Requests
 * that differ only in fragment, query order or percent-encoding share a fingerprint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestFingerprint } from "./url.ts";
 *
 * assert.equal(
 *   requestFingerprint({ url: "http://x.com/?b=2&a=1" }),
 *   requestFingerprint({ url: "http://X.com/?a=1&b=2#frag", method: "get" }),
 * );
 * ```
 *
 * @param req The request.
 * @returns 40 lowercase hex characters.
 * @throws {TypeError} When the URL cannot be parsed as an absolute URL.
 */
export function requestFingerprint(req: FingerprintRequest): string {
  const hash = createHash("sha1");
  hash.update((req.method ?? "GET").toUpperCase());
  hash.update(req.canonical ? req.url : canonicalizeUrl(req.url));
  if (req.body) hash.update(req.body);
  return hash.digest("hex");
}

/** Decodes escapes of safe characters, uppercases the others and encodes unsafe characters. */
function _canonicalPath(path: string): string {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    const byte = c === "%" ? _hexByte(path, i + 1) : -1;
    if (byte >= 0) {
      const decoded = String.fromCharCode(byte);
      out += byte < 0x80 && PATH_SAFE.has(decoded) && !PATH_KEEP_ENCODED.has(byte)
        ? decoded
        : _escape(byte);
      i += 2;
    } else if (PATH_SAFE.has(c)) {
      out += c;
    } else {
      // The WHATWG parser leaves a few unsafe ASCII characters (such as ^) literal.
      for (const b of encoder.encode(c)) out += _escape(b);
    }
  }
  return out;
}

/** Splits on `&`, decodes `+` and escapes, sorts by key then value, and re-encodes. */
function _canonicalQuery(query: string): string {
  if (query === "") return "";
  const pairs: [Uint8Array, Uint8Array][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    pairs.push([_unquotePlus(key), _unquotePlus(value)]);
  }
  // Array.prototype.sort is stable; bytes compare like Python's sorted() on bytes tuples.
  pairs.sort(([k1, v1], [k2, v2]) => _compareBytes(k1, k2) || _compareBytes(v1, v2));
  return pairs.map(([k, v]) => `${_quotePlus(k)}=${_quotePlus(v)}`).join("&");
}

function _unquotePlus(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const byte = c === "%" ? _hexByte(text, i + 1) : -1;
    if (byte >= 0) {
      bytes.push(byte);
      i += 2;
    } else if (c === "+") {
      bytes.push(0x20);
    } else {
      // Raw bytes stay raw: a non-UTF-8 escape such as %A3 must survive unchanged.
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      bytes.push(...encoder.encode(String.fromCodePoint(code)));
    }
  }
  return Uint8Array.from(bytes);
}

/** Python's `quote_plus` with no safe characters, as `urlencode` applies it. */
function _quotePlus(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
    ) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += "+";
    } else {
      out += _escape(b);
    }
  }
  return out;
}

function _compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** The byte encoded by two hex digits at `text[at]`, or -1. */
function _hexByte(text: string, at: number): number {
  const pair = text.slice(at, at + 2);
  return /^[0-9A-Fa-f]{2}$/.test(pair) ? parseInt(pair, 16) : -1;
}

function _escape(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}
