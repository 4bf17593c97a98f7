import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { canonicalizeUrl, ensureScheme, requestFingerprint } from "./url.ts";

/** [input, canonical form] */
const CANONICAL: [string, string][] = [
  // scheme, host, port
  ["http://www.example.com", "http://www.example.com/"],
  ["HTTP://WWW.EXAMPLE.COM/Path", "http://www.example.com/Path"],
  ["http://www.example.com:80/", "http://www.example.com/"],
  ["https://www.example.com:443/", "https://www.example.com/"],
  ["http://www.example.com:443/", "http://www.example.com:443/"],
  ["https://www.example.com:8443/", "https://www.example.com:8443/"],
  ["http://User:PW@WWW.Example.com/", "http://User:PW@www.example.com/"],
  ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"],
  ["http://[::1]:80/", "http://[::1]/"],
  // IDN hosts in punycode
  ["http://www.München.de/", "http://www.xn--mnchen-3ya.de/"],
  ["http://例え.jp/パス", "http://xn--r8jz45g.jp/%E3%83%91%E3%82%B9"],
  // query: sorted by key then value, blank values kept, + for spaces
  ["http://www.example.com/do?c=3&b=5&b=2&a=50", "http://www.example.com/do?a=50&b=2&b=5&c=3"],
  ["http://www.example.com/do?a=1&b=2&c=3", "http://www.example.com/do?a=1&b=2&c=3"],
  ["http://www.example.com/do?&a=1", "http://www.example.com/do?a=1"],
  ["http://www.example.com/do?a=&b=1", "http://www.example.com/do?a=&b=1"],
  ["http://www.example.com/do?b&a", "http://www.example.com/do?a=&b="],
  ["http://www.example.com/do?1750,4", "http://www.example.com/do?1750%2C4="],
  ["http://www.example.com/do?q=a space&a=1", "http://www.example.com/do?a=1&q=a+space"],
  ["http://www.example.com/do?q=a+space&a=1", "http://www.example.com/do?a=1&q=a+space"],
  ["http://www.example.com/do?q=a%20space&a=1", "http://www.example.com/do?a=1&q=a+space"],
  ["http://www.example.com/do?a=50%&b=1", "http://www.example.com/do?a=50%25&b=1"],
  ["http://www.example.com/do?k=b%a3", "http://www.example.com/do?k=b%A3"],
  ["http://www.example.com/do?q=résumé", "http://www.example.com/do?q=r%C3%A9sum%C3%A9"],
  ["http://www.example.com/do?a=b/c:d", "http://www.example.com/do?a=b%2Fc%3Ad"],
  ["http://www.example.com/do?a=x=y", "http://www.example.com/do?a=x%3Dy"],
  ["http://www.example.com/do?b=1;a=2", "http://www.example.com/do?b=1%3Ba%3D2"],
  ["http://www.example.com/do?", "http://www.example.com/do"],
  ["http://www.example.com/?a=~._-", "http://www.example.com/?a=~._-"],
  // path: unreserved and safe escapes decoded, others uppercased, unsafe encoded
  ["http://www.example.com/a%7eb%2dc", "http://www.example.com/a~b-c"],
  ["http://www.example.com/a%3a%40%2C", "http://www.example.com/a:@,"],
  ["http://www.example.com/a%a3do", "http://www.example.com/a%A3do"],
  ["http://www.example.com/a%2fb%2F%3f%3F", "http://www.example.com/a%2Fb%2F%3F%3F"],
  ["http://www.example.com/a%23b", "http://www.example.com/a%23b"],
  ["http://www.example.com/100%25/x", "http://www.example.com/100%25/x"],
  ["http://www.example.com/50%/x", "http://www.example.com/50%/x"],
  ["http://www.example.com/a b", "http://www.example.com/a%20b"],
  ["http://www.example.com/a^b|c[d]", "http://www.example.com/a%5Eb|c[d]"],
  ['http://www.example.com/"<>`{}', "http://www.example.com/%22%3C%3E%60%7B%7D"],
  ["http://www.example.com/résumé", "http://www.example.com/r%C3%A9sum%C3%A9"],
  ["http://www.example.com/r%C3%A9sum%c3%a9", "http://www.example.com/r%C3%A9sum%C3%A9"],
  ["http://www.example.com/😀", "http://www.example.com/%F0%9F%98%80"],
  ["http://www.example.com/a;p=1/b", "http://www.example.com/a;p=1/b"],
  ["http://www.example.com/a/./b/../c", "http://www.example.com/a/c"],
  // fragment dropped
  ["http://www.example.com/do?a=1#frag", "http://www.example.com/do?a=1"],
  ["http://www.example.com/#!/ajax", "http://www.example.com/"],
  // other schemes
  ["ftp://FTP.Example.com:21/pub", "ftp://ftp.example.com/pub"],
  ["mailto:Someone@Example.com#x", "mailto:Someone@Example.com"],
];

/** Pairs of URLs that must keep distinct canonical forms and fingerprints. */
const DIFFERENT: [string, string][] = [
  ["http://www.example.com/a", "http://www.example.com/A"],
  ["http://www.example.com/a", "https://www.example.com/a"],
  ["http://www.example.com/a", "http://www.example.com:8080/a"],
  ["http://www.example.com/a", "http://example.com/a"],
  ["http://www.example.com/a", "http://www.example.com/a/"],
  ["http://www.example.com/a/b", "http://www.example.com/a%2Fb"],
  ["http://www.example.com/a?b", "http://www.example.com/a%3Fb"],
  ["http://www.example.com/?a=1", "http://www.example.com/?a=2"],
  ["http://www.example.com/?a=1&a=1", "http://www.example.com/?a=1"],
  ["http://www.example.com/?a=1&b=2", "http://www.example.com/?a=2&b=1"],
  ["http://www.example.com/?a=+", "http://www.example.com/?a=%2B"],
  ["http://www.example.com/?a&b", "http://www.example.com/?a%26b"],
  ["http://www.example.com/100%25", "http://www.example.com/100%"],
  ["http://user@www.example.com/", "http://www.example.com/"],
  ["http://www.example.com/r%E9sum%E9", "http://www.example.com/r%C3%A9sum%C3%A9"],
];

Deno.test("`canonicalizeUrl()` normalises scheme, host, port, query, path and fragment", () => {
  for (const [input, expected] of CANONICAL) {
    assert.equal(canonicalizeUrl(input), expected, input);
  }
});

Deno.test("`canonicalizeUrl()` is idempotent", () => {
  for (const [input] of [...CANONICAL, ...DIFFERENT]) {
    const once = canonicalizeUrl(input);
    assert.equal(canonicalizeUrl(once), once, input);
  }
});

Deno.test("`canonicalizeUrl()` keeps distinct URLs distinct", () => {
  for (const [a, b] of DIFFERENT) {
    assert.notEqual(canonicalizeUrl(a), canonicalizeUrl(b), `${a} vs ${b}`);
  }
});

Deno.test("`canonicalizeUrl()` keeps the fragment when asked", () => {
  assert.equal(
    canonicalizeUrl("http://www.example.com/do?b=2&a=1#frag", { keepFragment: true }),
    "http://www.example.com/do?a=1&b=2#frag",
  );
  assert.equal(
    canonicalizeUrl("http://www.example.com/#a b", { keepFragment: true }),
    "http://www.example.com/#a%20b",
  );
  assert.equal(
    canonicalizeUrl("http://www.example.com/", { keepFragment: true }),
    "http://www.example.com/",
  );
});

Deno.test("`canonicalizeUrl()` throws a TypeError for unparseable URLs", () => {
  for (
    const bad of [
      "",
      "www.example.com",
      "/relative/path",
      "http://",
      "http://exa mple.com/",
      "::::",
    ]
  ) {
    assert.throws(
      () => canonicalizeUrl(bad),
      (e: unknown) =>
        e instanceof TypeError && e.message.startsWith("Cannot canonicalize URL: ") &&
        e.message.endsWith("is not an absolute URL"),
      JSON.stringify(bad),
    );
  }
});

Deno.test("`canonicalizeUrl()` survives lone surrogates", () => {
  assert.equal(
    canonicalizeUrl("http://www.example.com/a\uD800b?q=\uDC00"),
    "http://www.example.com/a%EF%BF%BDb?q=%EF%BF%BD",
  );
});

Deno.test("`requestFingerprint()` is Scrapy's SHA-1 of method, canonical URL and body", () => {
  const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
  assert.equal(
    requestFingerprint({ url: "http://www.example.com" }),
    sha1("GEThttp://www.example.com/"),
  );
  assert.equal(
    requestFingerprint({ url: "http://www.example.com", method: "post", body: "a=1" }),
    sha1("POSThttp://www.example.com/a=1"),
  );
  assert.match(requestFingerprint({ url: "http://www.example.com/" }), /^[0-9a-f]{40}$/);
});

Deno.test("`requestFingerprint()` matches for equivalent requests", () => {
  const equivalent: [string, string][] = [
    ["http://www.example.com/?b=2&a=1", "http://WWW.EXAMPLE.COM:80/?a=1&b=2"],
    ["http://www.example.com/a#one", "http://www.example.com/a#two"],
    ["http://www.example.com/a%7Eb", "http://www.example.com/a~b"],
    ["http://www.example.com/résumé", "http://www.example.com/r%c3%a9sum%c3%a9"],
    ["http://münchen.de/", "http://xn--mnchen-3ya.de/"],
    ["http://www.example.com", "http://www.example.com/"],
    ["http://www.example.com/?q=a b", "http://www.example.com/?q=a+b"],
  ];
  for (const [a, b] of equivalent) {
    assert.equal(requestFingerprint({ url: a }), requestFingerprint({ url: b }), `${a} vs ${b}`);
  }
  const url = "http://www.example.com/";
  assert.equal(requestFingerprint({ url }), requestFingerprint({ url, method: "get" }));
  assert.equal(requestFingerprint({ url }), requestFingerprint({ url, body: null }));
  assert.equal(requestFingerprint({ url }), requestFingerprint({ url, body: "" }));
  assert.equal(
    requestFingerprint({ url, method: "POST", body: "é" }),
    requestFingerprint({ url, method: "POST", body: new TextEncoder().encode("é") }),
  );
});

Deno.test("`requestFingerprint()` differs for different requests", () => {
  for (const [a, b] of DIFFERENT) {
    assert.notEqual(requestFingerprint({ url: a }), requestFingerprint({ url: b }), `${a} vs ${b}`);
  }
  const url = "http://www.example.com/";
  assert.notEqual(requestFingerprint({ url }), requestFingerprint({ url, method: "POST" }));
  assert.notEqual(
    requestFingerprint({ url, method: "POST", body: "a=1" }),
    requestFingerprint({ url, method: "POST", body: "a=2" }),
  );
  assert.throws(() => requestFingerprint({ url: "nope" }), TypeError);
});

Deno.test("`ensureScheme()` adds http:// only when the scheme is missing", () => {
  const cases: [string, string][] = [
    ["www.x.com", "http://www.x.com"],
    ["www.stuff.com/page?a=1", "http://www.stuff.com/page?a=1"],
    ["//www.x.com/a", "http://www.x.com/a"],
    ["localhost:8080/a", "http://localhost:8080/a"],
    ["  www.x.com \n", "http://www.x.com"],
    ["http://www.x.com", "http://www.x.com"],
    ["HTTPS://www.x.com", "HTTPS://www.x.com"],
    ["ftp://x.com/f", "ftp://x.com/f"],
    ["svn+ssh://x.com/r", "svn+ssh://x.com/r"],
  ];
  for (const [input, expected] of cases) assert.equal(ensureScheme(input), expected, input);
  assert.equal(canonicalizeUrl(ensureScheme("WWW.X.COM")), "http://www.x.com/");
});
