/**
 * The frontier's Redis key names, in Scrapy Cluster's formats (so existing dashboards and
 * scripts keep working), plus our additions, which never collide with them:
 *
 * | key | type | added by us |
 * |---|---|---|
 * | `<spiderid>:<domain>:queue` | sorted set of JSON requests | |
 * | `<spiderid>:queue_index` | sorted set: domains with pending requests → earliest pop time (ms) | yes |
 * | `<spiderid>:queue_seq` | counter giving FIFO order among equal priorities | yes |
 * | `<spiderid>:leases` | sorted set: requests being crawled → lease deadline (ms) | yes |
 * | `<spiderid>:lease_holders` | hash: crawler id → its heartbeat key (leases go back when it is gone) | yes |
 * | `<spiderid>:pop_seq` | counter: a unique number per pop (lease tokens, throttle hits) | yes |
 * | `<spiderid>:<domain>:backlog` | hash: `<appid>\t<crawlid>\t<priority>` → pending in that queue | yes |
 * | `backlog:<spiderid>:<appid>:refused` | hash: `<crawlid>\t<reason>` → requests refused | yes |
 * | `<spiderid>:dupefilter:<crawlid>` | set of request fingerprints | |
 * | `<spiderid>:cookies:<crawlid>:<domain>:jar` | hash: cookies sites set, `<domain>\t<path>\t<name>` → JSON | yes |
 * | `<spiderid>:blacklist` | set of `<appid>\|\|<crawlid>` | |
 * | `timeout:<spiderid>:<appid>:<crawlid>` | expiry epoch seconds | |
 * | `[<spiderid>:][<ip>:]<domain>:throttle_window` / `:throttle_time` | throttle state | |
 * | `robots:<scheme>:<host:port>` | JSON: one origin's robots.txt verdict (TTL) | yes |
 * | `robots:lock:<scheme>:<host:port>` | who fetches that robots.txt now (PX) | yes |
 * | `robots:failures:<scheme>:<host:port>` | consecutive unreachable robots.txt fetches | yes |
 *
 * The other packages name their own keys: job keys in `lib/api/job_keys.ts`, statistics in
 * `lib/stats/keys.ts`, REST polls in `components/rest/polls.ts`. Ids never contain `:` or `*`
 * (the request schemas reject them), so every key parses back.
 *
 * @module
 */

/**
 * The pub/sub channel on which the enqueue script announces new work of a spider type (a domain
 * joined an index): idle crawlers of that type wake at once instead of at their next poll.
 */
export function workChannel(spiderid: string): string {
  return `crawl_cluster:work:${spiderid}`;
}

/**
 * The pub/sub channel on which a crawler announces a cookie it stored (the message is the jar's
 * key): other crawlers of the spider type that remember that jar as empty read it again.
 */
export function cookieChannel(spiderid: string): string {
  return `crawl_cluster:cookies:${spiderid}`;
}

/** Pending requests of one spider type and registered domain. */
export function queueKey(spiderid: string, domain: string): string {
  return `${spiderid}:${domain}:queue`;
}

/** Splits a queue key back into spider id and domain; null when it is not a queue key. */
export function parseQueueKey(key: string): { spiderid: string; domain: string } | null {
  const first = key.indexOf(":");
  if (first <= 0 || !key.endsWith(":queue")) return null;
  const domain = key.slice(first + 1, -":queue".length);
  return domain ? { spiderid: key.slice(0, first), domain } : null;
}

/** The per-spider index of domains that have pending requests (no key-space scans). */
export function queueIndexKey(spiderid: string): string {
  return `${spiderid}:queue_index`;
}

/** The per-spider counter that orders requests of equal priority first in, first out. */
export function queueSeqKey(spiderid: string): string {
  return `${spiderid}:queue_seq`;
}

/** Requests taken by crawlers and not yet acknowledged, scored by their lease deadline. */
export function leasesKey(spiderid: string): string {
  return `${spiderid}:leases`;
}

/** The crawlers holding leases of a spider type → their heartbeat keys (see `leases.ts`). */
export function leaseHoldersKey(spiderid: string): string {
  return `${spiderid}:lease_holders`;
}

/** The per-spider counter numbering pops (unique lease tokens and throttle hit members). */
export function popSeqKey(spiderid: string): string {
  return `${spiderid}:pop_seq`;
}

/**
 * The pending requests of one queue per `<appid>\t<crawlid>\t<priority>` (kept by the frontier
 * scripts beside the queue, in the same shard), so info answers never decode queues. It ends in
 * `:backlog` so it can never look like a `*:*:queue` key.
 */
export function queueBacklogKey(spiderid: string, domain: string): string {
  return `${spiderid}:${domain}:backlog`;
}

/**
 * Requests of an application the crawlers refused to fetch, per `<crawlid>\t<reason>`
 * (`network`: the network guard; `robots`: robots.txt), for the crawl's info answer.
 */
export function refusedKey(spiderid: string, appid: string): string {
  return `backlog:${spiderid}:${appid}:refused`;
}

/** The field of {@linkcode refusedKey} for one crawl and reason. */
export function refusedField(crawlid: string, reason: string): string {
  return `${crawlid}\t${reason}`;
}

/**
 * How the fields of {@linkcode queueBacklogKey} (`<appid>\t<crawlid>\t<priority>`, written by the
 * scripts) of an application, or of one of its crawls, begin.
 */
export function backlogFieldPrefix(appid: string, crawlid?: string): string {
  return crawlid === undefined ? `${appid}\t` : `${appid}\t${crawlid}\t`;
}

/** Fingerprints of the requests a crawl has already seen. */
export function dupefilterKey(spiderid: string, crawlid: string): string {
  return `${spiderid}:dupefilter:${crawlid}`;
}

/**
 * The cookies sites set for one crawl, per registered domain (the domain of the responses
 * that set them), kept as long as the crawl's dupefilter. It ends in `:jar` so it can never
 * look like a `*:*:queue` key, whatever the domain.
 */
export function cookieJarKey(spiderid: string, crawlid: string, domain: string): string {
  return `${spiderid}:cookies:${crawlid}:${domain}:jar`;
}

/** Crawls that were stopped or expired, as `<appid>||<crawlid>` members. */
export function blacklistKey(spiderid: string): string {
  return `${spiderid}:blacklist`;
}

/** The member of {@linkcode blacklistKey} for one crawl. */
export function blacklistMember(appid: string, crawlid: string): string {
  return `${appid}||${crawlid}`;
}

/** When a crawl expires (epoch seconds). */
export function timeoutKey(spiderid: string, appid: string, crawlid: string): string {
  return `timeout:${spiderid}:${appid}:${crawlid}`;
}

/** Pages crawled per domain and crawl, for `domain_max_pages`. */
export function domainMaxPageKey(spiderid: string, domain: string, crawlid: string): string {
  return `${spiderid}:domain_max_page_filter:${domain}:${crawlid}`;
}

/** Pages crawled per domain and crawl, for `GLOBAL_PAGE_PER_DOMAIN_LIMIT`. */
export function globalPageCountKey(spiderid: string, domain: string, crawlid: string): string {
  return `${spiderid}:global_page_count_filter:${domain}:${crawlid}`;
}

/** The throttle key prefix for a domain, per throttle style (`[spider:][ip:]domain`). */
export function throttleKey(domain: string, opts: { spiderid?: string; ip?: string } = {}): string {
  return [opts.spiderid, opts.ip, domain].filter((part) => part).join(":");
}

/** Hits of the current throttle window. */
export function throttleWindowKey(throttle: string): string {
  return `${throttle}:throttle_window`;
}

/** Time of the last moderated hit. */
export function throttleTimeKey(throttle: string): string {
  return `${throttle}:throttle_time`;
}

/**
 * The cached robots.txt of one origin (robots.txt applies per scheme, host and port), shared
 * by every crawler and spider type; `hostPort` always carries the port (`example.com:443`).
 */
export function robotsKey(scheme: string, hostPort: string): string {
  return `robots:${scheme}:${hostPort}`;
}

/** Held (SET NX PX) by the one crawler fetching an origin's robots.txt right now. */
export function robotsLockKey(scheme: string, hostPort: string): string {
  return `robots:lock:${scheme}:${hostPort}`;
}

/** How many times in a row an origin's robots.txt could not be reached. */
export function robotsFailuresKey(scheme: string, hostPort: string): string {
  return `robots:failures:${scheme}:${hostPort}`;
}
