import assert from "node:assert/strict";
import { crawledAppTopic, crawledFirehose, outboundAppTopic, outboundFirehose } from "./topics.ts";

Deno.test("topic names follow Scrapy Cluster's layout", () => {
  assert.equal(crawledFirehose("demo"), "demo.crawled_firehose");
  assert.equal(outboundFirehose("demo"), "demo.outbound_firehose");
  assert.equal(crawledAppTopic("demo", "testapp"), "demo.crawled_testapp");
  assert.equal(outboundAppTopic("demo", "test-app.v2"), "demo.outbound_test-app.v2");
});

Deno.test("crawledAppTopic() makes any appid a valid topic name", () => {
  assert.equal(crawledAppTopic("demo", "my app/é"), "demo.crawled_my_app__");
  assert.equal(crawledAppTopic("demo", "x".repeat(400)).length, 249);
});
