/**
 * The crawler's public IP, for the per-IP throttle style (`SCHEDULER_IP_ENABLED`): fetched from
 * `PUBLIC_IP_URL`, the first match of `IP_ADDR_REGEX`; when the service cannot be reached the
 * last known address (at first `PUBLIC_IP`, "127.0.0.1" by default) is kept, as in Scrapy
 * Cluster ("Could not reach out to get public ip"). The lookup goes through the crawler's
 * network guard like any download: a service on a refused address is unreachable.
 *
 * @module
 */

import { str } from "../../../lib/config/mod.ts";
import type { NetworkGuard } from "../../../lib/net/mod.ts";

/** Where the crawler's public IP comes from (Scrapy Cluster's names). */
export const PUBLIC_IP_SETTINGS = {
  PUBLIC_IP_URL: str(
    "",
    "service answering with the crawler's public IP, e.g. http://ip.42.pl/raw (Scrapy " +
      "Cluster's default); empty: no lookup, PUBLIC_IP is used",
  ),
  IP_ADDR_REGEX: str(
    "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})",
    "regex finding the IP in the service's answer",
  ),
  PUBLIC_IP: str("127.0.0.1", "IP used until (or unless) PUBLIC_IP_URL answers", {
    nonEmpty: true,
  }),
};

/** Options of {@linkcode lookupPublicIp}. */
export interface PublicIpOptions {
  /** The service answering with the caller's address; "" = do not look it up. */
  url: string;
  /** IP_ADDR_REGEX: the first match (group 1 if any, else the whole match) is the address. */
  regex: string;
  /** @default 5000 */
  timeoutMs?: number;
  /** The network guard the lookup goes through (the crawler's). */
  guard: NetworkGuard;
}

/** Looks the address up; null when the service is unreachable or answers no address. */
export async function lookupPublicIp(opts: PublicIpOptions): Promise<string | null> {
  if (!opts.url) return null;
  try {
    const res = await opts.guard.fetch(opts.url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
    });
    const text = (await res.text()).slice(0, 10_000);
    const match = new RegExp(opts.regex).exec(text);
    return match ? (match[1] ?? match[0]) : null;
  } catch {
    return null;
  }
}
