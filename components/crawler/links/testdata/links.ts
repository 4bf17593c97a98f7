/** Helpers shared by the link extractor and link filter tests. */
import { extractLinks } from "../link_extractor.ts";
import { compileLinkFilter, type LinkFilter } from "../link_filter.ts";

/** The page the test links are found on. */
export const PAGE = "http://www.example.com/dir/page.html";

/** A filter that lets everything through (not even Scrapy's extensions are denied). */
export const NO_FILTER: LinkFilter = {
  allowedDomains: null,
  allowRegex: null,
  denyRegex: null,
  denyExtensions: [],
};

/** The URLs `extractLinks` finds in `html`, through `filter` (merged onto NO_FILTER) if given. */
export function urls(html: string, base = PAGE, filter?: Partial<LinkFilter>): string[] {
  const opts = filter ? { filter: compileLinkFilter({ ...NO_FILTER, ...filter }) } : {};
  return extractLinks(html, base, opts).map((link) => link.url);
}

/** An HTML snippet with one anchor per href. */
export function anchors(...hrefs: string[]): string {
  return hrefs.map((href) => `<a href="${href}">x</a>`).join("\n");
}
