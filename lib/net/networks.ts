/**
 * CIDR networks for the allow-list (`ALLOWED_PRIVATE_NETWORKS`): {@linkcode parseCidr} reads
 * `10.0.0.0/8`, `fd00::/8` or a bare address (one host), and refuses a bad entry with one line
 * saying what is wrong; {@linkcode inNetworks} matches an address, an IPv6 form that carries an
 * IPv4 address (`::ffff:127.0.0.1`) being matched by its IPv4 too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inNetworks, parseCidrs } from "./networks.ts";
 *
 * const networks = parseCidrs(["127.0.0.0/8", "fd00::/8"]);
 * assert.ok(inNetworks("127.0.0.1", networks));
 * assert.ok(inNetworks("::ffff:127.0.0.1", networks));
 * assert.ok(!inNetworks("10.0.0.1", networks));
 * assert.throws(() => parseCidrs(["10.0.0.0/33"]), /prefix length must be 0-32/);
 * ```
 *
 * @module
 */

import { embeddedIpv4, formatIp, inPrefix, type Ip, parseIp } from "./addresses.ts";

/** One network: a prefix and its length in bits. */
export interface Cidr {
  readonly prefix: Ip;
  readonly length: number;
  /** The network as written canonically, e.g. `10.0.0.0/8`. */
  readonly text: string;
}

/**
 * Parses one CIDR (`a.b.c.d/n`, `v6::/n`, or a bare address meaning one host).
 *
 * @throws {RangeError} with one line naming the entry: not an address, a bad prefix length, or
 * host bits set (`10.1.2.3/8`: did you mean `10.0.0.0/8`?).
 */
export function parseCidr(text: string): Cidr {
  const entry = text.trim();
  const slash = entry.indexOf("/");
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const prefix = parseIp(addressText);
  if (prefix === null) {
    throw new RangeError(`Cannot use network '${text}': '${addressText}' is not an IP address`);
  }
  const bits = prefix.version === 4 ? 32 : 128;
  let length = bits;
  if (slash >= 0) {
    const lengthText = entry.slice(slash + 1);
    length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length >= 0 && length <= bits)) {
      throw new RangeError(
        `Cannot use network '${text}': prefix length must be 0-${bits}, got '${lengthText}'`,
      );
    }
  }
  const masked = _mask(prefix, length);
  if (!masked.bytes.every((b, i) => b === prefix.bytes[i])) {
    const suggestion = `${formatIp(masked)}/${length}`;
    throw new RangeError(
      `Cannot use network '${text}': host bits are set (did you mean ${suggestion}?)`,
    );
  }
  return { prefix: masked, length, text: `${formatIp(masked)}/${length}` };
}

/** Parses every entry; the first bad one throws (see {@linkcode parseCidr}). */
export function parseCidrs(entries: readonly string[]): Cidr[] {
  return entries.map(parseCidr);
}

/**
 * Whether `address` lies in one of `networks`. An IPv6 address carrying an IPv4 address
 * (mapped, compatible, NAT64, 6to4) also matches the IPv4 networks holding that address.
 */
export function inNetworks(address: string | Ip, networks: readonly Cidr[]): boolean {
  if (networks.length === 0) return false;
  const ip = typeof address === "string" ? parseIp(address) : address;
  if (ip === null) return false;
  const embedded = embeddedIpv4(ip);
  return networks.some((n) =>
    inPrefix(ip, n.prefix, n.length) ||
    (embedded !== null && inPrefix(embedded, n.prefix, n.length))
  );
}

function _mask(ip: Ip, length: number): Ip {
  const bytes = ip.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, length - 8 * i));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return { version: ip.version, bytes };
}
