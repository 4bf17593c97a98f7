/**
 * Step 0½: robots.txt (`ROBOTSTXT_OBEY`, on by default), before anything is fetched.
 *
 * - The origin's robots.txt is known (shared cache): a disallowed request throws
 *   `RefusedError("robots")` (logged, counted, acknowledged, never fetched); a `Crawl-delay`
 *   becomes a floor on the domain's throttle, and a request popped before this crawler knew the
 *   floor is handed back to wait for a pop under it; an origin whose robots.txt answered 5xx or
 *   could not be reached keeps its domain waiting until the entry expires.
 * - It is not known: this request's throttle hit pays for fetching it (one crawler process at a
 *   time per origin, under a lock; the others hand their request back and the domain waits a
 *   moment). The file is stored for every crawler, and the request goes back to its queue at its
 *   old place, to be crawled on a hit of its own: one fetch per throttle hit. The robots.txt
 *   fetch is not a page of the crawl: no item, no status count, no page limit spent.
 *
 * A handed-back request is neither acknowledged nor counted: it is simply pending again.
 *
 * @module
 */

import { type Lease, returnLeases } from "../../../../lib/frontier/mod.ts";
import { ensureScheme } from "../../../../lib/web/mod.ts";
import type { CrawlContext } from "../context.ts";
import { RefusedError } from "../errors.ts";
import type { QueuedRequest } from "../../spider.ts";
import { type KnownRobots, originId, RobotsCache } from "../../robots/cache.ts";
import { fetchRobots } from "../../robots/fetch_robots.ts";
import { type RobotsOrigin, robotsOrigin } from "../../robots/policy.ts";

/** How long a domain waits while another crawler fetches its robots.txt, in ms. */
export const ROBOTS_LOCK_WAIT_MS = 1000;

const caches = new WeakMap<CrawlContext, RobotsCache>();
/** Fetches in flight in this process, per origin: later requests wait for the first. */
const inFlight = new WeakMap<CrawlContext, Map<string, Promise<KnownRobots | null>>>();

/**
 * Checks `req` against its origin's robots.txt. Resolves true when it may be fetched now,
 * false when it was handed back to its queue (not to be touched any more); throws
 * `RefusedError("robots")` when robots.txt disallows it.
 *
 * Call it right after the lease is started: its synchronous part notes which throttle spec
 * the lease was popped with (see `CrawlerThrottle.popGeneration`).
 */
export async function robotsStep(
  ctx: CrawlContext,
  lease: Lease,
  req: QueuedRequest,
): Promise<boolean> {
  const s = ctx.settings;
  if (!s.ROBOTSTXT_OBEY) return true;
  const popGeneration = ctx.throttle.popGeneration;
  const url = ensureScheme(req.url);
  const origin = robotsOrigin(url);
  if (origin === null) return true; // not http(s): the fetch step fails it
  const cache = cacheOf(ctx);
  let known = await cache.get(origin);
  if (known === null) {
    const fetched = await fetchOnce(ctx, cache, origin);
    if (fetched === null) {
      await handBack(ctx, lease, ROBOTS_LOCK_WAIT_MS);
      return false;
    }
    if (fetched.paid) {
      // This request's throttle hit went to robots.txt; it waits for a hit of its own.
      applyCrawlDelay(ctx, lease.domain, origin, fetched.known);
      await handBack(ctx, lease, retryWaitMs(fetched.known));
      return false;
    }
    known = fetched.known;
  }
  if (known.entry.kind === "retry") {
    await handBack(ctx, lease, retryWaitMs(known));
    return false;
  }
  applyCrawlDelay(ctx, lease.domain, origin, known);
  if (!ctx.throttle.hasFloor(lease.domain, popGeneration)) {
    // Popped before this crawler knew the domain's Crawl-delay: pop it again under it.
    await handBack(ctx, lease, 0);
    return false;
  }
  const agent = req.useragent ?? s.USER_AGENT;
  if (known.policy !== null && !known.policy.allows(url, agent)) {
    throw new RefusedError("robots", `${url} disallowed by robots.txt for ${agent}`);
  }
  return true;
}

function cacheOf(ctx: CrawlContext): RobotsCache {
  let cache = caches.get(ctx);
  if (cache === undefined) caches.set(ctx, cache = new RobotsCache(ctx.redis));
  return cache;
}

/** The origin's Crawl-delay (for `USER_AGENT`) as the floor of its domain's throttle. */
function applyCrawlDelay(
  ctx: CrawlContext,
  domain: string,
  origin: RobotsOrigin,
  known: KnownRobots,
): void {
  const delay = known.policy?.crawlDelaySec(ctx.settings.USER_AGENT) ?? null;
  ctx.throttle.setCrawlDelay(domain, originId(origin), delay);
}

/** How long the domain waits: until a `retry` entry expires (at least 100 ms), else 0. */
function retryWaitMs(known: KnownRobots): number {
  return known.entry.kind === "retry" ? Math.max(100, known.expiresAt - Date.now()) : 0;
}

/**
 * Fetches and stores the robots.txt of `origin` unless another crawler process is at it (null).
 * `paid` says whether this call did the fetch (another request of this process may have).
 */
async function fetchOnce(
  ctx: CrawlContext,
  cache: RobotsCache,
  origin: RobotsOrigin,
): Promise<{ known: KnownRobots; paid: boolean } | null> {
  const id = originId(origin);
  let running = inFlight.get(ctx);
  if (running === undefined) inFlight.set(ctx, running = new Map());
  const pending = running.get(id);
  if (pending !== undefined) {
    const known = await pending;
    // Popped before the file was known: handed back like the request that paid for it.
    return known === null ? null : { known, paid: true };
  }
  const fetch = fetchAndStore(ctx, cache, origin);
  running.set(id, fetch);
  try {
    const known = await fetch;
    return known === null ? null : { known, paid: true };
  } finally {
    running.delete(id);
  }
}

async function fetchAndStore(
  ctx: CrawlContext,
  cache: RobotsCache,
  origin: RobotsOrigin,
): Promise<KnownRobots | null> {
  const s = ctx.settings;
  if (!(await cache.lock(origin, s.DOWNLOAD_TIMEOUT * 1000 + 5000))) return null;
  // Held from here: released below (or, if this process dies, expiring on its own).
  try {
    // Another crawler may have stored it between our look and our lock.
    const stored = await cache.get(origin);
    if (stored !== null) return stored;
    // The fetcher's options as for a page (same guard), without a crawl's cookie.
    const got = await fetchRobots(origin.robotsUrl, {
      timeoutMs: s.DOWNLOAD_TIMEOUT * 1000,
      maxBytes: s.DOWNLOAD_MAXSIZE,
      userAgent: s.USER_AGENT,
      signal: ctx.fetchAbort.signal,
      guard: ctx.guard,
    });
    const log = { origin: originId(origin), url: origin.robotsUrl };
    switch (got.kind) {
      case "rules":
        ctx.log.info("robots.txt of {origin}: {chars} characters of rules", {
          ...log,
          chars: got.text.length,
        });
        return await cache.store(origin, got, s.ROBOTSTXT_CACHE_SEC);
      case "allow":
        ctx.log.info("robots.txt of {origin}: none ({reason}), everything allowed", {
          ...log,
          reason: got.reason,
        });
        return await cache.store(origin, got, s.ROBOTSTXT_CACHE_SEC);
      case "retry":
        ctx.log.warn("robots.txt of {origin}: {reason}; its domain waits {sec} s", {
          ...log,
          reason: got.reason,
          sec: s.ROBOTSTXT_RETRY_SEC,
        });
        return await cache.store(origin, got, s.ROBOTSTXT_RETRY_SEC);
      case "unreachable": {
        // A host that stays unreachable is let through after RETRY_TIMES tries, for one retry
        // period: its pages then fail (and are given up) on their own instead of waiting forever.
        // A name that does not resolve is let through at once: there is no server to spare,
        // and its pages fail the same way.
        const failures = got.dns ? 0 : await cache.countFailure(origin, s.ROBOTSTXT_CACHE_SEC);
        const giveUp = got.dns || failures > s.RETRY_TIMES;
        ctx.log.warn(
          giveUp
            ? "robots.txt of {origin} unreachable ({reason}, {failures} in a row): pages let through"
            : "robots.txt of {origin} unreachable ({reason}); its domain waits {sec} s",
          { ...log, reason: got.reason, failures, sec: s.ROBOTSTXT_RETRY_SEC },
        );
        return await cache.store(origin, {
          kind: giveUp ? "allow" : "retry",
          status: null,
          reason: `unreachable: ${got.reason}`,
        }, s.ROBOTSTXT_RETRY_SEC);
      }
    }
  } finally {
    await cache.unlock(origin);
  }
}

/**
 * Puts the request back in its queue at its old place (its lease removed, not acknowledged);
 * with `delayMs`, its domain waits that long before any crawler pops from it again (the queue
 * index is scored by the earliest pop time, on the Redis clock).
 */
async function handBack(ctx: CrawlContext, lease: Lease, delayMs: number): Promise<void> {
  await returnLeases(ctx.redis, ctx.layout, ctx.spiderid, [lease]);
  if (delayMs <= 0) return;
  const [sec, micros] = await ctx.redis.time();
  const at = Number(sec) * 1000 + Math.floor(Number(micros) / 1000) + Math.ceil(delayMs);
  await ctx.redis.zadd(ctx.layout.of(lease.domain).index(ctx.spiderid), "XX", at, lease.domain);
}
