/**
 * The download settings of the crawler, read by the fetcher (`fetcher.ts` here) and by the crawler
 * when it builds a fetch: how long one page may take, how much of its body is kept, and the
 * User-Agent of requests that name none.
 *
 * @module
 */

import { float, int, str } from "../../../lib/config/mod.ts";

/** The download settings (Scrapy's names for the timeout and size cap). */
export const FETCH_SETTINGS = {
  DOWNLOAD_TIMEOUT: float(10, "seconds for one page: connect, headers and body", {
    exclusiveMin: 0,
  }),
  DOWNLOAD_MAXSIZE: int(
    10 * 1024 * 1024,
    "bytes of a page body kept; longer bodies are cut and flagged 'truncated'",
    { min: 1 },
  ),
  USER_AGENT: str(
    "crawl-cluster/0.1",
    "User-Agent when a request names none (its 'useragent' field wins)",
  ),
};
