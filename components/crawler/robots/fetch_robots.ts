/**
 * Downloading one origin's robots.txt through the crawler's fetcher (so the network guard and
 * the download limits apply), following up to {@linkcode MAX_ROBOTS_REDIRECTS} redirects as
 * Google does, and turning the outcome into a {@linkcode RobotsFetch}.
 *
 * @module
 */

import { FetchError, type FetchOptions, fetchPage } from "../fetch/fetcher.ts";
import { ROBOTS_MAX_BYTES, robotsVerdict } from "./policy.ts";

/** Redirects of a robots.txt that are followed; past them it counts as missing (allow all). */
export const MAX_ROBOTS_REDIRECTS = 5;

/** What fetching a robots.txt gave. */
export type RobotsFetch =
  /** A 2xx: the rules in `text` (cut at `ROBOTS_MAX_BYTES`). */
  | { kind: "rules"; status: number; text: string }
  /** A 4xx, too many redirects, a redirect the guard refused: everything allowed. */
  | { kind: "allow"; status: number | null; reason: string }
  /** A 5xx or 429: ask again later. */
  | { kind: "retry"; status: number; reason: string }
  /**
   * No response: a connection error or timeout (ask again later), or a host name that does not
   * resolve (`dns`: its pages cannot be fetched either; nobody to be polite to).
   */
  | { kind: "unreachable"; reason: string; dns: boolean };

/**
 * Options of {@linkcode fetchRobots}: the fetcher's (the same as for pages, so the same guard
 * applies), with `timeoutMs` one limit for the whole fetch, redirects included; `maxBytes` is
 * at most `ROBOTS_MAX_BYTES`.
 */
export type FetchRobotsOptions = FetchOptions;

/**
 * Fetches `robotsUrl`. Throws the fetcher's `FetchError` when the origin itself is refused by
 * the network guard (its pages would be too), when aborted, or for an invalid URL.
 */
export async function fetchRobots(
  robotsUrl: string,
  opts: FetchRobotsOptions,
): Promise<RobotsFetch> {
  const deadline = performance.now() + opts.timeoutMs;
  let url = robotsUrl;
  for (let hop = 0;; hop++) {
    const timeoutMs = Math.max(1, deadline - performance.now());
    let page;
    try {
      page = await fetchPage(url, {
        ...opts,
        timeoutMs,
        maxBytes: Math.min(opts.maxBytes || ROBOTS_MAX_BYTES, ROBOTS_MAX_BYTES),
        cookie: undefined,
      });
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      if (hop > 0 && (err.kind === "refused" || err.kind === "invalid_url")) {
        return { kind: "allow", status: null, reason: `redirect not followed: ${err.message}` };
      }
      if (err.retryable) {
        return { kind: "unreachable", reason: err.message, dns: err.kind === "dns" };
      }
      throw err;
    }
    const verdict = robotsVerdict(page.status);
    if (verdict === "rules") {
      return { kind: "rules", status: page.status, text: page.text ?? "" };
    }
    if (verdict === "retry") {
      return { kind: "retry", status: page.status, reason: `HTTP ${page.status}` };
    }
    if (verdict === "allow") {
      return { kind: "allow", status: page.status, reason: `HTTP ${page.status}` };
    }
    const location = page.headers["location"]?.[0] ?? null;
    const next = location === null ? null : URL.parse(location, page.responseUrl);
    if (next === null) {
      return { kind: "allow", status: page.status, reason: `HTTP ${page.status} without target` };
    }
    if (hop >= MAX_ROBOTS_REDIRECTS) {
      return { kind: "allow", status: page.status, reason: "too many redirects" };
    }
    url = next.href;
  }
}
