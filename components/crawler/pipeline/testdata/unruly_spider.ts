/**
 * A test spider for the parse workers: the link spider, except on pages whose path says
 * otherwise — `/throw` (parse throws), `/crash` (an uncaught error kills its thread), `/close`
 * (its worker closes itself: no error, no answer), `/hang` (its thread never comes back).
 *
 * @module
 */

import linkSpider from "../../spiders/link.ts";
import type { Spider } from "../../spider.ts";

const unruly: Spider = {
  name: "unruly",
  parse(page, request) {
    const path = new URL(page.url).pathname;
    if (path === "/throw") throw new TypeError("unruly page");
    if (path === "/crash") setTimeout(() => Promise.reject(new Error("crashed")));
    if (path === "/close") (self as unknown as { close(): void }).close();
    if (path === "/hang") { for (;;) { /* never returns */ } }
    if (path === "/crash" || path === "/close") return new Promise(() => {});
    return linkSpider.parse(page, request);
  },
};

export default unruly;
