import assert from "node:assert/strict";
import { inNetworks, parseCidr, parseCidrs } from "./networks.ts";

Deno.test("`parseCidr()` reads IPv4, IPv6 and bare addresses", () => {
  assert.equal(parseCidr("10.0.0.0/8").text, "10.0.0.0/8");
  assert.equal(parseCidr(" fd00::/8 ").text, "fd00::/8");
  assert.equal(parseCidr("127.0.0.1").text, "127.0.0.1/32");
  assert.equal(parseCidr("::1").text, "::1/128");
  assert.equal(parseCidr("0.0.0.0/0").text, "0.0.0.0/0");
});

Deno.test("`parseCidr()` refuses bad entries in one line naming them", () => {
  const cases: [string, RegExp][] = [
    ["10.0.0.0/33", /'10\.0\.0\.0\/33': prefix length must be 0-32, got '33'/],
    ["fd00::/129", /prefix length must be 0-128/],
    ["10.0.0.0/", /prefix length must be 0-32, got ''/],
    ["10.0.0.0/x", /prefix length/],
    ["example.com/8", /'example\.com' is not an IP address/],
    ["10.1.2.3/8", /host bits are set \(did you mean 10\.0\.0\.0\/8\?\)/],
    ["fd00::1/8", /did you mean fd00::\/8\?/],
  ];
  for (const [entry, message] of cases) {
    assert.throws(() => parseCidr(entry), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  }
  assert.throws(() => parseCidrs(["10.0.0.0/8", "nope"]), /'nope'/);
});

Deno.test("`inNetworks()` matches addresses and the IPv4 inside IPv6 forms", () => {
  const networks = parseCidrs(["127.0.0.0/8", "10.1.0.0/16", "fd00::/8"]);
  assert.ok(inNetworks("127.0.0.1", networks));
  assert.ok(inNetworks("10.1.255.1", networks));
  assert.ok(!inNetworks("10.2.0.1", networks));
  assert.ok(inNetworks("fd12::1", networks));
  assert.ok(!inNetworks("fc00::1", networks));
  assert.ok(inNetworks("::ffff:127.0.0.1", networks));
  assert.ok(inNetworks("64:ff9b::a01:1", networks));
  assert.ok(!inNetworks("::1", networks));
  assert.ok(!inNetworks("127.0.0.1", []));
  assert.ok(!inNetworks("not an address", networks));
  assert.ok(inNetworks("172.20.1.1", parseCidrs(["172.20.1.1"])));
  assert.ok(!inNetworks("172.20.1.2", parseCidrs(["172.20.1.1"])));
});
