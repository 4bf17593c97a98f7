import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { createPage } from "../page.ts";
import linkSpider from "../spiders/link.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";
import { CrawlError, ParseError } from "./errors.ts";
import { type PageOutput, prepareOutput, withFingerprints } from "./page_output.ts";
import { ParsePool } from "./parse_pool.ts";
import { parseStep } from "./steps/parse.ts";

const SPIDER = new URL("./testdata/unruly_spider.ts", import.meta.url).href;
const OPTS = { base64: false, itemBudgetBytes: 1_000_000 };

const links = Array.from({ length: 5 }, (_, i) => `<a href="/p/${i}">page ${i}</a>`).join("");
const html = `<html><head><title>t</title></head><body>${links} é "quoted"</body></html>`;

function pageAt(path: string, text = html): FetchedPage {
  const url = `http://example.com${path}`;
  return createPage({
    url,
    responseUrl: url,
    status: 200,
    statusText: "OK",
    headers: { "content-type": ["text/html; charset=utf-8"] },
    requestHeaders: { "User-Agent": "test" },
    body: new TextEncoder().encode(text),
    text,
    encoding: "utf-8",
    truncated: false,
    contentType: "text/html",
  });
}

function requestFor(path: string): QueuedRequest {
  return {
    url: `http://example.com${path}`,
    appid: "app",
    crawlid: "crawl",
    spiderid: "link",
    priority: 10,
    maxdepth: 2,
    attrs: { a: 1 },
  } as unknown as QueuedRequest;
}

/** The output with the item as text and its timestamp blanked (it is the time of serialising). */
function comparable(out: PageOutput): unknown {
  const item = out.item?.kind === "message"
    ? {
      ...out.item,
      value: (typeof out.item.value === "string"
        ? out.item.value
        : new TextDecoder().decode(out.item.value)).replace(/"timestamp":"[^"]*"/, ""),
    }
    : out.item;
  return { ...out, entries: withFingerprints(out.entries), item };
}

function pool(silentMs?: number): ParsePool {
  return new ParsePool({ size: 1, spider: SPIDER, ...OPTS, log: getLogger("test"), silentMs });
}

Deno.test("`ParsePool.parse()` prepares the same output as the main thread, body handed back", async () => {
  const workers = pool();
  try {
    await workers.ready;
    for (const path of ["/a", "/b"]) {
      const page = pageAt(path);
      const bytes = page.body.slice();
      const req = requestFor(path);
      const inWorker = await workers.parse(page, req);
      const onMain = prepareOutput(await parseStep(linkSpider, page, req), page, req, OPTS);
      assert.ok(inWorker.item?.kind === "message" && inWorker.item.value instanceof Uint8Array);
      assert.deepEqual(comparable(inWorker), comparable(onMain));
      assert.equal(inWorker.entries.length, 5);
      assert.deepEqual(page.body, bytes, "the body is back in place");
    }
  } finally {
    workers.close();
  }
});

Deno.test("`ParsePool.parse()` fails a page whose spider throws with a ParseError, that page only", async () => {
  const workers = pool();
  try {
    await workers.ready;
    const page = pageAt("/throw");
    await assert.rejects(workers.parse(page, requestFor("/throw")), (err) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.message, "parse failed: unruly page");
      return true;
    });
    assert.equal(page.text, html);
    assert.equal(new TextDecoder().decode(page.body), html, "the error item can use the body");
    const next = await workers.parse(pageAt("/a"), requestFor("/a"));
    assert.equal(next.entries.length, 5, "the worker goes on");
  } finally {
    workers.close();
  }
});

for (const path of ["/crash", "/close", "/hang"]) {
  Deno.test(`\`ParsePool\` replaces a worker that dies (${path}): its pages retried, the next parsed`, async () => {
    const workers = pool(300);
    try {
      await workers.ready;
      const [dying, alongside] = await Promise.allSettled([
        workers.parse(pageAt(path), requestFor(path)),
        workers.parse(pageAt("/a"), requestFor("/a")),
      ]);
      const retried = (r: PromiseSettledResult<unknown>) =>
        r.status === "rejected" && r.reason instanceof CrawlError && r.reason.retriable;
      assert.ok(retried(dying), String(dying));
      // Parsed before the worker died, or lost with it: either way settled, never hung.
      assert.ok(alongside.status === "fulfilled" || retried(alongside), String(alongside));
      const next = await workers.parse(pageAt("/b"), requestFor("/b"));
      assert.equal(next.entries.length, 5, "a new worker parses the next page");
    } finally {
      workers.close();
    }
  });
}

Deno.test("`ParsePool.ready` rejects when the spider cannot be loaded", async () => {
  const workers = new ParsePool({
    size: 1,
    spider: "./no/such_spider.ts",
    ...OPTS,
    log: getLogger("test"),
  });
  try {
    await assert.rejects(workers.ready, /Cannot start a parse worker: .*could not be loaded/);
  } finally {
    workers.close();
  }
});
