/**
 * `deno bench components/crawler/links/link_filter_bench.ts`: the link extractor on a page of
 * 100 links, without a filter, with the request defaults (no regex), with an allow and a deny
 * regex, and with the catastrophic `(a+)+$` against links of 40 `a`s plus `!` (which a
 * backtracking engine never finishes; the linear-time engine answers in microseconds).
 *
 * @module
 */

import { compileLinkFilter, extractLinks, type LinkFilter } from "./link_extractor.ts";

const BASE = "http://www.example.com/dir/page.html";
const DEFAULTS: LinkFilter = {
  allowedDomains: null,
  allowRegex: null,
  denyRegex: null,
  denyExtensions: null,
};

function _page(paths: string[]): string {
  return paths.map((p, i) => `<p><a href="${p}">link ${i}</a></p>`).join("\n");
}

const ordinary = _page(
  Array.from({ length: 100 }, (_, i) => i % 3 === 0 ? `/news/${i}.html` : `/other/${i}?a=${i}`),
);
const hostile = _page(Array.from({ length: 100 }, (_, i) => `/${"a".repeat(40)}!${i}`));

Deno.bench("extractLinks, 100 links, no filter", { group: "ordinary", baseline: true }, () => {
  extractLinks(ordinary, BASE);
});

Deno.bench("extractLinks, 100 links, request defaults (no regex)", { group: "ordinary" }, () => {
  extractLinks(ordinary, BASE, { filter: compileLinkFilter(DEFAULTS) });
});

Deno.bench("extractLinks, 100 links, allow_regex + deny_regex", { group: "ordinary" }, () => {
  const filter = compileLinkFilter({
    ...DEFAULTS,
    allowRegex: ["^http://www\\.example\\.com/(news|other)/"],
    denyRegex: ["\\?a=9", "/news/1"],
  });
  extractLinks(ordinary, BASE, { filter });
});

Deno.bench("extractLinks, 100 links of 40 a's + '!', no filter", {
  group: "hostile",
  baseline: true,
}, () => {
  extractLinks(hostile, BASE);
});

if (Deno.env.get("BENCH_HOSTILE") !== "0") {
  Deno.bench("extractLinks, 100 links of 40 a's + '!', allow_regex (a+)+$", {
    group: "hostile",
  }, () => {
    extractLinks(hostile, BASE, {
      filter: compileLinkFilter({ ...DEFAULTS, allowRegex: ["(a+)+$"] }),
    });
  });
}
