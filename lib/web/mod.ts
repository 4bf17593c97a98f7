/**
 * What the cluster knows about URLs: scheme completion, w3lib's canonical form and Scrapy's
 * request fingerprints (`url.ts`), and the registered domain that names queue and throttle keys
 * as tldextract did for Scrapy Cluster (`domain.ts`), and the linear-time engine that runs a
 * crawl's `allow_regex` / `deny_regex` (`regex.ts`).
 *
 * @module
 */

export * from "./url.ts";
export * from "./domain.ts";
export * from "./regex.ts";
