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
  if (crc32cSliceBy8(bytes) !== crc32C(bytes)) throw new Error("Cannot measure: CRC mismatch");
  add("slice-by-8 crc32C(item bytes)", () => crc32cSliceBy8(bytes), "kafkajs crc32C(item bytes)");
  add("compileLinkFilter (request defaults)", () =>
    compileLinkFilter({
      allowedDomains: null,
      allowRegex: null,
      denyRegex: null,
      denyExtensions: null,
    }));
  return out;
}

/** CRC-32C tables for slicing by 8 (Castagnoli, reflected 0x82F63B78). */
const _CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
    }
  }
  return t;
})();

/**
 * CRC-32C of `buf`, eight bytes per step: what kafkajs's byte-at-a-time `crc32C` computes for
 * every record batch it produces, a few times faster.
 */
export function crc32cSliceBy8(buf: Uint8Array): number {
  const t = _CRC_TABLES;
  let crc = -1;
  let i = 0;
  const end8 = buf.length - (buf.length % 8);
  for (; i < end8; i += 8) {
    const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + buf[i + 4]] ^ t[512 + buf[i + 5]] ^ t[256 + buf[i + 6]] ^ t[buf[i + 7]];
  }
  for (; i < buf.length; i++) crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
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
