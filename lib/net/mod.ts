/**
 * The network guard: every outgoing request of the cluster to a URL it was given goes through
 * {@linkcode NetworkGuard} (`guard.ts`), which connects only to public addresses unless told
 * otherwise, checking the addresses it actually connects to (no time-of-check/time-of-use
 * gap for http and https; what remains is written in `guard.ts`).
 *
 * - `addresses.ts` — what kind of address an IP is (loopback, private, carrier-grade NAT,
 *   link-local, unspecified, multicast, reserved, documentation, unique-local, ...; IPv6 forms
 *   carrying an IPv4 address judged by it), pure;
 * - `networks.ts` — CIDR allow-lists (`ALLOWED_PRIVATE_NETWORKS`);
 * - `policy.ts` — the decision: a policy, a host judged by its spelling (no DNS: what the
 *   kafka-monitor and REST check on seeds), a host judged through a resolver;
 * - `guard.ts`, `client_pool.ts`, `connect_proxy.ts` — the guarded `fetch`;
 * - `settings.ts` — `ALLOW_PRIVATE_ADDRESSES` (default false) and `ALLOWED_PRIVATE_NETWORKS`
 *   (default empty), in {@linkcode NETWORK_GUARD_SETTINGS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkPolicy, urlRefusal } from "./mod.ts";
 *
 * const refusal = urlRefusal("http://[::ffff:127.0.0.1]/", networkPolicy({}));
 * assert.equal(refusal?.kind, "loopback");
 * ```
 *
 * @module
 */

export * from "./addresses.ts";
export * from "./networks.ts";
export * from "./policy.ts";
export * from "./settings.ts";
export * from "./client_pool.ts";
export * from "./connect_proxy.ts";
export * from "./guard.ts";
