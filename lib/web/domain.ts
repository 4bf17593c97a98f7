/**
 * The domain token of queue keys (`<spiderid>:<domain>:queue`) and throttle keys.
 *
 * Scrapy Cluster took it from tldextract with default options: the registered domain according
 * to the ICANN section of the public suffix list (private suffixes such as `blogspot.com` are
 * not suffixes), subdomains dropped, scheme, userinfo, port and path ignored. We keep that, with
 * hosts lowercased and IDN hosts in punycode (the WHATWG URL parser does both).
 *
 * Decisions for hosts without a registered domain: Scrapy Cluster produced a trailing dot
 * (`1.2.3.4.`, `localhost.`), which we drop:
 *
 * - an IPv4 host gives the address (`http://127.0.0.1:8080/` → `127.0.0.1`);
 * - an IPv6 host gives the bracketed literal (`http://[::1]/` → `[::1]`);
 * - `localhost`, any single-label host, a bare public suffix (`co.uk`) and a host whose suffix is
 *   not an ICANN public suffix (`foo.internal`) give the host itself.
 *
 * Input without a scheme is treated as http (`www.stuff.com/page` → `stuff.com`); any other
 * scheme is parsed as http too, since only the host matters.
 *
 * @module
 */

import { parse } from "tldts";
import { ensureScheme } from "./url.ts";

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Returns the queue-key domain of a URL or host name: its registered domain, or the host
 * itself when it has none (IP addresses, `localhost`, unknown suffixes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registeredDomain } from "./domain.ts";
 *
 * assert.equal(registeredDomain("http://www.dmoztools.net/x"), "dmoztools.net");
 * assert.equal(registeredDomain("a.b.example.co.uk"), "example.co.uk");
 * assert.equal(registeredDomain("http://127.0.0.1:8080/"), "127.0.0.1");
 * assert.equal(registeredDomain("http://"), null);
 * ```
 *
 * @param urlOrHost An absolute URL, a URL without scheme, or a bare host name.
 * @returns The domain token, or null when no host can be found.
 */
export function registeredDomain(urlOrHost: string): string | null {
  // A crawl asks again and again for the same few hosts: remember the answers per authority.
  const authority = AUTHORITY.exec(urlOrHost)?.[1];
  if (authority !== undefined) {
    const known = cache.get(authority);
    if (known !== undefined) return known;
    const domain = computeRegisteredDomain(urlOrHost);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(authority, domain);
    return domain;
  }
  return computeRegisteredDomain(urlOrHost);
}

// "http(s)://<authority>" of an ordinary URL; anything unusual takes the full path.
const AUTHORITY = /^https?:\/\/([A-Za-z0-9.:\-[\]]+)(?:[/?#]|$)/;
const CACHE_SIZE = 10_000;
const cache = new Map<string, string | null>();

function computeRegisteredDomain(urlOrHost: string): string | null {
  // Only the host matters, and only special schemes get host normalisation (punycode, case).
  const url = ensureScheme(urlOrHost).replace(SCHEME, "http://");
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  // A fully qualified "example.com." is the same host as "example.com".
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "" || host.startsWith(".")) return null;
  if (host.startsWith("[") || IPV4.test(host)) return host;
  const result = parse(host, { allowPrivateDomains: false, extractHostname: false });
  return result.isIcann && result.domain ? result.domain : host;
}
