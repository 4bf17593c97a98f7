import assert from "node:assert/strict";
import { registeredDomain } from "./domain.ts";

/** [input, queue-key domain or null] */
const CASES: [string, string | null][] = [
  // registered domain, subdomains dropped
  ["http://www.dmoztools.net/x", "dmoztools.net"],
  ["http://dmoztools.net", "dmoztools.net"],
  ["a.b.example.co.uk", "example.co.uk"],
  ["https://shop.ebay.com/itm/1?x=y#z", "ebay.com"],
  ["http://www.example.com.au/", "example.com.au"],
  ["http://foo.bar.kawasaki.jp/", "foo.bar.kawasaki.jp"], // *.kawasaki.jp is a wildcard suffix
  // scheme, userinfo, port, path, case ignored
  ["HTTPS://User:Pw@WWW.Example.COM:8443/Path", "example.com"],
  ["ftp://ftp.example.org/pub", "example.org"],
  ["ws://chat.example.com/s", "example.com"],
  ["foo://bar.Example.com/x", "example.com"],
  ["www.example.com.", "example.com"],
  // no scheme: treated as http
  ["www.stuff.com", "stuff.com"],
  ["www.stuff.com/page", "stuff.com"],
  ["www.stuff.com:8080/page", "stuff.com"],
  ["//cdn.stuff.com/x.js", "stuff.com"],
  // private suffixes are not suffixes (ICANN section only)
  ["http://foo.blogspot.com/", "blogspot.com"],
  ["http://bucket.s3.amazonaws.com/", "amazonaws.com"],
  ["http://user.github.io/", "github.io"],
  // IDN hosts in punycode
  ["http://www.München.de/", "xn--mnchen-3ya.de"],
  ["http://例え.テスト.jp/", "xn--zckzah.jp"],
  ["http://www.пример.рф/", "xn--e1afmkfd.xn--p1ai"],
  ["http://xn--mnchen-3ya.de/", "xn--mnchen-3ya.de"],
  // no registered domain: our decisions (Scrapy Cluster added a trailing dot)
  ["http://127.0.0.1:8080/", "127.0.0.1"],
  ["127.0.0.1", "127.0.0.1"],
  ["http://0x7f.1/", "127.0.0.1"],
  ["http://[::1]:8080/", "[::1]"],
  ["http://[2001:DB8::1]/", "[2001:db8::1]"],
  ["http://localhost:5000/a", "localhost"],
  ["localhost", "localhost"],
  ["http://LOCALHOST./", "localhost"],
  ["http://myhost/", "myhost"],
  ["http://foo.internal/", "foo.internal"],
  ["http://a.b.unknowntld/", "a.b.unknowntld"],
  ["http://co.uk/", "co.uk"],
  // garbage
  ["", null],
  ["   ", null],
  ["http://", null],
  ["https:///", null],
  ["::::", null],
  ["http://exa mple.com/", null],
  ["http://./", null],
  ["http://../", null],
  ["example.com:99999", null],
  ["http://[::1/", null],
];

Deno.test("`registeredDomain()` returns the queue-key domain", () => {
  for (const [input, expected] of CASES) {
    assert.equal(registeredDomain(input), expected, JSON.stringify(input));
  }
});

Deno.test("`registeredDomain()` never throws on odd input", () => {
  for (
    const input of [
      "\uD800",
      "http://\uD800.com/",
      "\u0000",
      "http://a\u0000b.com/",
      "%%%",
      "http://%41.com/",
    ]
  ) {
    const result = registeredDomain(input);
    assert.ok(result === null || typeof result === "string", JSON.stringify(input));
  }
});
