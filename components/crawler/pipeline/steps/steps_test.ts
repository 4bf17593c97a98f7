import assert from "node:assert/strict";
import { REQUEST_DEFAULTS } from "../../../../lib/api/mod.ts";
import { ParseError, PoisonRequestError } from "../errors.ts";
import { createPage } from "../../page.ts";
import type { FetchedPage, QueuedRequest, Spider } from "../../spider.ts";
import { decodeRequest, urlOf } from "./decode.ts";
import { shouldRetryStatus } from "./fetch.ts";
import { parseStep } from "./parse.ts";

const page: FetchedPage = createPage({
  url: "http://a.com/",
  responseUrl: "http://a.com/",
  status: 200,
  statusText: "OK",
  headers: {},
  requestHeaders: {},
  body: new Uint8Array(),
  text: "",
  encoding: "utf-8",
  truncated: false,
  contentType: "text/html",
});
const request = { url: "http://a.com/", appid: "a", crawlid: "c", priority: 1 } as QueuedRequest;

Deno.test("`decodeRequest()` returns a request and throws poison for anything else", () => {
  // The schema's defaults a compact member leaves out come back.
  assert.deepEqual(decodeRequest('{"url":"http://a.com"}'), {
    url: "http://a.com",
    ...REQUEST_DEFAULTS,
  });
  for (const member of ["not json", "[1]", "null", '"http://a.com"', '{"url":5}']) {
    assert.throws(() => decodeRequest(member), PoisonRequestError, member);
  }
  assert.equal(urlOf('{"url":"http://a.com"}'), "http://a.com");
  assert.equal(urlOf("not json"), "");
});

Deno.test("`shouldRetryStatus()` retries a retryable status while retries are left", () => {
  const codes = new Set([500, 503]);
  assert.equal(shouldRetryStatus(503, {}, codes, 2), true);
  assert.equal(shouldRetryStatus(503, { retry_times: 1 }, codes, 2), true);
  assert.equal(shouldRetryStatus(503, { retry_times: 2 }, codes, 2), false, "then a page");
  assert.equal(shouldRetryStatus(404, {}, codes, 2), false);
});

Deno.test("`parseStep()` turns a throwing, rejecting or broken parse into a ParseError", async () => {
  const spiders: Spider["parse"][] = [
    () => {
      throw new Error("boom");
    },
    () => Promise.reject(new Error("boom")),
  ];
  for (const parse of spiders) {
    await assert.rejects(parseStep({ name: "s", parse }, page, request), (err) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.message, "parse failed: boom");
      return true;
    });
  }
  const broken = (() => undefined) as unknown as Spider["parse"];
  await assert.rejects(parseStep({ name: "s", parse: broken }, page, request), ParseError);
  const output = { item: null, requests: [] };
  assert.equal(await parseStep({ name: "s", parse: () => output }, page, request), output);
});
