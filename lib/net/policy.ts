/**
 * The guard's decision, without any connection: a {@linkcode NetworkPolicy} (guard on or off,
 * the allow-listed networks), the judgement of one address ({@linkcode judgeAddress}), of a host
 * spelled as an address or `localhost` ({@linkcode literalHostRefusal}, no DNS: what the
 * kafka-monitor and REST check on a seed), and of a host name through a {@linkcode Resolver}
 * ({@linkcode resolveChecked}: every address the name resolves to must pass).
 *
 * Hosts are taken as the WHATWG URL parser leaves them (`new URL(...).hostname`), which turns
 * `127.1`, `0x7f000001`, `2130706433` and `017700000001` into `127.0.0.1` and
 * `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`; a URL string given here is parsed that way first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkPolicy, urlRefusal } from "./policy.ts";
 *
 * const policy = networkPolicy({});
 * assert.match(urlRefusal("http://0x7f000001/", policy)!.message, /127\.0\.0\.1 is a loopback/);
 * assert.equal(urlRefusal("http://example.com/", policy), null);
 * assert.equal(urlRefusal("http://127.1/", networkPolicy({ allowPrivate: true })), null);
 * ```
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { type AddressKind, classifyAddress, parseIp } from "./addresses.ts";
import { type Cidr, inNetworks, parseCidrs } from "./networks.ts";

/** What the guard lets through. */
export interface NetworkPolicy {
  /** ALLOW_PRIVATE_ADDRESSES: every address passes (the guard is off). */
  readonly allowPrivate: boolean;
  /** ALLOWED_PRIVATE_NETWORKS: refused ranges opened all the same. */
  readonly allowedNetworks: readonly Cidr[];
}

/** Options of {@linkcode networkPolicy}. */
export interface NetworkPolicyOptions {
  /**
   * Let every address through (turns the guard off).
   * @default {false}
   */
  allowPrivate?: boolean;
  /**
   * CIDRs (`127.0.0.0/8`, `fd00::/8`, a bare address) opened although refused by default.
   * @default {[]}
   */
  allowedNetworks?: readonly string[];
}

/**
 * Builds a policy; safe by default (guard on, nothing allow-listed).
 *
 * @throws {RangeError} for a bad CIDR, in one line naming it.
 */
export function networkPolicy(opts: NetworkPolicyOptions): NetworkPolicy {
  return {
    allowPrivate: opts.allowPrivate ?? false,
    allowedNetworks: parseCidrs(opts.allowedNetworks ?? []),
  };
}

/** The hint every refusal ends with. */
export const REFUSAL_HINT = "set ALLOW_PRIVATE_ADDRESSES or ALLOWED_PRIVATE_NETWORKS to allow it";

/**
 * A request the guard refuses: `message` says which host, which address and what kind, e.g.
 * `public-looking.example resolves to 127.0.0.1, a loopback address; set ...`.
 */
export class NetworkRefusedError extends Error {
  /** The host as in the URL (IPv6 in brackets). */
  readonly host: string;
  /** The refused address (the host itself for `localhost`). */
  readonly address: string;
  /** Which range refused it. */
  readonly kind: Exclude<AddressKind, "public">;

  constructor(
    host: string,
    address: string,
    kind: Exclude<AddressKind, "public">,
    embedded?: string,
  ) {
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    const inner = embedded ? ` (IPv4 ${embedded})` : "";
    const subject = parseIp(bare) !== null
      ? `host ${host} is ${_addr(kind)}`
      : address === host
      ? `host ${host} is ${_article(kind)} ${kind} name`
      : `${host} resolves to ${address}, ${_addr(kind)}`;
    super(`${subject}${inner}; ${REFUSAL_HINT}`);
    this.name = "NetworkRefusedError";
    this.host = host;
    this.address = address;
    this.kind = kind;
  }
}

/** A host name that could not be resolved (the message says "dns error", as fetch's do). */
export class HostLookupError extends Error {
  readonly host: string;
  constructor(host: string, options?: ErrorOptions) {
    const code = (options?.cause as { code?: string } | undefined)?.code;
    super(`dns error: failed to lookup address of ${host}${code ? ` (${code})` : ""}`, options);
    this.name = "HostLookupError";
    this.host = host;
  }
}

/**
 * Resolves a host name to its addresses (IPv4 and IPv6, as text). The default,
 * {@linkcode systemResolver}, asks the system resolver as `fetch` does.
 */
export type Resolver = (host: string, signal?: AbortSignal) => Promise<string[]>;

/** `node:dns` `lookup(host, { all: true })`: the system resolver (hosts file, then DNS). */
export const systemResolver: Resolver = async (host, signal) => {
  signal?.throwIfAborted();
  const answer = lookup(host, { all: true, verbatim: true });
  if (!signal) return (await answer).map((a) => a.address);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return (await Promise.race([answer, aborted])).map((a) => a.address);
  } finally {
    signal.removeEventListener("abort", onAbort);
    answer.catch(() => {});
  }
};

/** The refusal of one resolved address of `host`, or null when `policy` lets it through. */
export function judgeAddress(
  host: string,
  address: string,
  policy: NetworkPolicy,
): NetworkRefusedError | null {
  if (policy.allowPrivate) return null;
  const ip = parseIp(address);
  if (ip === null) return new NetworkRefusedError(host, address, "reserved");
  const { kind, embedded } = classifyAddress(ip);
  if (kind === "public" || inNetworks(ip, policy.allowedNetworks)) return null;
  return new NetworkRefusedError(host, address, kind, embedded);
}

/**
 * The refusal of a host judged by its spelling alone (no DNS): an IP literal, or `localhost` /
 * `*.localhost` (RFC 6761: always loopback, never asked of DNS). Null for any other name (it
 * is judged when fetched) and when `policy` lets it through.
 */
export function literalHostRefusal(
  host: string,
  policy: NetworkPolicy,
): NetworkRefusedError | null {
  if (policy.allowPrivate) return null;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (parseIp(bare) !== null) return judgeAddress(host, bare, policy);
  if (isLocalhostName(host)) {
    // localhost is loopback whatever the hosts file says; an allow-list opens it via 127/8 or ::1.
    const v4 = judgeAddress(host, "127.0.0.1", policy), v6 = judgeAddress(host, "::1", policy);
    return v4 && v6 ? new NetworkRefusedError(host, host, "loopback") : null;
  }
  return null;
}

/** Whether `host` is `localhost` or a name under it (a trailing dot allowed). */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * The refusal of a URL by its host's spelling (see {@linkcode literalHostRefusal}); a URL
 * without a scheme is read as `http://`. Null when it passes, or when it is no URL at all
 * (other checks say so).
 */
export function urlRefusal(url: string | URL, policy: NetworkPolicy): NetworkRefusedError | null {
  if (policy.allowPrivate) return null;
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(_withScheme(url)) : url;
  } catch {
    return null;
  }
  return parsed.hostname ? literalHostRefusal(parsed.hostname, policy) : null;
}

/**
 * Resolves `host` (a URL's hostname) and checks every address; returns them, in the resolver's
 * order, when all pass.
 *
 * @throws {NetworkRefusedError} for a refused spelling or any refused address.
 * @throws {HostLookupError} when the name does not resolve.
 */
export async function resolveChecked(
  host: string,
  policy: NetworkPolicy,
  resolver: Resolver,
  signal?: AbortSignal,
): Promise<string[]> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (parseIp(bare) !== null) {
    const refusal = judgeAddress(host, bare, policy);
    if (refusal) throw refusal;
    return [bare];
  }
  const literal = literalHostRefusal(host, policy);
  if (literal) throw literal;
  let addresses: string[];
  try {
    addresses = await resolver(host.replace(/\.$/, ""), signal);
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new HostLookupError(host, { cause });
  }
  if (addresses.length === 0) throw new HostLookupError(host);
  for (const address of addresses) {
    const refusal = judgeAddress(host, address, policy);
    if (refusal) throw refusal;
  }
  return addresses;
}

function _withScheme(url: string): string {
  const t = url.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return t;
  return t.startsWith("//") ? `http:${t}` : `http://${t}`;
}

function _article(kind: string): string {
  return kind === "unspecified" ? "an" : "a";
}

function _addr(kind: string): string {
  return `${_article(kind)} ${kind} address`;
}
