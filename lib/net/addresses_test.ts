import assert from "node:assert/strict";
import { classifyAddress, embeddedIpv4, formatIp, parseIp } from "./addresses.ts";

Deno.test("`classifyAddress()` refuses every special IPv4 range", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
  ];
  for (const [address, kind] of cases) {
    assert.equal(classifyAddress(address).kind, kind, address);
  }
});

Deno.test("`classifyAddress()` lets public IPv4 addresses through, next to the ranges", () => {
  for (
    const address of [
      "93.184.216.34",
      "8.8.8.8",
      "1.1.1.1",
      "172.15.255.255",
      "172.32.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "169.253.255.255",
      "198.17.255.255",
      "198.20.0.0",
      "223.255.255.255",
      "11.0.0.0",
    ]
  ) {
    assert.equal(classifyAddress(address).kind, "public", address);
  }
});

Deno.test("`classifyAddress()` refuses the special IPv6 ranges and judges embedded IPv4", () => {
  const cases: [string, string, string?][] = [
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001::1", "reserved"], // Teredo
    ["2001:2::1", "benchmarking"],
    ["2001:10::1", "reserved"],
    ["100::1", "reserved"],
    ["64:ff9b:1::1", "private"],
    ["fec0::1", "reserved"], // outside 2000::/3
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:7f00:1", "loopback", "127.0.0.1"],
    ["::ffff:a9fe:a9fe", "link-local", "169.254.169.254"],
    ["::ffff:0:10.0.0.1", "private", "10.0.0.1"],
    ["::127.0.0.1", "loopback", "127.0.0.1"],
    ["::10.0.0.1", "private", "10.0.0.1"],
    ["64:ff9b::7f00:1", "loopback", "127.0.0.1"],
    ["64:ff9b::a00:1", "private", "10.0.0.1"],
    ["2002:7f00:1::", "loopback", "127.0.0.1"],
    ["2002:c0a8:101::1", "private", "192.168.1.1"],
  ];
  for (const [address, kind, embedded] of cases) {
    const c = classifyAddress(address);
    assert.equal(c.kind, kind, address);
    assert.equal(c.embedded, embedded, address);
  }
});

Deno.test("`classifyAddress()` lets global IPv6 addresses through, embedded public IPv4 too", () => {
  for (
    const address of [
      "2606:4700:4700::1111",
      "2a00:1450:4001:82a::200e",
      "::ffff:93.184.216.34",
      "64:ff9b::808:808",
      "2002:5db8:d822::1",
    ]
  ) {
    assert.equal(classifyAddress(address).kind, "public", address);
  }
});

Deno.test("`classifyAddress()` throws for text that is no IP address", () => {
  assert.throws(() => classifyAddress("example.com"), TypeError);
});

Deno.test("`parseIp()` reads every IPv6 spelling and refuses what is not an address", () => {
  assert.deepEqual(parseIp("[::1]")?.bytes, new Uint8Array([...new Array(15).fill(0), 1]));
  assert.equal(formatIp(parseIp("fe80::1%eth0")!), "fe80::1");
  assert.equal(formatIp(parseIp("0:0:0:0:0:0:0:1")!), "::1");
  assert.equal(formatIp(parseIp("2001:DB8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIp(parseIp("::ffff:127.0.0.1")!), "::ffff:7f00:1");
  assert.equal(formatIp(parseIp("1:2:3:4:5:6:7::")!), "1:2:3:4:5:6:7:0");
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "0x7f.0.0.1",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "::g",
      "1:2:3:4:5:6:7:8::",
      "localhost",
    ]
  ) {
    assert.equal(parseIp(bad), null, bad);
  }
});

Deno.test("`embeddedIpv4()` leaves :: and ::1 to IPv6", () => {
  assert.equal(embeddedIpv4(parseIp("::")!), null);
  assert.equal(embeddedIpv4(parseIp("::1")!), null);
  assert.equal(embeddedIpv4(parseIp("127.0.0.1")!), null);
  assert.equal(formatIp(embeddedIpv4(parseIp("::2")!)!), "0.0.0.2");
});
