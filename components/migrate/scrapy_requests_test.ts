import assert from "node:assert/strict";
import { flattenScrapyRequest } from "./scrapy_requests.ts";

Deno.test("flattenScrapyRequest: meta's fields at the top, the request's url, Scrapy's internals dropped", () => {
  const member = JSON.stringify({
    url: "http://example.com/b",
    callback: "parse",
    method: "GET",
    headers: {},
    meta: {
      url: "http://example.com/",
      appid: "app",
      crawlid: "c1",
      curdepth: 1,
      priority: -9,
      download_slot: "example.com",
      depth: 1,
    },
    priority: 0,
    dont_filter: true,
  }).replaceAll("/", "\\/");
  assert.deepEqual(JSON.parse(flattenScrapyRequest(member)!), {
    url: "http://example.com/b",
    appid: "app",
    crawlid: "c1",
    curdepth: 1,
    priority: -9,
    dont_filter: true,
  });
});

Deno.test("flattenScrapyRequest leaves crawl requests and anything else alone", () => {
  assert.equal(flattenScrapyRequest('{"url":"http://a.com/","appid":"app","crawlid":"c"}'), null);
  assert.equal(flattenScrapyRequest('{"url":"http://a.com/","meta":"x"}'), null);
  assert.equal(flattenScrapyRequest('{"meta":{"appid":"a"}}'), null);
  assert.equal(flattenScrapyRequest('not json "meta"'), null);
});
