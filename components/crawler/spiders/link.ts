/**
 * The link spider (`spiderid` "link"): publishes every page and, while the request's depth is
 * below its `maxdepth`, follows every link the request's filters allow (Scrapy Cluster's
 * `LinkSpider`). The crawler drops duplicates, blacklisted crawls and pages over the limits.
 *
 * @module
 */

import { compileLinkFilter, extractLinks } from "../links/link_extractor.ts";
import {
  baseItem,
  type FetchedPage,
  followRequest,
  type PageLink,
  type QueuedRequest,
  type Spider,
} from "../spider.ts";

/**
 * The links of a page that the request's `allowed_domains`, `allow_regex`, `deny_regex` and
 * `deny_extensions` allow, resolved against the final URL; none for binary pages.
 *
 * @example
 * ```ts ignore
 * const links = requestLinks(page, request); // [{ url: "http://x.com/a", text: "A" }, ...]
 * ```
 *
 * @param page The fetched page.
 * @param request The request that fetched it.
 * @returns The allowed links, canonical and unique, in document order.
 */
export function requestLinks(page: FetchedPage, request: QueuedRequest): PageLink[] {
  if (page.text === null) return [];
  const filter = compileLinkFilter({
    allowedDomains: request.allowed_domains ?? null,
    allowRegex: request.allow_regex ?? null,
    denyRegex: request.deny_regex ?? null,
    denyExtensions: request.deny_extensions ?? null,
  });
  return extractLinks(page.text, page.responseUrl, { filter });
}

/**
 * The link spider: item `links` lists the followed links; each becomes a request with
 * priority − 10 and depth + 1. At `curdepth >= maxdepth` (`maxdepth` 0: the seed only) the
 * page's links are not even extracted.
 *
 * @example
 * ```ts ignore
 * const { item, requests } = await linkSpider.parse(page, request);
 * ```
 */
const linkSpider: Spider = {
  name: "link",
  parse(page, request) {
    const item = baseItem(page, request);
    if ((request.curdepth ?? 0) >= request.maxdepth) return { item, requests: [] };
    const links = requestLinks(page, request);
    item.links = links;
    return { item, requests: links.map((link) => followRequest(request, link.url)) };
  },
};

export default linkSpider;
