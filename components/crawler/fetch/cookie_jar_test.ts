import assert from "node:assert/strict";
import {
  acceptSetCookies,
  jarCookieString,
  MAX_SET_COOKIES_PER_RESPONSE,
  mergeCookies,
} from "./cookie_jar.ts";
import { cookieDomainOf, followUpCookieDomain, scopedCookie } from "./cookie_scope.ts";

const NOW = new Date("2026-11-30T12:00:00Z");

/** The stored values `setCookies` leave for `url` (deletions dropped). */
async function stored(setCookies: string[], url: string, now = NOW): Promise<string[]> {
  const entries = await acceptSetCookies(setCookies, url, { now });
  return entries.flatMap((e) => e.value === null ? [] : [e.value]);
}

// --- acceptSetCookies() / jarCookieString() -------------------------------------------------

Deno.test("`acceptSetCookies()` keeps host-only cookies for their host alone", async () => {
  const jar = await stored(["sid=1"], "http://www.example.com/login");
  assert.equal(jar.length, 1);
  assert.equal(await jarCookieString(jar, "http://www.example.com/x", { now: NOW }), "sid=1");
  assert.equal(await jarCookieString(jar, "http://shop.example.com/", { now: NOW }), "");
  assert.equal(await jarCookieString(jar, "http://example.com/", { now: NOW }), "");
});

Deno.test("`acceptSetCookies()` keeps Domain cookies for the domain and its subdomains", async () => {
  const jar = await stored(["sid=1; Domain=example.com"], "http://www.example.com/");
  for (const url of ["http://example.com/", "http://a.b.example.com/p"]) {
    assert.equal(await jarCookieString(jar, url, { now: NOW }), "sid=1", url);
  }
  assert.equal(await jarCookieString(jar, "http://example.org/", { now: NOW }), "");
  assert.equal(await jarCookieString(jar, "http://notexample.com/", { now: NOW }), "");
});

Deno.test("`acceptSetCookies()` refuses cookies for other domains and public suffixes", async () => {
  const entries = await acceptSetCookies(
    ["a=1; Domain=other.com", "b=2; Domain=com", "c=3; Domain=co.uk", "=nameless", "d=4"],
    "http://www.example.com/",
    { now: NOW },
  );
  assert.deepEqual(entries.map((e) => e.field), ["www.example.com\t/\td"]);
});

Deno.test("`jarCookieString()` applies Path, Secure and expiry", async () => {
  const url = "https://example.com/shop/cart";
  const jar = await stored([
    "p=1; Path=/shop",
    "q=2; Path=/admin",
    "s=3; Secure; HttpOnly",
    "old=4; Max-Age=60",
    "later=5; Expires=Wed, 30 Dec 2026 12:00:00 GMT",
  ], url);
  const at = (u: string, now = NOW) => jarCookieString(jar, u, { now });
  assert.equal(await at("https://example.com/shop/x"), "p=1; s=3; old=4; later=5");
  assert.equal(await at("http://example.com/shop/x"), "p=1; old=4; later=5", "Secure: https");
  assert.equal(await at("https://example.com/admin"), "q=2", "default path: /shop");
  const inTwoMinutes = new Date(NOW.getTime() + 120_000);
  assert.equal(await at("http://example.com/shop", inTwoMinutes), "p=1; later=5", "Max-Age");
  const inAYear = new Date(NOW.getTime() + 365 * 86_400_000);
  assert.equal(await at("http://example.com/shop", inAYear), "p=1", "Expires passed");
});

Deno.test("`acceptSetCookies()` turns an expired cookie into a deletion", async () => {
  const entries = await acceptSetCookies(
    ["sid=; Max-Age=0", "x=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "y=2"],
    "http://example.com/",
    { now: NOW },
  );
  assert.deepEqual(entries.map((e) => [e.field, e.value === null]), [
    ["example.com\t/\tsid", true],
    ["example.com\t/\tx", true],
    ["example.com\t/\ty", false],
  ]);
});

Deno.test("`acceptSetCookies()` looks at a bounded number of headers", async () => {
  const many = Array.from({ length: MAX_SET_COOKIES_PER_RESPONSE + 10 }, (_, i) => `c${i}=1`);
  const entries = await acceptSetCookies(many, "http://example.com/", { now: NOW });
  assert.equal(entries.length, MAX_SET_COOKIES_PER_RESPONSE);
  const huge = await acceptSetCookies([`big=${"x".repeat(5000)}`], "http://example.com/");
  assert.deepEqual(huge, []);
});

Deno.test("`jarCookieString()` skips stored values it cannot read", async () => {
  const jar = [...await stored(["a=1"], "http://example.com/"), "not json", "{}"];
  assert.equal(await jarCookieString(jar, "http://example.com/", { now: NOW }), "a=1");
});

// --- mergeCookies() ---------------------------------------------------------------------------

Deno.test("`mergeCookies()` adds site cookies to the crawl's; the site's value wins", () => {
  assert.equal(mergeCookies(null, ""), null);
  assert.equal(mergeCookies("a=1; Path=/", ""), "a=1; Path=/", "nothing to merge: as given");
  assert.equal(mergeCookies(null, "s=1"), "s=1");
  assert.equal(mergeCookies("a=1; b=2; Path=/", "b=3; c=4"), "a=1; b=3; c=4");
});

// --- cookie scope ---------------------------------------------------------------------------

Deno.test("`scopedCookie()` sends the crawl's cookie within the seed's registered domain", () => {
  const seed = { url: "http://www.example.co.uk/", cookie: "a=1" };
  assert.equal(cookieDomainOf(seed), "example.co.uk");
  assert.equal(scopedCookie(seed, "http://www.example.co.uk/x"), "a=1");
  assert.equal(scopedCookie(seed, "https://shop.example.co.uk/"), "a=1");
  assert.equal(scopedCookie(seed, "http://other.co.uk/"), null);
  assert.equal(scopedCookie(seed, "http://example.com/"), null);
  assert.equal(
    scopedCookie({ url: "www.example.com/", cookie: "a=1" }, "http://example.com/"),
    "a=1",
  );
  assert.equal(scopedCookie({ url: "http://example.com/" }, "http://example.com/"), null);
});

Deno.test("`scopedCookie()` keys hosts without a registered domain by the host", () => {
  const seed = { url: "http://127.0.0.1:8000/", cookie: "a=1" };
  assert.equal(scopedCookie(seed, "http://127.0.0.1:9000/x"), "a=1", "ports do not matter");
  assert.equal(scopedCookie(seed, "http://127.0.0.2:8000/"), null);
  assert.equal(scopedCookie(seed, "http://localhost:8000/"), null);
});

Deno.test("`scopedCookie()` follows the recorded seed domain, not the request's own", () => {
  const followUp = {
    url: "http://other.org/",
    cookie: "a=1",
    cookie_domain: "example.com",
    curdepth: 1,
  };
  assert.equal(scopedCookie(followUp, "http://other.org/"), null);
  assert.equal(scopedCookie(followUp, "http://www.example.com/"), "a=1");
  // A follow-up made without followRequest carries no scope: no cookie anywhere.
  const unscoped = { url: "http://example.com/", cookie: "a=1", curdepth: 2 };
  assert.equal(cookieDomainOf(unscoped), null);
  assert.equal(scopedCookie(unscoped, "http://example.com/"), null);
});

Deno.test("`followUpCookieDomain()` records the scope only when there is a cookie", () => {
  assert.equal(followUpCookieDomain({ url: "http://a.example.com/" }), undefined);
  assert.equal(
    followUpCookieDomain({ url: "http://a.example.com/", cookie: "x=1" }),
    "example.com",
  );
  assert.equal(
    followUpCookieDomain({ url: "http://b.org/", cookie: "x=1", cookie_domain: "example.com" }),
    "example.com",
  );
});
