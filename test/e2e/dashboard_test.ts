/// <reference lib="dom" />
/**
 * End-to-end: the dashboard at `/ui/` in a real headless Chromium (Debian's `chromium`, driven
 * by `puppeteer-core`), against the rest service, a kafka-monitor, a redis-monitor and a
 * crawler on the real Kafka and Redis (`api_fixture.ts`, `crawl_fixture.ts`), crawling the local
 * test site. A read-only key sees the page with its feed and stop controls disabled, and the
 * server refuses its stop anyway; an admin key feeds a crawl from the page's form, the crawl's
 * counters rise on the page, a click stops it and its backlog drops to zero. Screenshots go to
 * `test-output/dashboard/`. Run with `deno task test test/e2e/dashboard_test.ts`.
 */

import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { getLog } from "../../lib/config/mod.ts";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { crawlProgress } from "../../lib/api/progress.ts";
import { startRestService } from "../../components/rest/service.ts";
import link from "../../components/crawler/spiders/link.ts";
import { ApiFixture } from "../api_fixture.ts";
import { CrawlFixture } from "../crawl_fixture.ts";
import { syntheticSiteHandler } from "../site.ts";
import { randomName } from "../harness.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const SHOTS = new URL("../../test-output/dashboard/", import.meta.url);

/** A slow site of many pages (each 60 ms), one page in nine a 404 (the errors). */
function slowSite() {
  const pages = syntheticSiteHandler({ pages: 5000, linksPerPage: 10, pageBytes: 2048 });
  return async (req: Request) => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    const n = Number(new URL(req.url).pathname.slice(3));
    if (n % 9 === 4) return new Response("gone", { status: 404 });
    return pages(req);
  };
}

/** The text of a crawl row's cell, as a number ("1,234" → 1234); null without the row. */
function cell(page: Page, crawl: string, field: string): Promise<number | null> {
  return page.evaluate(
    (crawl, field) => {
      const td = document.querySelector(`tr[data-crawl="${crawl}"] td[data-field="${field}"]`);
      return td ? Number(td.textContent!.replaceAll(",", "")) : null;
    },
    crawl,
    field,
  );
}

/** Waits until `check` on the page's numbers holds (polling the page, no timed assertions). */
async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 25_000;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

async function useKey(page: Page, key: string) {
  await page.waitForSelector("#key-dialog[open]");
  await page.type("#key-input", key);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#access:not([hidden])");
}

Deno.test("dashboard: a read-only key watches, an admin key feeds and stops a crawl", async () => {
  await Deno.mkdir(SHOTS, { recursive: true });
  const f = await ApiFixture.start();
  const crawl = await CrawlFixture.start(
    { routes: {}, fallback: slowSite(), log: false },
    "plain",
    { url: f.redisUrl },
  );
  const settings = f.restSettings({ REST_API_KEYS: "view-key:poll,ops-key" }, {
    ALLOW_PRIVATE_ADDRESSES: true,
  });
  const rest = await startRestService(settings, {
    log: getLog("rest", "test"),
    id: crypto.randomUUID().slice(-12),
  });
  const stopServer = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stopServer.signal, onListen: () => {} },
    rest.handler,
  );
  let browser: Browser | undefined;
  try {
    await crawl.startCrawler(link, { CONCURRENT_REQUESTS: 3, CONCURRENT_REQUESTS_PER_DOMAIN: 3 });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: Deno.uid() === 0 ? ["--no-sandbox"] : [],
      headless: true,
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on("dialog", (dialog) => dialog.accept()); // the stop button's confirmation
    const ui = `http://127.0.0.1:${server.addr.port}/ui/`;
    await page.goto(ui);

    // A read-only key: everything shown, nothing to act with, and the server agrees.
    await useKey(page, "view-key");
    assert.match(await page.$eval("#access", (e) => e.textContent!), /read-only/);
    assert.equal(await page.$eval("#stop-form button", (b) => b.disabled), true);
    assert.equal(await page.$eval("#feed-form button", (b) => b.disabled), true);
    await page.waitForSelector("#nodes tbody tr"); // the crawler's heartbeat, at least
    const refused = await page.evaluate(async (spiderid) => {
      const res = await fetch("/feed", {
        method: "POST",
        headers: { "x-api-key": "view-key", "content-type": "application/json" },
        body: JSON.stringify({ action: "stop", appid: "dashapp", spiderid, uuid: "u1" }),
      });
      return { status: res.status, body: await res.text() };
    }, crawl.spiderName);
    assert.equal(refused.status, 403, refused.body);
    assert.match(refused.body, /missing scope 'admin'/);
    await page.screenshot({ path: new URL("readonly.png", SHOTS).pathname });

    // The admin key feeds a crawl through the page's form.
    await page.click("#change-key");
    await useKey(page, "ops-key");
    await page.waitForFunction(() => document.querySelector("#access")!.textContent === "admin");
    const crawlid = randomName("dash");
    const row = `dashapp/${crawlid}`;
    const form = "#feed-form";
    await page.type(`${form} input[name=url]`, crawl.site.url("/p/0"));
    await page.$eval(`${form} input[name=appid]`, (i) => (i.value = "dashapp"));
    await page.type(`${form} input[name=crawlid]`, crawlid);
    await page.$eval(`${form} input[name=spiderid]`, (i, id) => (i.value = id), crawl.spiderName);
    await page.$eval(`${form} input[name=maxdepth]`, (i) => (i.value = "3"));
    await page.click(`${form} button[type=submit]`);
    await page.waitForFunction(() =>
      /HTTP 200/.test(document.querySelector("#answer")!.textContent!)
    );

    // Its counters rise on the page, as the crawler works.
    const first = await waitFor(
      "pages done on the page",
      () => cell(page, row, "done"),
      (n) => n !== null && n >= 3,
    );
    await waitFor("pages done rising", () => cell(page, row, "done"), (n) => n! >= first! + 5);
    await waitFor("a rate shown", () => cell(page, row, "rate"), (n) => n! > 0);
    await waitFor("pending on the page", () => cell(page, row, "pending"), (n) => n! > 0);
    await waitFor("errors counted (the 404s)", () => cell(page, row, "errors"), (n) => n! > 0);
    const nodeRate = () =>
      page.evaluate(() =>
        Number(
          document.querySelector('tr[data-node^="crawler/"] td[data-field="rate"]')
            ?.textContent ?? 0,
        )
      );
    await waitFor("the crawler's pages/s", nodeRate, (n) => n > 0);
    await page.waitForSelector(`#spiders [data-spider="${crawl.spiderName}"]`);
    await page.waitForSelector("#failures tbody tr");
    await page.screenshot({ path: new URL("running.png", SHOTS).pathname });

    // Stopped from the page: its backlog drops to nothing, on the page and in Redis.
    await page.click(`tr[data-crawl="${row}"] button`);
    await waitFor("pending after the stop", () => cell(page, row, "pending"), (n) => n === 0);
    await page.waitForFunction(() =>
      /stop .*HTTP 200/.test(document.querySelector("#answer")!.textContent!)
    );
    const layout = await openFrontierLayout(f.redis);
    const progress = await crawlProgress(f.redis, layout, crawl.spiderName, "dashapp", crawlid);
    assert.equal(progress.pending, 0);
    assert.ok(progress.done >= first! + 5, JSON.stringify(progress));
    assert.ok(progress.errors > 0, JSON.stringify(progress));
    await page.screenshot({ path: new URL("stopped.png", SHOTS).pathname, fullPage: true });
  } finally {
    await browser?.close();
    stopServer.abort();
    await server.finished;
    await rest.close();
    await crawl.close();
    await f.close();
  }
});
