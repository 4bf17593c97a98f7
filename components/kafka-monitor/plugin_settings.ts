/**
 * The settings that decide which requests are accepted: the request plugins in rank order, the
 * `maxdepth` cap and the size limit. The kafka-monitor and REST `/feed` both classify with them (see
 * `lib/api/classify.ts`), so both tables include this one.
 *
 * @module
 */

import { dict, int } from "../../lib/config/mod.ts";

/**
 * `PLUGINS` and `MAXDEPTH_LIMIT`, as Scrapy Cluster's kafka-monitor has them, and
 * `MAX_REQUEST_BYTES`: REST refuses above the same size the kafka-monitor would drop.
 */
export const CLASSIFIER_SETTINGS = {
  PLUGINS: dict<number | null>(
    {
      scraper_handler: 100,
      action_handler: 200,
      stats_handler: 300,
      zookeeper_handler: 400,
      webhook_handler: 500,
    },
    "request handlers → rank (lower ranks validate first; null disables). Built-ins by name " +
      "(scraper_handler, action_handler, stats_handler, zookeeper_handler; Scrapy Cluster's " +
      "'plugins.scraper_handler.ScraperHandler' also works), custom ones by module path",
  ),
  MAXDEPTH_LIMIT: int(3, "highest maxdepth a crawl request may ask for", { min: 0 }),
  MAX_REQUEST_BYTES: int(
    256 * 1024,
    "largest accepted request in bytes; bigger messages are refused (REST: 413), counted as failures",
    { min: 1 },
  ),
};
