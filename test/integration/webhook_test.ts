/**
 * Webhooks on the real services: actions through Kafka answered by the redis-monitor, and the
 * webhook component (in-process, and as a process killed with SIGKILL) POSTing a test
 * receiver's share of the crawled firehose — every item in order per crawl, never faster than
 * the hook's limit, nothing lost through 500s, a pause or a killed process; signatures verify.
 */

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { crawledFirehose, createIntakeClassifier } from "../../lib/api/mod.ts";
import { createProducer, ensureTopics } from "../../lib/services/mod.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { startComponent } from "../processes.ts";
import { runWebhook } from "../../components/webhook/service.ts";
import { WEBHOOK_SETTINGS } from "../../components/webhook/settings.ts";
import { SIGNATURE_HEADER, signBody } from "../../components/webhook/signature.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { loadPlugins, loadPluginsToClassify } from "../../components/kafka-monitor/plugin.ts";

/** One POST the receiver got. */
interface Arrival {
  at: number;
  items: { crawlid: string; url: string; n: number }[];
  body: string;
  signature: string | null;
}

/** A local HTTP receiver answering with `status()`. */
function receiver(status: () => number = () => 200) {
  const arrivals: Arrival[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const at = Date.now();
    const body = await req.text();
    const code = status();
    if (code >= 200 && code < 300) {
      arrivals.push({
        at,
        items: JSON.parse(body),
        body,
        signature: req.headers.get(SIGNATURE_HEADER),
      });
    }
    return new Response(null, { status: code });
  });
  return {
    arrivals,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    close: () => server.shutdown(),
  };
}

function item(appid: string, crawlid: string, n: number) {
  return {
    appid,
    crawlid,
    url: `http://example.com/${crawlid}/${n}`,
    n,
    body: "x",
    status_code: 200,
  };
}

async function produceItems(f: ApiFixture, items: object[]): Promise<void> {
  const producer = createProducer(f.kafka);
  await producer.connect();
  await producer.send({
    topic: crawledFirehose(f.prefix),
    acks: -1,
    messages: items.map((i) => ({ value: JSON.stringify(i) })),
  });
  await producer.disconnect();
}

function webhookSettings(f: ApiFixture, overrides: Record<string, unknown> = {}) {
  return loadSettings(WEBHOOK_SETTINGS, {
    env: f.env(),
    overrides: {
      KAFKA_TOPIC_PREFIX: f.prefix,
      WEBHOOK_GROUP: randomName("wh"),
      ALLOW_PRIVATE_ADDRESSES: true,
      WEBHOOK_REFRESH: 0.2,
      WEBHOOK_RETRY_MIN: 0.05,
      WEBHOOK_RETRY_MAX: 0.2,
      ...overrides,
    },
  });
}

function startWebhook(f: ApiFixture, overrides: Record<string, unknown> = {}) {
  const stop = new AbortController();
  const redis = new Redis(f.redisUrl);
  const running = runWebhook(
    { settings: webhookSettings(f, overrides), redis, log: getLog("webhook", "test") },
    stop.signal,
  ).finally(() => redis.quit());
  return async () => {
    stop.abort();
    await running;
  };
}

async function action(f: ApiFixture, request: Record<string, unknown>) {
  const uuid = randomName("u");
  await f.feed({ ...request, uuid });
  return await f.answer((a) => a.uuid === uuid, `answer to ${request.action}`);
}

/** Every crawl's items in the order received, each crawl's `n` values. */
function perCrawl(arrivals: Arrival[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const a of arrivals) {
    for (const i of a.items) out.set(i.crawlid, [...(out.get(i.crawlid) ?? []), i.n]);
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

Deno.test("webhook: every item in order per crawl, batched, rate-limited and signed", async () => {
  const f = await ApiFixture.start();
  const rx = receiver();
  await ensureTopics(f.kafka, [crawledFirehose(f.prefix)]);
  const stopWebhook = startWebhook(f);
  try {
    const added = await action(f, {
      action: "webhook-add",
      appid: "app1",
      url: rx.url,
      batch_size: 4,
      max_per_sec: 5,
      secret: "s3cret",
    });
    assert.equal(added.error, undefined, JSON.stringify(added));
    const hook = added.hook as Record<string, unknown>;
    assert.equal(hook.signed, true);
    assert.equal(hook.secret, undefined);
    // Another app's items and unrelated messages are not delivered.
    await eventually(async () => (await f.redis.hlen(`webhooks:app:app1`)) === 1);
    await new Promise((r) => setTimeout(r, 500)); // the lanes read the hook
    const items = range(15).flatMap((n) => [item("app1", "ca", n), item("app1", "cb", n)]);
    await produceItems(f, [...items.slice(0, 10), item("other", "cz", 0), ...items.slice(10)]);
    await eventually(() => rx.arrivals.flatMap((a) => a.items).length >= 30, {
      timeoutMs: 30_000,
      what: "30 items",
    });
    const crawls = perCrawl(rx.arrivals);
    assert.deepEqual(crawls.get("ca"), range(15));
    assert.deepEqual(crawls.get("cb"), range(15));
    assert.equal(crawls.has("cz"), false);
    for (const a of rx.arrivals) {
      assert.ok(a.items.length <= 4, `batch of ${a.items.length}`);
      assert.equal(a.signature, await signBody("s3cret", a.body));
    }
    const gaps = rx.arrivals.slice(1).map((a, i) => a.at - rx.arrivals[i].at);
    assert.ok(gaps.every((g) => g >= 200), `gaps under 200 ms: ${gaps}`);
    const list = await action(f, { action: "webhook-list", appid: "app1" });
    const listed = (list.hooks as Record<string, unknown>[])[0];
    assert.equal(listed.state, "active");
    assert.equal(listed.delivered, 30);
  } finally {
    await stopWebhook();
    await rx.close();
    await f.close();
  }
});

Deno.test("webhook: a receiver answering 500 for a while loses nothing", async () => {
  const f = await ApiFixture.start();
  let failing = 6;
  const rx = receiver(() => (failing-- > 0 ? 500 : 200));
  await ensureTopics(f.kafka, [crawledFirehose(f.prefix)]);
  const stopWebhook = startWebhook(f, { WEBHOOK_MAX_FAILURES: 100 });
  try {
    await action(f, {
      action: "webhook-add",
      appid: "app2",
      url: rx.url,
      batch_size: 3,
      max_per_sec: 50,
    });
    await new Promise((r) => setTimeout(r, 500));
    await produceItems(f, range(20).map((n) => item("app2", "c", n)));
    await eventually(() => rx.arrivals.flatMap((a) => a.items).length >= 20, {
      timeoutMs: 30_000,
      what: "20 items",
    });
    assert.ok(failing < 0, "the receiver failed first");
    assert.deepEqual(perCrawl(rx.arrivals).get("c"), range(20));
  } finally {
    await stopWebhook();
    await rx.close();
    await f.close();
  }
});

Deno.test("webhook: a paused hook shows in webhook-list; webhook-add resumes it with its parked items", async () => {
  const f = await ApiFixture.start();
  let up = false;
  const rx = receiver(() => (up ? 200 : 503));
  await ensureTopics(f.kafka, [crawledFirehose(f.prefix)]);
  const stopWebhook = startWebhook(f, { WEBHOOK_MAX_FAILURES: 2 });
  try {
    const add = {
      action: "webhook-add",
      appid: "app3",
      url: rx.url,
      crawlid: "c",
      max_per_sec: 50,
    };
    await action(f, add);
    await new Promise((r) => setTimeout(r, 500));
    await produceItems(f, range(12).map((n) => item("app3", "c", n)));
    const paused = await eventually(async () => {
      const list = await action(f, { action: "webhook-list", appid: "app3" });
      const hook = (list.hooks as Record<string, unknown>[])[0];
      return hook.state === "paused" && hook.parked === 12 ? hook : false;
    }, { timeoutMs: 30_000, what: "the hook paused with 12 items parked" });
    assert.equal(paused.failures, 2);
    assert.equal(paused.last_error, "HTTP 503");
    up = true;
    const resumed = await action(f, add);
    assert.equal(resumed.resumed, true);
    await eventually(() => rx.arrivals.flatMap((a) => a.items).length >= 12, {
      timeoutMs: 30_000,
      what: "12 items",
    });
    assert.deepEqual(perCrawl(rx.arrivals).get("c"), range(12));
    const stats = await eventually(async () => {
      const answer = await action(f, { stats: "webhook", appid: "app3" } as never);
      const plugins = answer.plugins as Record<string, Record<string, number>> | undefined;
      return plugins?.paused?.lifetime === 1 ? answer : false;
    }, { what: "stats of kind webhook counting the pause" });
    assert.ok((stats.nodes as Record<string, string[]>) !== undefined, JSON.stringify(stats));
  } finally {
    await stopWebhook();
    await rx.close();
    await f.close();
  }
});

Deno.test("webhook: a process killed mid-delivery loses nothing", async () => {
  const f = await ApiFixture.start();
  const rx = receiver();
  await ensureTopics(f.kafka, [crawledFirehose(f.prefix)]);
  const group = randomName("wh");
  const env = {
    ...f.env(),
    KAFKA_TOPIC_PREFIX: f.prefix,
    WEBHOOK_GROUP: group,
    ALLOW_PRIVATE_ADDRESSES: "true",
    WEBHOOK_REFRESH: "0.2",
    LOG_LEVEL: "WARNING",
  };
  let first = startComponent("webhook", ["run"], env);
  try {
    await action(f, {
      action: "webhook-add",
      appid: "app4",
      url: rx.url,
      batch_size: 2,
      max_per_sec: 20,
    });
    await produceItems(f, range(60).map((n) => item("app4", "c", n)));
    await eventually(() => rx.arrivals.length >= 5, { timeoutMs: 30_000, what: "first POSTs" });
    await first.kill();
    const before = rx.arrivals.flatMap((a) => a.items).length;
    assert.ok(before < 60, "killed mid-delivery");
    first = startComponent("webhook", ["run"], env);
    const all = () => new Set(rx.arrivals.flatMap((a) => a.items.map((i) => i.n)));
    await eventually(() => all().size === 60, { timeoutMs: 60_000, what: "all 60 items" });
    const received = rx.arrivals.flatMap((a) => a.items).length;
    const duplicates = received - 60;
    assert.deepEqual([...all()].sort((a, b) => a - b), range(60), `duplicates: ${duplicates}`);
    console.log(`killed after ${before} items; ${duplicates} duplicate(s) delivered again`);
  } finally {
    await first.stop();
    await rx.close();
    await f.close();
  }
});

Deno.test("webhook: a hook on a private address is refused without ALLOW_PRIVATE_ADDRESSES", async () => {
  const f = await ApiFixture.start();
  try {
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, { env: f.env() });
    // A literal private address is refused at intake (REST answers 400 with this cause).
    const plugins = await loadPluginsToClassify(settings.PLUGINS, {
      settings,
      redis: f.redis,
      log: getLog("rest", "test"),
    });
    const classifier = createIntakeClassifier(plugins, settings);
    const add = { action: "webhook-add", appid: "app5", uuid: "u5", url: "http://10.1.2.3/hook" };
    const refused = classifier.classify(add);
    assert.ok(!refused.ok && /private/.test(refused.cause), JSON.stringify(refused));
    // REST /feed accepts a public one, classified for the webhook handler.
    const ok = classifier.classify({ ...add, url: "https://hooks.example.com/x" });
    assert.ok(ok.ok && ok.plugin.name === "WebhookHandler");
    // A name that resolves to a private address gets an error answer.
    const loaded = await loadPlugins(settings.PLUGINS, {
      settings,
      redis: f.redis,
      log: getLog("kafka-monitor", "test"),
    });
    const handler = loaded.find((p) => p.plugin.name === "WebhookHandler")!.plugin;
    const batch = f.redis.multi();
    await handler.handle({ ...add, url: "http://localhost.:8080/hook", uuid: "u6" }, batch);
    await batch.exec();
    await handler.close?.();
    const answer = await f.answer((a) => a.uuid === "u6");
    assert.match(String(answer.error), /url refused: .*ALLOW_PRIVATE_ADDRESSES/);
    assert.equal(await f.redis.hlen("webhooks:app:app5"), 0);
  } finally {
    await f.close();
  }
});
