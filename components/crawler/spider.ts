/**
 * The spider contract. A spider is a plain module whose default export implements
 * {@linkcode Spider}: a name (the `spiderid` whose Redis queues it serves) and a `parse` that
 * turns one fetched page into at most one result item and any number of follow-up requests.
 * The crawler does everything else (scheduling, fetching, dupefilter, limits, Kafka, retries).
 *
 * @example
 * ```ts ignore
 * // my_spider.ts — run it with `deno task run:crawler --spider ./my_spider.ts`
 * import { baseItem, type Spider } from "./components/crawler/spider.ts";
 *
 * const titles: Spider = {
 *   name: "titles",
 *   parse(page, request) {
 *     const title = page.$("title").first().text().trim();
 *     return { item: { ...baseItem(page, request), title }, requests: [] };
 *   },
 * };
 * export default titles;
 * ```
 *
 * @module
 */

import type { CheerioAPI } from "cheerio/slim";
import { type CrawlRequest } from "../../lib/api/mod.ts";
import { followUpCookieDomain } from "./fetch/cookie_scope.ts";
import { scrapyResponseHeaders } from "./fetch/header_names.ts";

export type { CheerioAPI } from "cheerio/slim";

/**
 * A request as it sits in a Redis queue: the validated crawl request (every field of
 * `schemas/scraper.json`; any other field passes through untouched, Scrapy Cluster's meta
 * passthrough) plus the crawler's own bookkeeping fields.
 */
export interface QueuedRequest extends CrawlRequest {
  /** Link depth from the seed (absent on seeds: 0). */
  curdepth?: number;
  /** Download attempts that failed so far (absent: 0). */
  retry_times?: number;
  /** Skip the dupefilter (retries). */
  dont_filter?: boolean;
  /** Wandering spider: hops taken so far. */
  step?: number;
  /** The registered domain of the crawl's seed: the only one that gets its `cookie`. */
  cookie_domain?: string;
  /** Redirects followed to reach this request (Scrapy's meta name; absent: 0). */
  redirect_times?: number;
  /** The URLs redirected from, oldest (the URL of the crawl result) first. */
  redirect_urls?: string[];
  /** The statuses of those redirects. */
  redirect_reasons?: number[];
}

/**
 * A downloaded page, as a spider sees it. Build one with `createPage` (`./page.ts`), which adds
 * the lazy `$`.
 */
export interface FetchedPage {
  /** The requested URL. */
  url: string;
  /** The final URL after redirects. */
  responseUrl: string;
  /** HTTP status code. */
  status: number;
  /** HTTP reason phrase ("" when the server sent none). */
  statusText: string;
  /** Response headers: lower-case name → values. */
  headers: Record<string, string[]>;
  /** The headers that were sent. */
  requestHeaders: Record<string, string>;
  /** The raw body (possibly truncated at DOWNLOAD_MAXSIZE). */
  body: Uint8Array;
  /** The body decoded with the detected charset; null for binary content. */
  text: string | null;
  /** The charset used for `text` (e.g. "utf-8", "windows-1252"); null for binary content. */
  encoding: string | null;
  /** True when the body was cut at DOWNLOAD_MAXSIZE. */
  truncated: boolean;
  /** Content-Type without parameters, lower case ("" when absent). */
  contentType: string;
  /**
   * Cheerio over the page's document (`page.$("h1").text()`), parsed with htmlparser2 on first
   * use, then kept: a spider that never reads `$` never builds a DOM. XML content types are
   * parsed as XML; a binary page (`text` null) has an empty document, so selectors match
   * nothing.
   */
  readonly $: CheerioAPI;
}

/** A link found on a page. */
export interface PageLink {
  url: string;
  text: string;
}

/** What `parse` returns. */
export interface SpiderOutput {
  /** The result item to publish (see `schemas/crawl_result.json`); none publishes nothing. */
  item?: Record<string, unknown> | null;
  /** Follow-up requests, each enqueued into its own domain queue (after filters). */
  requests: QueuedRequest[];
}

/** A spider type. */
export interface Spider {
  /** The spiderid it serves: it pops from `<name>:<domain>:queue`. */
  readonly name: string;
  /** Turns one page into its item and follow-up requests. */
  parse(page: FetchedPage, request: QueuedRequest): SpiderOutput | Promise<SpiderOutput>;
}

/**
 * The result item fields every spider publishes (Scrapy Cluster's RawResponseItem, body as
 * text); the crawler adds `timestamp` and encodes the body when producing.
 */
export function baseItem(page: FetchedPage, request: QueuedRequest): Record<string, unknown> {
  return {
    appid: request.appid,
    crawlid: request.crawlid,
    url: page.url,
    response_url: page.responseUrl,
    status_code: page.status,
    status_msg: "OK",
    response_headers: scrapyResponseHeaders(page.headers),
    request_headers: page.requestHeaders,
    body: page.text ?? "",
    links: [],
    attrs: request.attrs,
    encoding: page.encoding ?? "binary",
  };
}

/**
 * A follow-up request for `url`: every field of the parent passes through (appid, crawlid,
 * spiderid, attrs, useragent, cookie, expires, filters, ...), depth + 1, priority − 10, the
 * retry and redirect bookkeeping reset, and the seed's domain recorded as `cookie_domain` when
 * the crawl has a cookie (it is sent to that domain only).
 */
export function followRequest(
  parent: QueuedRequest,
  url: string,
  overrides: Partial<QueuedRequest> = {},
): QueuedRequest {
  const {
    retry_times: _r,
    dont_filter: _d,
    ts: _ts,
    redirect_times: _rt,
    redirect_urls: _ru,
    redirect_reasons: _rr,
    ...rest
  } = parent;
  const child: QueuedRequest = {
    ...rest,
    url,
    priority: parent.priority - 10,
    curdepth: (parent.curdepth ?? 0) + 1,
  };
  const scope = followUpCookieDomain(parent);
  if (scope !== undefined) child.cookie_domain = scope;
  return Object.assign(child, overrides);
}
