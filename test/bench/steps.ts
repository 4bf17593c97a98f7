/**
 * CPU cost of the crawler's per-page steps, measured in-process without I/O on one synthetic
 * page (the benchmark site's), next to cheaper variants of the same step. Helps read the
 * profile: those numbers are wall-clock samples, inflated when the machine is busy; these are
 * not. Run alone with `deno task bench --only steps` or:
 *
 * ```sh
 * deno run --allow-all test/bench/steps.ts
 * ```
 *
 * @module
 */

import { crawlRequest } from "../requests.ts";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import crc32C from "kafkajs/src/protocol/recordBatch/crc32C/index.js";
import { crc32c } from "../../lib/services/kafka_crc32c.ts";
import { compileLinkFilter, extractLinks } from "../../components/crawler/links/link_extractor.ts";
import { createPage } from "../../components/crawler/page.ts";
import linkSpider from "../../components/crawler/spiders/link.ts";
import { serializeItem } from "../../components/crawler/pipeline/result_item.ts";
import {
  type FetchedPage,
  followRequest,
  type QueuedRequest,
} from "../../components/crawler/spider.ts";
import { registeredDomain, requestFingerprint } from "../../lib/web/mod.ts";
import { syntheticSiteHandler } from "../site.ts";

/** One measured step: µs per page. */
export interface StepFigure {
  step: string;
  usPerPage: number;
  /** What it is an alternative to, for variants. */
  variantOf?: string;
}

/**
 * µs per call of `fn`: the fastest of several rounds of `roundMs` each (after a warm-up), so a
 * busy machine inflates it less.
 */
function _time(fn: () => unknown, rounds = 7, roundMs = 60): number {
  for (let i = 0; i < 200; i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < roundMs) {
      for (let i = 0; i < 10; i++) fn();
      n += 10;
      t = performance.now();
    }
    best = Math.min(best, 1000 * (t - t0) / n);
  }
  return best;
}

/** A page as fetched from `origin`, and the request that fetched it. */
async function _fixture(origin: string, opts: { links: number; bytes: number }) {
  const handler = syntheticSiteHandler({
    pages: 5000,
    linksPerPage: opts.links,
    pageBytes: opts.bytes,
  });
  const url = `${origin}/p/1`;
  const body = new Uint8Array(await handler(new Request(url)).arrayBuffer());
  const text = new TextDecoder().decode(body);
  const page: FetchedPage = createPage({
    url,
    responseUrl: url,
    status: 200,
    statusText: "OK",
    headers: {
      "content-type": ["text/html; charset=utf-8"],
      "content-length": [String(body.length)],
      "date": [new Date().toUTCString()],
      "vary": ["Accept-Encoding"],
    },
    requestHeaders: {
      "User-Agent": "crawl-cluster/0.1",
      "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "Accept-Language": "en",
      "Accept-Encoding": "gzip, br",
    },
    body,
    text,
    encoding: "utf-8",
    truncated: false,
    contentType: "text/html",
  });
  const request: QueuedRequest = {
    ...crawlRequest({
      url,
      appid: "bench",
      crawlid: "crawl-1234abcd",
      spiderid: "link",
      maxdepth: 50,
    }),
    priority: -19,
    curdepth: 2,
  };
  return { page, request };
}

/** Measures every step for a page served from `origin`. */
export async function measureSteps(
  origin: string,
  opts: { links: number; bytes: number } = { links: 40, bytes: 20_480 },
): Promise<StepFigure[]> {
  const { page, request } = await _fixture(origin, opts);
  const out: StepFigure[] = [];
  const add = (step: string, fn: () => unknown, variantOf?: string) =>
    out.push({ step, usPerPage: _time(fn), ...(variantOf ? { variantOf } : {}) });

  const member = JSON.stringify(request);
  const output = await linkSpider.parse(page, request);
  const children = output.requests!;
  const urls = children.map((c) => c.url);

  add("JSON.parse(lease member)", () => JSON.parse(member));
  add("TextDecoder.decode(body)", () => new TextDecoder("utf-8").decode(page.body));
  add("extractLinks, no filter (bare loop)", () => extractLinks(page.text!, page.responseUrl));
  add("linkSpider.parse (filter + extract + followRequest)", () => linkSpider.parse(page, request));
  add("  followRequest × links", () => urls.map((u) => followRequest(request, u)));
  add("registeredDomain × links", () => children.map((c) => registeredDomain(c.url)));
  {
    const cache = new Map<string, string | null>();
    add("registeredDomain cached by origin × links", () =>
      children.map((c) => {
        const end = c.url.indexOf("/", c.url.indexOf("//") + 2);
        const key = end < 0 ? c.url : c.url.slice(0, end);
        let d = cache.get(key);
        if (d === undefined) cache.set(key, d = registeredDomain(c.url));
        return d;
      }), "registeredDomain × links");
  }
  add("requestFingerprint × links", () => children.map((c) => requestFingerprint({ url: c.url })));
  add(
    "sha1(GET + url) × links (url already canonical)",
    () => urls.map((u) => createHash("sha1").update("GET").update(u).digest("hex")),
    "requestFingerprint × links",
  );
  add("JSON.stringify(child) × links", () => children.map((c) => JSON.stringify(c)));
  {
    // The fields every child shares, serialised once per page.
    const { url: _u, ...rest } = children[0];
    add("child JSON from a per-page template × links", () => {
      const common = JSON.stringify(rest).slice(1);
      return urls.map((u) => `{"url":${JSON.stringify(u)},${common}`);
    }, "JSON.stringify(child) × links");
  }
  const item = output.item!;
  add(
    "serializeItem (sorted JSON, 20 KB body)",
    () => serializeItem(item, page, { base64: false, maxBytes: 1_048_576 }),
  );
  const json = serializeItem(item, page, { base64: false, maxBytes: 1_048_576 }).json;
  add("JSON.stringify(body) alone", () => JSON.stringify(page.text));
  add("Buffer.from(item JSON) (kafkajs encodes values)", () => Buffer.from(json));
  const bytes = Buffer.from(json);
  add("kafkajs crc32C(item bytes)", () => crc32C(bytes));
  if (crc32c(bytes) !== crc32C(bytes)) throw new Error("Cannot measure: CRC mismatch");
  add("slice-by-8 crc32C(item bytes)", () => crc32c(bytes), "kafkajs crc32C(item bytes)");
  add("compileLinkFilter (request defaults)", () =>
    compileLinkFilter({
      allowedDomains: null,
      allowRegex: null,
      denyRegex: null,
      denyExtensions: null,
    }));
  return out;
}

/** The figures as a table. */
export function formatSteps(figures: StepFigure[]): string {
  return figures.map((f) =>
    `  ${f.usPerPage.toFixed(1).padStart(8)} µs/page  ${f.step}` +
    (f.variantOf ? `  (variant of: ${f.variantOf})` : "")
  ).join("\n");
}

if (import.meta.main) {
  for (const origin of ["http://127.0.0.1:8000", "http://www.example.co.uk"]) {
    console.log(`page on ${origin}:`);
    console.log(formatSteps(await measureSteps(origin)));
  }
}
