/**
 * Waking on new work: the enqueue script publishes on `crawl_cluster:work:<spiderid>` when a
 * domain joins an index (`lib/frontier/lua/enqueue.lua`), and an idle crawler subscribed to it
 * pops at once instead of after its next `IDLE_POLL_MS` sleep — the feed-to-first-result latency
 * of an idle cluster. The same connection hears which cookie jars other crawlers stored into
 * (`recent_keys.ts`). The subscription is best effort on a connection of its own: while it is
 * down the crawler simply polls, as it always did; ioredis subscribes again after a reconnect.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { sleep } from "../../../lib/async/mod.ts";
import { cookieChannel, workChannel } from "../../../lib/frontier/mod.ts";
import { isRedisCluster, type RedisClient } from "../../../lib/services/redis.ts";

/** What the announcements of a spider type wake. */
export interface Announcements {
  /** New work of the spider type was enqueued. */
  onWork: () => void;
  /** A crawler stored a cookie in the jar `key` (`cookie_store.ts`). */
  onCookie?: (key: string) => void;
}

/**
 * Calls `onWork` whenever new work of `spiderid` is announced, and `onCookie` for every cookie
 * jar another crawler stored into, until `signal` aborts.
 */
export async function subscribeToWork(
  redis: RedisClient,
  spiderid: string,
  on: Announcements,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const subscriber: RedisClient = isRedisCluster(redis) ? redis.duplicate() : redis.duplicate();
  const cookies = cookieChannel(spiderid);
  subscriber.on("error", () => {}); // the main connection reports outages
  subscriber.on("message", (channel: string, message: string) => {
    if (channel === cookies) on.onCookie?.(message);
    else on.onWork();
  });
  signal.addEventListener("abort", () => subscriber.disconnect(), { once: true });
  while (!signal.aborted) {
    try {
      if (subscriber.status === "wait") await subscriber.connect(); // a lazy duplicate
      await subscriber.subscribe(workChannel(spiderid), cookies);
      return;
    } catch (err) {
      // Not connected yet (no offline queue), or Redis away: poll meanwhile, try again.
      log.debug("Cannot subscribe to new-work announcements yet: {error}", { error: err });
      await sleep(1_000, signal);
    }
  }
}
