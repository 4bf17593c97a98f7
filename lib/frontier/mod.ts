/**
 * The crawl frontier in Redis. Requests wait in Scrapy Cluster's per-spider, per-domain sorted
 * sets (`<spiderid>:<domain>:queue`); our index of non-empty domains lets crawlers find work
 * without scanning keys; every write ({@linkcode enqueueRequests}: dupefilter, blacklist, expiry,
 * page limits, backlog counters) and every pop ({@linkcode popLeased}: the cluster-wide domain
 * throttle, then a lease per request) is one Lua call per shard; leases make a crawler's death
 * lose nothing ({@linkcode reclaimDeadHolders}); {@linkcode purgeCrawl} stops a crawl;
 * {@linkcode adoptQueues} takes in requests others wrote. On Redis Cluster the frontier is split
 * into shards by domain ({@linkcode FrontierLayout}). Every key name is built in `keys.ts` and
 * `layout.ts`, every script lives in `lua/` and is typed in `scripts.ts`.
 *
 * @module
 */

export * from "./keys.ts";
export * from "./layout.ts";
export * from "./queue.ts";
export * from "./pop.ts";
export * from "./leases.ts";
export * from "./backlog.ts";
export * from "./purge.ts";
export * from "./adopt.ts";
export * from "./families.ts";
export { registerScripts } from "./scripts.ts";
