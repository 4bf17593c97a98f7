/**
 * One contract, every spider: {@linkcode spiderContract} runs the same assertions against the
 * built-in spiders and against the README's custom spider, copied at test time into a temporary
 * directory outside the repository and loaded by its path, as a user's spider would be (and
 * type-checked there, so the README's example stays true).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createValidator } from "../../../lib/api/mod.ts";
import { crawlRequest } from "../../../test/requests.ts";
import { createPage, type PageFields, parsePageDocument } from "../page.ts";
import { serializeItem } from "../pipeline/result_item.ts";
import type { FetchedPage, QueuedRequest, Spider, SpiderOutput } from "../spider.ts";
import { loadSpider } from "../spider_loader.ts";

/** What a spider promises beyond the common contract. */
interface SpiderContractOptions {
  /**
   * How follow-ups are scheduled: `"deeper"` is `followRequest()`'s default (depth + 1,
   * priority − 10); `"same"` keeps both (the wandering spider counts hops in `step` instead).
   *
   * @default {"deeper"}
   */
  followUps?: "deeper" | "same";
  /**
   * Whether the spider reads `page.$`. One that does not must never cause a parse (the link
   * spider's fast path); one that does parses each page at most once.
   *
   * @default {true}
   */
  usesDom?: boolean;
  /**
   * Whether every page yields an item.
   *
   * @default {false}
   */
  publishesEveryPage?: boolean;
}

const HTML = `<!doctype html>
<html><head>
  <title> Contract page </title>
  <meta name="description" content=" A page every spider must handle. ">
</head><body>
  <h1>Main heading</h1>
  <p>Intro with <a href="/one">one</a> and <a href="two.html">two</a>.</p>
  <h2>Sub <em>heading</em></h2>
  <a href="http://other.example.org/x?y=1#frag">Other</a>
  <a href="mailto:x@example.com">Mail</a>
  <a href="javascript:void(0)">Script</a>
  <h3>Small heading</h3>
  <h4>Not collected</h4>
  <a rel="next" href="page2.html">Next</a>
</body></html>`;

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>
<link>http://www.example.com/</link><item><link>http://www.example.com/post</link></item>
</channel></rss>`;

/** Pages every spider must take without crashing, by a name for failure messages. */
const PAGES: Record<string, Partial<PageFields>> = {
  html: {},
  empty: { text: "" },
  binary: {
    text: null,
    body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
    encoding: null,
    contentType: "image/png",
    headers: { "content-type": ["image/png"] },
  },
  truncated: { text: HTML.slice(0, HTML.indexOf("two.html") + 3), truncated: true },
  notFound: { status: 404, statusText: "Not Found", text: "<h1>Not found</h1>" },
  xml: { text: RSS, contentType: "application/rss+xml" },
  plainText: { text: "just text, <not> html &amp;", contentType: "text/plain" },
};

/** Requests that fetched those pages: a seed, a retried request mid-crawl, one at maxdepth. */
const REQUESTS: Record<string, (spiderid: string) => QueuedRequest> = {
  seed: (spiderid) => request({ spiderid, maxdepth: 2 }),
  retried: (spiderid) =>
    request({
      spiderid,
      maxdepth: 3,
      curdepth: 1,
      priority: 60,
      retry_times: 2,
      dont_filter: true,
      attrs: { source: "contract" },
      useragent: "contract-test/1.0",
      custom_field: { kept: true },
    }),
  atMaxdepth: (spiderid) => request({ spiderid, maxdepth: 2, curdepth: 2, priority: 50 }),
};

function request(overrides: Partial<QueuedRequest>): QueuedRequest {
  // Children may carry priorities below the schema's minimum: set after validation.
  const { priority, ...fields } = overrides;
  return {
    ...crawlRequest({ url: "http://example.com/start", ...fields }),
    priority: priority ?? 70,
  };
}

/** A page built like the fetcher builds it, with a parser that counts its calls. */
function page(overrides: Partial<PageFields>, counter: { parses: number }): FetchedPage {
  const text = overrides.text === undefined ? HTML : overrides.text;
  return createPage({
    url: "http://example.com/start",
    responseUrl: "http://www.example.com/dir/index.html",
    status: 200,
    statusText: "OK",
    headers: { "content-type": ["text/html; charset=utf-8"] },
    requestHeaders: { "User-Agent": "test" },
    body: new TextEncoder().encode(text ?? ""),
    text,
    encoding: text === null ? null : "utf-8",
    truncated: false,
    contentType: "text/html",
    ...overrides,
  }, {
    parse(text, xml) {
      counter.parses++;
      return parsePageDocument(text, xml);
    },
  });
}

/** One parse of the contract's matrix. */
interface Run {
  label: string;
  page: FetchedPage;
  request: QueuedRequest;
  output: SpiderOutput;
  parses: number;
  requestBefore: QueuedRequest;
}

/** Runs `spider` over every page × request; a throw fails with the case's label. */
async function runAll(spider: Spider): Promise<Run[]> {
  const runs: Run[] = [];
  for (const [pageName, pageFields] of Object.entries(PAGES)) {
    for (const [requestName, makeRequest] of Object.entries(REQUESTS)) {
      const label = `page ${pageName}, request ${requestName}`;
      const counter = { parses: 0 };
      const p = page(pageFields, counter);
      const req = makeRequest(spider.name);
      const requestBefore = structuredClone(req);
      let output: SpiderOutput;
      try {
        output = await spider.parse(p, req);
      } catch (err) {
        throw new Error(`${spider.name}.parse() threw on ${label}`, { cause: err });
      }
      runs.push({ label, page: p, request: req, output, parses: counter.parses, requestBefore });
    }
  }
  return runs;
}

const validateResult = createValidator("crawl_result");

/**
 * Registers the contract tests for the spider `load` returns, which must be named `name`.
 *
 * @param name The spider's expected `name` (its `spiderid`).
 * @param load Loads the spider (through {@linkcode loadSpider}, as the crawler does).
 * @param options What the spider promises beyond the common contract.
 */
function spiderContract(
  name: string,
  load: () => Promise<Spider>,
  options: SpiderContractOptions = {},
): void {
  const { followUps = "deeper", usesDom = true, publishesEveryPage = false } = options;

  Deno.test(`\`${name}\` spider loads with a valid name and a parse function`, async () => {
    const spider = await load();
    assert.equal(spider.name, name);
    assert.match(spider.name, /^[^:*\s]+$/);
    assert.equal(typeof spider.parse, "function");
  });

  Deno.test(`\`${name}\` spider parses every kind of page without throwing`, async () => {
    const runs = await runAll(await load());
    for (const { label, output } of runs) {
      assert.equal(typeof output, "object", label);
      assert.ok(output !== null, label);
      assert.ok(Array.isArray(output.requests), `${label}: requests is an array`);
      if (publishesEveryPage) assert.ok(output.item, `${label}: an item for every page`);
      if (output.item !== undefined && output.item !== null) {
        assert.equal(typeof output.item, "object", label);
      }
    }
  });

  Deno.test(`\`${name}\` spider's items pass schemas/crawl_result.json once serialized`, async () => {
    for (const { label, page, request, output } of await runAll(await load())) {
      const item = output.item;
      if (!item) continue;
      for (const field of ["appid", "crawlid", "url", "response_url", "status_code", "body"]) {
        assert.ok(field in item, `${label}: item has ${field}`);
      }
      assert.equal(item.appid, request.appid, label);
      assert.equal(item.crawlid, request.crawlid, label);
      assert.equal(item.url, page.url, label);
      assert.equal(item.response_url, page.responseUrl, label);
      for (const base64 of [false, true]) {
        const { json } = serializeItem(item, page, { base64, maxBytes: 10_000_000 });
        const result = validateResult(JSON.parse(json));
        assert.ok(
          result.ok,
          `${label}, base64 ${base64}: ${result.ok ? "" : result.errors.join("; ")}`,
        );
      }
    }
  });

  Deno.test(`\`${name}\` spider's follow-up requests stay in the crawl with valid URLs`, async () => {
    let followed = 0;
    for (const { label, request: parent, output } of await runAll(await load())) {
      for (const child of output.requests) {
        followed++;
        const where = `${label}: ${JSON.stringify(child.url)}`;
        assert.equal(child.appid, parent.appid, where);
        assert.equal(child.crawlid, parent.crawlid, where);
        assert.equal(child.spiderid, parent.spiderid, where);
        assert.equal(typeof child.url, "string", where);
        const url = new URL(child.url); // absolute: no base given
        assert.ok(url.protocol === "http:" || url.protocol === "https:", where);
        const depth = parent.curdepth ?? 0;
        if (followUps === "deeper") {
          assert.equal(child.curdepth, depth + 1, `${where}: depth + 1`);
          assert.equal(child.priority, parent.priority - 10, `${where}: priority − 10`);
        } else {
          assert.equal(child.curdepth, depth, `${where}: same depth`);
          assert.equal(child.priority, parent.priority, `${where}: same priority`);
        }
        assert.equal(child.retry_times, undefined, `${where}: retries are not inherited`);
        assert.equal(child.dont_filter, undefined, `${where}: dont_filter is not inherited`);
        assert.deepEqual(child.attrs, parent.attrs, `${where}: attrs pass through`);
        assert.equal(typeof JSON.parse(JSON.stringify(child)), "object", where);
      }
    }
    assert.ok(followed > 0, "the contract pages have links every spider follows");
  });

  Deno.test(`\`${name}\` spider leaves the request it is given unchanged`, async () => {
    for (const { label, request, requestBefore } of await runAll(await load())) {
      assert.deepEqual(request, requestBefore, label);
    }
  });

  Deno.test(
    usesDom
      ? `\`${name}\` spider's page.$ parses each page at most once`
      : `\`${name}\` spider never builds a DOM (page.$ is never parsed)`,
    async () => {
      for (const { label, parses } of await runAll(await load())) {
        assert.ok(parses <= (usesDom ? 1 : 0), `${label}: ${parses} parses`);
      }
    },
  );
}

/** The README's custom spider, as written there. */
async function readmeSpiderSource(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("\n## Spiders\n"));
  const code = section.match(/\n```ts\n([\s\S]*?)\n```\n/)?.[1];
  assert.ok(code, "README's Spiders section has a ts code block");
  const importPath = '"./components/crawler/spider.ts"';
  assert.ok(code.includes(importPath), `README's spider imports ${importPath}`);
  // A user's file elsewhere imports the spider API by absolute file URL.
  return code.replace(importPath, JSON.stringify(new URL("../spider.ts", import.meta.url).href));
}

/**
 * Writes the README's spider to a fresh temporary directory outside the repository and loads
 * it by path through the crawler's loader.
 */
async function loadReadmeSpider(): Promise<Spider> {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-spider-" });
  try {
    const repo = new URL("../../../", import.meta.url).pathname;
    assert.ok(!dir.startsWith(repo), `${dir} is outside the repository`);
    await Deno.writeTextFile(join(dir, "titles.ts"), await readmeSpiderSource());
    return await loadSpider("./titles.ts", dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

spiderContract("link", () => loadSpider("link"), { usesDom: false, publishesEveryPage: true });
spiderContract("wandering", () => loadSpider("wandering"), {
  usesDom: false,
  publishesEveryPage: true,
  followUps: "same",
});
spiderContract("titles", loadReadmeSpider, { publishesEveryPage: true });

Deno.test("README's `titles` spider extracts title, meta description and h1–h3 with page.$", async () => {
  const spider = await loadReadmeSpider();
  const counter = { parses: 0 };
  const seed = request({ spiderid: "titles", maxdepth: 1 });
  const out = await spider.parse(page({}, counter), seed);
  assert.equal(out.item!.title, "Contract page");
  assert.equal(out.item!.description, "A page every spider must handle.");
  assert.deepEqual(out.item!.headings, [
    { level: "h1", text: "Main heading" },
    { level: "h2", text: "Sub heading" },
    { level: "h3", text: "Small heading" },
  ]);
  assert.equal(out.item!.body, HTML);
  assert.deepEqual(out.requests.map((r) => r.url), ["http://www.example.com/dir/page2.html"]);
  assert.equal(counter.parses, 1, "one parse for every use of page.$");
});

Deno.test("README's `titles` spider stops at maxdepth and handles pages without markup", async () => {
  const spider = await loadReadmeSpider();
  const counter = { parses: 0 };
  const deep = request({ spiderid: "titles", maxdepth: 1, curdepth: 1 });
  assert.deepEqual((await spider.parse(page({}, counter), deep)).requests, []);
  for (const fields of [PAGES.binary, PAGES.empty]) {
    const out = await spider.parse(page(fields, counter), request({ spiderid: "titles" }));
    assert.equal(out.item!.title, "");
    assert.equal(out.item!.description, "");
    assert.deepEqual(out.item!.headings, []);
    assert.deepEqual(out.requests, []);
  }
});

Deno.test("README's `titles` spider type-checks against the spider API", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-spider-" });
  try {
    const file = join(dir, "titles.ts");
    await Deno.writeTextFile(file, await readmeSpiderSource());
    const config = new URL("../../../deno.json", import.meta.url).pathname;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", config, file],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
