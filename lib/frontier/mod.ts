/**
 * The crawl frontier in Redis. Requests wait in Scrapy Cluster's per-spider, per-domain sorted
 * sets (`<spiderid>:<domain>:queue`); our index of non-empty domains lets crawlers find work
 * without scanning keys; every write ({@linkcode enqueueRequests}: dupefilter, blacklist, expiry,
 * page limits, backlog counters) and every pop ({@linkcode popLeased}: the cluster-wide domain
 * throttle, then a lease per request) is one Lua call; leases make a crawler's death lose
 * nothing ({@linkcode reclaimExpiredLeases}); {@linkcode purgeCrawl} stops a crawl. Every key
 * name is built in `keys.ts`, every script lives in `lua/` and is typed in `scripts.ts`.
 *
 * @module
 */

export * from "./keys.ts";
export * from "./queue.ts";
export * from "./pop.ts";
export * from "./leases.ts";
export * from "./purge.ts";
export { registerScripts } from "./scripts.ts";
