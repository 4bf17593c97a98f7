import assert from "node:assert/strict";
import { errorItem, itemTimestamp, ItemTooLargeError, serializeItem } from "./result_item.ts";
import { createPage } from "../page.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";
import { createValidator } from "../../../lib/api/mod.ts";

const page = (over: Partial<FetchedPage> = {}): FetchedPage =>
  createPage({
    url: "http://dumb.com",
    responseUrl: "http://dumb.com",
    status: 200,
    statusText: "OK",
    headers: {},
    requestHeaders: {},
    body: new TextEncoder().encode("text"),
    text: "text",
    encoding: "utf-8",
    truncated: false,
    contentType: "text/html",
    ...over,
  });

const item = {
  url: "http://dumb.com",
  response_url: "http://dumb.com",
  status_code: 200,
  status_msg: "OK",
  response_headers: {},
  request_headers: {},
  body: "text",
  links: [],
  attrs: {},
  appid: "app",
  crawlid: "crawlid",
  encoding: "utf-8",
};
const now = new Date("2016-01-05T20:14:54.653Z");

Deno.test("itemTimestamp() matches Scrapy Cluster's format", () => {
  assert.equal(itemTimestamp(now), "2016-01-05T20:14:54.653000");
});

Deno.test("serializeItem() produces the documented firehose payload with sorted keys", () => {
  const { json, truncated } = serializeItem(item, page(), { base64: false, maxBytes: 1e6, now });
  assert.equal(truncated, false);
  assert.equal(
    json,
    '{"appid":"app","attrs":{},"body":"text","crawlid":"crawlid","encoding":"utf-8","links":[],' +
      '"request_headers":{},"response_headers":{},"response_url":"http://dumb.com",' +
      '"status_code":200,"status_msg":"OK","timestamp":"2016-01-05T20:14:54.653000",' +
      '"url":"http://dumb.com"}',
  );
});

Deno.test("serializeItem() base64-encodes the body with KAFKA_BASE_64_ENCODE", () => {
  const { json } = serializeItem(item, page(), { base64: true, maxBytes: 1e6, now });
  assert.equal(JSON.parse(json).body, "dGV4dA==");
  assert.equal(JSON.parse(json).encoding, "utf-8");
});

Deno.test("serializeItem() sends binary bodies as base64 with encoding 'base64'", () => {
  const png = page({ text: null, encoding: null, body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) });
  const out = JSON.parse(
    serializeItem({ ...item, body: "" }, png, { base64: false, maxBytes: 1e6 }).json,
  );
  assert.equal(out.body, "iVBORw==");
  assert.equal(out.encoding, "base64");
});

Deno.test("serializeItem() cuts an oversized body to fit and flags it", () => {
  const big = "é".repeat(600_000); // 1.2 MB of UTF-8
  const { json, truncated } = serializeItem({ ...item, body: big }, page({ text: big }), {
    base64: false,
    maxBytes: 1_048_576,
  });
  assert.equal(truncated, true);
  const bytes = new TextEncoder().encode(json).length;
  assert.ok(bytes <= 1_048_576 && bytes > 1_000_000, `${bytes}`);
  const out = JSON.parse(json);
  assert.equal(out.truncated, true);
  assert.ok(out.body.length > 0 && [...out.body].every((c: string) => c === "é"));
});

Deno.test("serializeItem() keeps JSON-escaped bodies under the limit", () => {
  const nasty = '"\u0001\\'.repeat(100_000); // escapes to several times its length
  const { json } = serializeItem({ ...item, body: nasty }, null, {
    base64: false,
    maxBytes: 50_000,
  });
  assert.ok(new TextEncoder().encode(json).length <= 50_000);
  assert.equal(JSON.parse(json).truncated, true);
});

Deno.test("serializeItem() gives up with a clear error when even the headers do not fit", () => {
  const headers = { "x-big": ["v".repeat(5000)] };
  assert.throws(
    () =>
      serializeItem({ ...item, response_headers: headers }, null, {
        base64: false,
        maxBytes: 1000,
      }),
    ItemTooLargeError,
  );
});

const request = {
  url: "http://dumb.com",
  appid: "app",
  crawlid: "crawlid",
  spiderid: "link",
  priority: 1,
  attrs: {},
} as unknown as QueuedRequest;

Deno.test("errorItem() is the raw-response item plus `error`, valid by the result schema", () => {
  const out = JSON.parse(
    serializeItem(errorItem(page(), request, "parse failed: boom"), page(), {
      base64: false,
      maxBytes: 1e6,
      now,
    }).json,
  );
  assert.equal(out.error, "parse failed: boom");
  assert.equal(out.status_code, 200);
  assert.equal(out.body, "text");
  assert.deepEqual(out.links, []);
  const validate = createValidator("crawl_result");
  assert.equal(validate(out).ok, true);
  assert.equal(validate({ ...out, error: 5 }).ok, false, "the schema documents `error` as text");
});

Deno.test("serializeItem() cuts an error item's body like any other and keeps `error`", () => {
  const big = "x".repeat(200_000);
  const bigPage = page({ text: big, body: new TextEncoder().encode(big) });
  const { json, truncated } = serializeItem(
    errorItem(bigPage, request, "parse failed: boom"),
    bigPage,
    {
      base64: false,
      maxBytes: 50_000,
    },
  );
  assert.equal(truncated, true);
  assert.ok(new TextEncoder().encode(json).length <= 50_000);
  const out = JSON.parse(json);
  assert.equal(out.error, "parse failed: boom");
  assert.equal(out.truncated, true);
  assert.ok(createValidator("crawl_result")(out).ok);
});
