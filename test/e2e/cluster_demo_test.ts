/**
 * `deno task cluster --demo` end to end: `up({ demo })` on the test services with every real
 * component as a process; the demo site's pages arrive on the firehose, the robots.txt-only
 * page is refused, the progress is shown in plain lines (not a TTY) and summed up, and the
 * cluster stops cleanly.
 */
import assert from "node:assert/strict";
import { up } from "../../components/cluster/cluster.ts";
import { DEMO_APPID } from "../../components/cluster/demo.ts";
import { DEMO_PAGES, demoPage, startDemoSite } from "../../components/cluster/demo_site.ts";
import type { WatchSummary } from "../../components/kafka-monitor/watch_render.ts";
import { dumpTopic } from "../../components/kafkadump/dump.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { createKafka, ensureTopics } from "../../lib/services/mod.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";

Deno.test("the demo site serves its pages, robots.txt and 404s", async () => {
  const site = await startDemoSite();
  try {
    assert.match(site.address, /^127\.0\.0\.[12]$/);
    for (const path of DEMO_PAGES) {
      const res = await fetch(`${site.origin}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), demoPage(path));
    }
    const robots = await fetch(`${site.origin}/robots.txt`);
    assert.equal(await robots.text(), "User-agent: *\nDisallow: /drafts/\n");
    const missing = await fetch(`${site.origin}/rivers/9.html`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    assert.equal(site.hits.get("/"), 1);
  } finally {
    await site.close();
  }
  assert.equal(DEMO_PAGES.length, 21);
});

Deno.test("up({ demo }) crawls the demo site, shows its progress and stops cleanly", async () => {
  const prefix = randomName("demo");
  const env = {
    ...Deno.env.toObject(),
    ...serviceEnv(),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: randomName("group"),
    WEBHOOK_GROUP: randomName("webhooks"),
    ZOOKEEPER_ASSIGN_PATH: `/${prefix}/crawler/`,
    REST_PORT: "0", // the usual 5343 may be taken on a shared machine
    LOG_LEVEL: "WARNING",
  };
  const kafka = createKafka(env.KAFKA_HOSTS, "cluster-demo-test");
  const firehose = crawledFirehose(prefix);
  await ensureTopics(kafka, [firehose]);
  const pages = new Map<string, number>();
  const stopDump = new AbortController();
  const ready = Promise.withResolvers<void>();
  const dumping = dumpTopic(kafka, firehose, {
    fromBeginning: true,
    signal: stopDump.signal,
    onReady: () => ready.resolve(),
    write: (line) => {
      const item = JSON.parse(line);
      if (item.appid !== DEMO_APPID) return;
      pages.set(new URL(item.url).pathname, item.status_code);
    },
  });
  await ready.promise;

  let output = "";
  let summary: WatchSummary | null = null;
  const stop = new AbortController();
  const running = up({
    env,
    demo: {
      tty: false,
      write: (text) => output += text,
      idleSec: 2,
      onSummary: (s) => summary = s,
    },
    signal: stop.signal,
  });
  try {
    await eventually(() => DEMO_PAGES.every((p) => pages.get(p) === 200) || undefined, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `every demo page on the firehose (got ${[...pages.keys()].sort().join(" ")})`,
    });
    const done = await eventually(() => summary ?? undefined, {
      timeoutMs: 60_000,
      what: "the demo's summary",
    });
    assert.equal(done.ending, "finished");
    assert.equal(done.done, DEMO_PAGES.length);
    assert.equal(done.refused, 1, "robots.txt kept the crawler out of /drafts/");
    assert.equal(done.errors, 0);
    assert.ok(!pages.has("/drafts/"));
  } finally {
    stop.abort();
    assert.equal(await running, 0);
    stopDump.abort();
    await dumping;
  }
  assert.ok(!output.includes("\r") && !output.includes("\x1b"), "plain output off a TTY");
  assert.match(output, /^Demo site http:\/\/127\.0\.0\.[12]:\d+\/ \(21 pages/m);
  assert.match(output, /^Throttle of 127\.0\.0\.[12]: 10 pages per 2 s/m);
  assert.match(output, /^demo \[\d+s\] \d+ done, \d+ pending, /m);
  assert.match(output, /^ {2}21 pages done, 0 errors, 1 refused, 0 pending, in /m);
  assert.match(output, /^Crawl Cluster is up/m);
  assert.match(output, /^crawler +\| /m, "component output goes through the display");
});
