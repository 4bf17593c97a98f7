/**
 * What kind of address an IP is (pure; no DNS): {@linkcode parseIp} reads IPv4 dotted quads
 * and every IPv6 spelling, {@linkcode classifyAddress} says whether the address is public or
 * which special range refuses it.
 *
 * Refused IPv4: `0.0.0.0/8` (unspecified / this network), `10/8`, `172.16/12`, `192.168/16`
 * (private), `100.64/10` (carrier-grade NAT), `127/8` (loopback), `169.254/16` (link-local,
 * cloud metadata at 169.254.169.254 included), `192.0.0/24`, `192.88.99/24` (deprecated 6to4
 * relays), `198.18/15` (benchmarking), `240/4` (reserved), `192.0.2/24`, `198.51.100/24`,
 * `203.0.113/24` (documentation), `224/4` (multicast), `255.255.255.255` (broadcast).
 *
 * Refused IPv6: `::` (unspecified), `::1` (loopback), `fc00::/7` (unique-local), `fe80::/10`
 * (link-local), `ff00::/8` (multicast), `2001:db8::/32` and `3fff::/20` (documentation),
 * `2001:2::/48` (benchmarking), `2001:10::/28` and `2001:20::/28` (ORCHID), `2001::/32`
 * (Teredo: the tunnelled IPv4 client is obfuscated and the relay is not ours to trust, so the
 * whole range is refused), `64:ff9b:1::/48` (local-use NAT64, private), `100::/64`
 * (discard-only), and every address outside the global unicast range `2000::/3` (IANA has not
 * allocated it: reserved).
 *
 * IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
 * `::ffff:0:0/96`, IPv4-translated `::ffff:0:0:0/96`, IPv4-compatible `::/96`, NAT64
 * `64:ff9b::/96`, and 6to4 `2002::/16` (the IPv4 in bits 16–48), so `[::ffff:127.0.0.1]`,
 * `[::ffff:7f00:1]`, `[::127.0.0.1]`, `[64:ff9b::a00:1]` and `[2002:7f00:1::]` are all loopback
 * or private.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyAddress } from "./addresses.ts";
 *
 * assert.equal(classifyAddress("93.184.216.34").kind, "public");
 * assert.equal(classifyAddress("169.254.169.254").kind, "link-local");
 * const mapped = classifyAddress("::ffff:7f00:1");
 * assert.equal(mapped.kind, "loopback");
 * assert.equal(mapped.embedded, "127.0.0.1");
 * ```
 *
 * @module
 */

/** A parsed IP address: 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
export interface Ip {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Why an address is refused, or `public`. Each reads well after "a"/"an" in a message. */
export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "unique-local";

/** What {@linkcode classifyAddress} says about an address. */
export interface AddressClass {
  readonly kind: AddressKind;
  /** For IPv6 forms carrying an IPv4 address: that address (it decided `kind`). */
  readonly embedded?: string;
}

/** Parses an IPv4 dotted quad or an IPv6 address (brackets and a `%zone` allowed); else null. */
export function parseIp(text: string): Ip | null {
  let t = text.trim();
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const zone = t.indexOf("%");
  if (zone >= 0) t = t.slice(0, zone);
  if (t.includes(":")) {
    const bytes = _parseIpv6(t);
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = _parseIpv4(t);
  return bytes ? { version: 4, bytes } : null;
}

/** The canonical text of `ip`: a dotted quad, or RFC 5952 IPv6 (lowercase, longest `::`). */
export function formatIp(ip: Ip): string {
  if (ip.version === 4) return ip.bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i] << 8) | ip.bytes[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}

/**
 * Classifies an IP address given as text (see the module doc for the ranges).
 *
 * @throws {TypeError} when `address` is not an IP address.
 */
export function classifyAddress(address: string | Ip): AddressClass {
  const ip = typeof address === "string" ? parseIp(address) : address;
  if (ip === null) {
    throw new TypeError(`Cannot classify address: '${address}' is not an IP address`);
  }
  if (ip.version === 4) return { kind: _classifyIpv4(ip.bytes) };
  const embedded = embeddedIpv4(ip);
  if (embedded) {
    return { kind: _classifyIpv4(embedded.bytes), embedded: formatIp(embedded) };
  }
  return { kind: _classifyIpv6(ip.bytes) };
}

/**
 * The IPv4 address an IPv6 address carries, for the forms judged by it (mapped, translated,
 * compatible, NAT64 well-known prefix, 6to4); null for other addresses (and for `::`, `::1`).
 */
export function embeddedIpv4(ip: Ip): Ip | null {
  if (ip.version !== 6) return null;
  const b = ip.bytes;
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const tail = (at: number): Ip => ({ version: 4, bytes: b.slice(at, at + 4) });
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated, RFC 2765).
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return tail(12);
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return tail(12);
  // ::a.b.c.d (compatible, deprecated); :: and ::1 are IPv6's own.
  if (zeros(0, 12) && !(zeros(12, 15) && b[15] <= 1)) return tail(12);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052).
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) {
    return tail(12);
  }
  // 2002:AABB:CCDD::/48 (6to4).
  if (b[0] === 0x20 && b[1] === 0x02) return tail(2);
  return null;
}

/** Whether `ip` lies in `prefix`/`length` (same version; length in bits). */
export function inPrefix(ip: Ip, prefix: Ip, length: number): boolean {
  if (ip.version !== prefix.version) return false;
  const full = length >> 3;
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== prefix.bytes[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[full] & mask) === (prefix.bytes[full] & mask);
}

// IPv4 ranges, most specific first where they overlap (255.255.255.255 is inside 240/4).
const _V4: readonly [string, number, AddressKind][] = [
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const _V6: readonly [string, number, AddressKind][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "private"],
  ["100::", 64, "reserved"],
  ["2001::", 32, "reserved"],
  ["2001:2::", 48, "benchmarking"],
  ["2001:10::", 28, "reserved"],
  ["2001:20::", 28, "reserved"],
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
];

const _compile = (table: readonly [string, number, AddressKind][]) =>
  table.map(([text, length, kind]) => ({ prefix: parseIp(text)!, length, kind }));
const _V4_RANGES = _compile(_V4);
const _V6_RANGES = _compile(_V6);
const _GLOBAL_UNICAST = { prefix: parseIp("2000::")!, length: 3 };

function _classifyIpv4(bytes: Uint8Array): AddressKind {
  const ip: Ip = { version: 4, bytes };
  return _V4_RANGES.find((r) => inPrefix(ip, r.prefix, r.length))?.kind ?? "public";
}

function _classifyIpv6(bytes: Uint8Array): AddressKind {
  const ip: Ip = { version: 6, bytes };
  const hit = _V6_RANGES.find((r) => inPrefix(ip, r.prefix, r.length));
  if (hit) return hit.kind;
  return inPrefix(ip, _GLOBAL_UNICAST.prefix, _GLOBAL_UNICAST.length) ? "public" : "reserved";
}

function _parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Strict decimal: the WHATWG URL parser has already turned 127.1, 0x7f000001, ... into this.
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function _parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (i === pieces.length - 1 && p.includes(".")) {
        const v4 = _parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
