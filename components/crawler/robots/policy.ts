/**
 * What one robots.txt says, and what a robots.txt response means. Matching is the pinned
 * `robots-parser` (Google's longest-match rule, `*` and `$` patterns, Allow wins ties); this
 * module adds what it leaves to the caller:
 *
 * - the group for a user agent is chosen by product token, as RFC 9309 asks: the request's
 *   `User-Agent` is split into tokens (`Mozilla/5.0 (compatible; MyBot/1.0)` → `mozilla`, `5`,
 *   `0`, `compatible`, `mybot`, `1`, `0`) and the first token that names a group of the file
 *   picks it; none → the `*` group;
 * - a response becomes a verdict ({@linkcode robotsVerdict}): 2xx = the rules, 4xx = allow all
 *   (except 429), 5xx and 429 = try again later, 3xx = follow the redirect;
 * - `Crawl-delay` is read for the chosen group, kept only when it is a positive number, and
 *   capped at {@linkcode MAX_CRAWL_DELAY_SEC}.
 *
 * @example
 * ```ts
 * import { parseRobots } from "./policy.ts";
 *
 * const robots = parseRobots(
 *   "http://example.com/robots.txt",
 *   "User-agent: *\nDisallow: /private\nCrawl-delay: 2\n",
 * );
 * if (robots.allows("http://example.com/private/x", "crawl-cluster/0.1")) throw new Error();
 * if (robots.crawlDelaySec("crawl-cluster/0.1") !== 2) throw new Error();
 * ```
 *
 * @module
 */

import robotsParserModule from "robots-parser";

/** The parser's own interface (its bundled types declare an ambient module Deno cannot use). */
interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
const robotsParser = robotsParserModule as unknown as (url: string, text: string) => ParsedRobots;

/** Bytes of a robots.txt that are read; the rest is ignored (Google reads 500 KiB). */
export const ROBOTS_MAX_BYTES = 500 * 1024;

/** The largest `Crawl-delay` honoured, in seconds (one page a day). */
export const MAX_CRAWL_DELAY_SEC = 86_400;

/** One robots.txt, parsed. */
export interface RobotsPolicy {
  /** Whether `url` (of the file's origin) may be fetched by `userAgent`. */
  allows(url: string, userAgent: string): boolean;
  /** The `Crawl-delay` of the group `userAgent` falls in, in seconds; null when none. */
  crawlDelaySec(userAgent: string): number | null;
}

/** Parses the robots.txt `text` found at `robotsUrl`. */
export function parseRobots(robotsUrl: string, text: string): RobotsPolicy {
  const robots = robotsParser(robotsUrl, text);
  const groups = new Set(groupNames(text));
  const tokens = new Map<string, string>();
  const tokenFor = (userAgent: string) => {
    let token = tokens.get(userAgent);
    if (token === undefined) {
      token = agentToken(groups, userAgent);
      if (tokens.size < 64) tokens.set(userAgent, token);
    }
    return token;
  };
  return {
    allows: (url, userAgent) => robots.isAllowed(url, tokenFor(userAgent)) !== false,
    crawlDelaySec(userAgent) {
      const delay = robots.getCrawlDelay(tokenFor(userAgent));
      if (typeof delay !== "number" || !Number.isFinite(delay) || delay <= 0) return null;
      return Math.min(delay, MAX_CRAWL_DELAY_SEC);
    },
  };
}

/**
 * The user-agent names of a robots.txt's groups, as robots-parser keys them: lower case, cut
 * at the first `/`, trimmed.
 */
export function groupNames(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^[ \t]*user-agent[ \t]*:([^#\r\n]*)/gim)) {
    const name = m[1].toLowerCase().split("/")[0].trim();
    if (name) out.push(name);
  }
  return out;
}

/**
 * The group name to match `userAgent` with: the first product token of the user agent that
 * names one of `groups`, else `*`.
 */
export function agentToken(groups: ReadonlySet<string>, userAgent: string): string {
  for (const token of userAgent.toLowerCase().split(/[^a-z0-9_-]+/)) {
    if (token && groups.has(token)) return token;
  }
  return "*";
}

/** What a robots.txt response means (see the module doc). */
export type RobotsVerdict = "rules" | "allow" | "retry" | "redirect";

/** The verdict for a robots.txt answered with `status`. */
export function robotsVerdict(status: number): RobotsVerdict {
  if (status >= 200 && status < 300) return "rules";
  if (status >= 300 && status < 400) return "redirect";
  if (status === 429 || status >= 500) return "retry";
  return "allow"; // 4xx, and anything else no server should send
}

/** An origin robots.txt applies to: scheme, host and port. */
export interface RobotsOrigin {
  /** `http` or `https`. */
  readonly scheme: string;
  /** Host and port, the port always written (`example.com:443`, `[::1]:8080`). */
  readonly hostPort: string;
  /** `<scheme>://<host>[:<port>]/robots.txt`. */
  readonly robotsUrl: string;
}

/** The origin of `url` (an absolute http(s) URL); null for anything else. */
export function robotsOrigin(url: string): RobotsOrigin | null {
  const u = URL.parse(url);
  if (u === null || (u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname) {
    return null;
  }
  const scheme = u.protocol.slice(0, -1);
  const port = u.port || (scheme === "https" ? "443" : "80");
  return {
    scheme,
    hostPort: `${u.hostname}:${port}`,
    robotsUrl: `${u.protocol}//${u.host}/robots.txt`,
  };
}
