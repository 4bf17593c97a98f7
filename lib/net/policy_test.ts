import assert from "node:assert/strict";
import {
  HostLookupError,
  literalHostRefusal,
  networkPolicy,
  NetworkRefusedError,
  resolveChecked,
  type Resolver,
  urlRefusal,
} from "./policy.ts";
import { REFUSED_SPELLINGS } from "./testdata/spellings.ts";

const GUARD_ON = networkPolicy({});

Deno.test("`urlRefusal()` refuses every spelling of a refused host, no DNS asked", () => {
  for (const [host, kind] of REFUSED_SPELLINGS) {
    for (const url of [`http://${host}/x`, `https://${host}:8443/`, `${host}/path`]) {
      const refusal = urlRefusal(url, GUARD_ON);
      assert.ok(refusal instanceof NetworkRefusedError, url);
      assert.equal(refusal.kind, kind, url);
      assert.match(refusal.message, /set ALLOW_PRIVATE_ADDRESSES or ALLOWED_PRIVATE_NETWORKS/);
    }
  }
});

Deno.test("`urlRefusal()` lets public addresses and names through (names are judged later)", () => {
  for (
    const url of [
      "http://93.184.216.34/",
      "http://[2606:4700:4700::1111]/",
      "https://example.com/",
      "example.com",
      "http://public-looking.example/",
      "http://localhost.example.com/",
    ]
  ) {
    assert.equal(urlRefusal(url, GUARD_ON), null, url);
  }
  assert.equal(urlRefusal("http://[not an url", GUARD_ON), null);
});

Deno.test("`urlRefusal()` names host, address and kind in its message", () => {
  assert.equal(
    urlRefusal("http://127.1/", GUARD_ON)?.message,
    "host 127.0.0.1 is a loopback address; set ALLOW_PRIVATE_ADDRESSES or " +
      "ALLOWED_PRIVATE_NETWORKS to allow it",
  );
  assert.match(
    urlRefusal("http://[::ffff:127.0.0.1]/", GUARD_ON)!.message,
    /^host \[::ffff:7f00:1\] is a loopback address \(IPv4 127\.0\.0\.1\); set/,
  );
  assert.match(
    urlRefusal("http://localhost:8000/", GUARD_ON)!.message,
    /^host localhost is a loopback name;/,
  );
  assert.match(urlRefusal("http://0.0.0.0/", GUARD_ON)!.message, /is an unspecified address/);
});

Deno.test("`literalHostRefusal()` passes everything with the guard off, allow-listed ranges", () => {
  const off = networkPolicy({ allowPrivate: true });
  for (const [host] of REFUSED_SPELLINGS) {
    assert.equal(urlRefusal(`http://${host}/`, off), null, host);
  }
  const loopbackOpen = networkPolicy({ allowedNetworks: ["127.0.0.0/8"] });
  assert.equal(literalHostRefusal("127.0.0.1", loopbackOpen), null);
  assert.equal(literalHostRefusal("[::ffff:7f00:1]", loopbackOpen), null);
  assert.equal(literalHostRefusal("localhost", loopbackOpen), null);
  assert.equal(literalHostRefusal("[::1]", loopbackOpen)?.kind, "loopback");
  assert.equal(literalHostRefusal("10.0.0.1", loopbackOpen)?.kind, "private");
});

Deno.test("`networkPolicy()` refuses a bad CIDR", () => {
  assert.throws(() => networkPolicy({ allowedNetworks: ["10.0.0.0/40"] }), RangeError);
});

const fakeResolver = (table: Record<string, string[]>): Resolver => (host) => {
  const found = table[host];
  return found
    ? Promise.resolve(found)
    : Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
};

Deno.test("`resolveChecked()` refuses a name when any address it resolves to is refused", async () => {
  const resolver = fakeResolver({
    "public-looking.example": ["127.0.0.1"],
    "mixed.example": ["93.184.216.34", "10.0.0.1"],
    "good.example": ["93.184.216.34", "2606:4700::1"],
    "empty.example": [],
  });
  await assert.rejects(
    resolveChecked("public-looking.example", GUARD_ON, resolver),
    (err: unknown) =>
      err instanceof NetworkRefusedError && err.address === "127.0.0.1" &&
      err.message.startsWith("public-looking.example resolves to 127.0.0.1, a loopback address"),
  );
  await assert.rejects(
    resolveChecked("mixed.example", GUARD_ON, resolver),
    /10\.0\.0\.1, a private/,
  );
  assert.deepEqual(await resolveChecked("good.example", GUARD_ON, resolver), [
    "93.184.216.34",
    "2606:4700::1",
  ]);
  assert.deepEqual(await resolveChecked("[2606:4700::1]", GUARD_ON, resolver), ["2606:4700::1"]);
  await assert.rejects(
    resolveChecked("nowhere.example", GUARD_ON, resolver),
    (err: unknown) => err instanceof HostLookupError && /dns error.*ENOTFOUND/.test(err.message),
  );
  await assert.rejects(resolveChecked("empty.example", GUARD_ON, resolver), HostLookupError);
  // localhost is never asked of the resolver.
  let asked = 0;
  await assert.rejects(
    resolveChecked("localhost", GUARD_ON, () => (asked++, Promise.resolve(["93.184.216.34"]))),
    NetworkRefusedError,
  );
  assert.equal(asked, 0);
  const open = networkPolicy({ allowedNetworks: ["127.0.0.0/8"] });
  assert.deepEqual(await resolveChecked("public-looking.example", open, resolver), ["127.0.0.1"]);
});
