/**
 * The robots.txt settings of the crawler: obey it at all, how long a fetched robots.txt is
 * trusted, and how long a domain waits when its robots.txt answered 5xx or could not be
 * reached.
 *
 * @module
 */

import { bool, int } from "../../../lib/config/mod.ts";

/** The robots.txt settings (Scrapy's `ROBOTSTXT_OBEY`, plus ours). */
export const ROBOTS_SETTINGS = {
  ROBOTSTXT_OBEY: bool(
    true,
    "fetch each origin's robots.txt once (cached in Redis for every crawler) and obey it",
  ),
  ROBOTSTXT_CACHE_SEC: int(86_400, "seconds a fetched robots.txt (or a 4xx: allow all) is kept", {
    min: 1,
  }),
  ROBOTSTXT_RETRY_SEC: int(
    300,
    "seconds a domain waits when its robots.txt answered 5xx/429 or could not be reached",
    { min: 1 },
  ),
};
