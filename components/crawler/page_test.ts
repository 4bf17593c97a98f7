import assert from "node:assert/strict";
import { crawlRequest } from "../../test/requests.ts";
import { startTestSite } from "../../test/site.ts";
import { fetchPage } from "./fetch/fetcher.ts";
import { createPage, isXmlContentType, type PageFields, parsePageDocument } from "./page.ts";
import linkSpider from "./spiders/link.ts";

const HTML = `<html><head><title>Title &amp; more</title>
<meta name="description" content="About"></head>
<body><h1>One</h1><a href="/a">A</a><br><p>Two</p></body></html>`;

function fields(overrides: Partial<PageFields> = {}): PageFields {
  const text = overrides.text === undefined ? HTML : overrides.text;
  return {
    url: "http://example.com/",
    responseUrl: "http://example.com/",
    status: 200,
    statusText: "OK",
    headers: {},
    requestHeaders: {},
    body: new TextEncoder().encode(text ?? ""),
    text,
    encoding: text === null ? null : "utf-8",
    truncated: false,
    contentType: "text/html",
    ...overrides,
  };
}

/** A parser that counts its calls. */
function countingParser() {
  const calls: { text: string; xml: boolean }[] = [];
  return {
    calls,
    parse(text: string, xml: boolean) {
      calls.push({ text, xml });
      return parsePageDocument(text, xml);
    },
  };
}

Deno.test("`createPage()` parses the document on the first use of `$` and only then", () => {
  const parser = countingParser();
  const page = createPage(fields(), parser);
  assert.equal(parser.calls.length, 0, "building the page parses nothing");
  assert.equal(page.text, HTML);
  assert.equal(page.contentType, "text/html");
  assert.equal(parser.calls.length, 0, "reading the other fields parses nothing");
  assert.equal(page.$("title").text(), "Title & more");
  assert.equal(page.$('meta[name="description"]').attr("content"), "About");
  assert.equal(page.$("a").attr("href"), "/a");
  assert.equal(page.$, page.$, "one cheerio instance per page");
  assert.deepEqual(parser.calls, [{ text: HTML, xml: false }]);
});

Deno.test("`createPage()` leaves the link spider's fast path without a DOM", async () => {
  const parser = countingParser();
  const request = crawlRequest({ url: "http://example.com/", spiderid: "link", maxdepth: 1 });
  for (let i = 0; i < 10; i++) {
    const out = await linkSpider.parse(createPage(fields(), parser), request);
    assert.deepEqual(out.requests.map((r) => r.url), ["http://example.com/a"]);
  }
  assert.equal(parser.calls.length, 0);
});

Deno.test("`createPage()` copies the fields and keeps `$` out of copies and JSON", () => {
  const input = fields();
  const page = createPage(input);
  assert.ok(!("$" in input), "the fields object is not modified");
  assert.deepEqual(Object.keys(page), Object.keys(input));
  assert.ok(!("$" in { ...page }));
  assert.deepEqual(JSON.parse(JSON.stringify(page)).url, "http://example.com/");
  assert.ok(!("$" in JSON.parse(JSON.stringify(page))));
  assert.throws(() => {
    (page as { $: unknown }).$ = null;
  }, TypeError);
});

Deno.test("`createPage()` gives a binary page an empty document", () => {
  const page = createPage(fields({ text: null, contentType: "image/png" }));
  assert.equal(page.$("title").length, 0);
  assert.equal(page.$("title").text(), "");
  assert.equal(page.$("meta").attr("content"), undefined);
  assert.equal(page.$.root().children().length, 0);
});

Deno.test("`createPage()` parses XML content types as XML", () => {
  const rss = "<rss><channel><link>http://example.com/</link><Item>x</Item></channel></rss>";
  const parser = countingParser();
  const page = createPage(fields({ text: rss, contentType: "application/rss+xml" }), parser);
  // HTML would make <link> a void element and lower-case <Item>.
  assert.equal(page.$("channel > link").text(), "http://example.com/");
  assert.equal(page.$("Item").length, 1);
  assert.equal(page.$("item").length, 0);
  assert.deepEqual(parser.calls.map((c) => c.xml), [true]);
});

Deno.test("`isXmlContentType()` is true for XML types except XHTML", () => {
  const cases: [string, boolean][] = [
    ["text/xml", true],
    ["application/xml", true],
    ["application/rss+xml", true],
    ["application/atom+xml", true],
    ["image/svg+xml", true],
    ["application/xhtml+xml", false],
    ["text/html", false],
    ["text/plain", false],
    ["", false],
  ];
  for (const [type, expected] of cases) assert.equal(isXmlContentType(type), expected, type);
});

Deno.test("`fetchPage()` returns a page whose `$` queries the downloaded document", async () => {
  const site = await startTestSite({
    routes: {
      "/": { body: HTML },
      "/latin1": {
        headers: { "content-type": "text/html; charset=iso-8859-1" },
        body: Uint8Array.from("<h1>caf\xe9</h1>", (c) => c.charCodeAt(0)),
      },
    },
  });
  try {
    const page = await fetchPage(site.url("/"), { timeoutMs: 5000, maxBytes: 1 << 20 });
    assert.equal(page.$("h1").text(), "One");
    assert.equal(page.$("p").text(), "Two");
    const latin1 = await fetchPage(site.url("/latin1"), { timeoutMs: 5000, maxBytes: 1 << 20 });
    assert.equal(latin1.$("h1").text(), "café", "`$` reads the decoded text");
  } finally {
    await site.close();
  }
});
