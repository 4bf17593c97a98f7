/**
 * The wandering spider (`spiderid` "wandering"): publishes every page and follows ONE link
 * picked at random among those the request's filters allow, so a crawl hops serially from page
 * to page until it reaches a page without links (Scrapy Cluster's `WanderingSpider`). It never
 * checks `maxdepth`; the hop count travels as `step` and is published in `attrs.step`.
 *
 * @module
 */

import { baseItem, followRequest, type Spider } from "../spider.ts";
import { requestLinks } from "./link.ts";

/**
 * Creates a wandering spider that picks links with `random`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWanderingSpider } from "./wandering.ts";
 *
 * const spider = createWanderingSpider(() => 0); // always the first link
 * assert.equal(spider.name, "wandering");
 * ```
 *
 * @param random Returns a number in [0, 1), like `Math.random`.
 * @returns The spider.
 */
export function createWanderingSpider(random: () => number = Math.random): Spider {
  return {
    name: "wandering",
    parse(page, request) {
      const step = request.step ?? 0;
      const item = { ...baseItem(page, request), attrs: { ...(request.attrs ?? {}), step } };
      const links = requestLinks(page, request);
      if (links.length === 0) return { item, requests: [] };
      const pick = Math.floor(random() * links.length);
      const index = pick > 0 ? Math.min(pick, links.length - 1) : 0;
      const next = followRequest(request, links[index].url, {
        step: step + 1,
        // Depth and priority stay as they are: only the step counts hops.
        priority: request.priority,
        curdepth: request.curdepth ?? 0,
      });
      return { item, requests: [next] };
    },
  };
}

/** The wandering spider, picking links with `Math.random`. */
export default createWanderingSpider();
