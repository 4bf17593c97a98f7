/**
 * End-to-end: the rest service wired to the real Kafka and Redis, with a kafka-monitor and
 * redis-monitor running in-process (see `api_fixture.ts`) on random topics and a Redis
 * database of their own; each test also on the test Redis Cluster. Run with
 * `deno task test test/e2e/rest_test.ts`.
 */

import assert from "node:assert/strict";
import { hostName } from "../../lib/stats/mod.ts";
import { getLog } from "../../lib/config/mod.ts";
import type { RedisClient } from "../../lib/services/mod.ts";
import type { Routed } from "../../components/rest/answers.ts";
import { type RestService, startRestService } from "../../components/rest/service.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { queued, testOnEachRedis } from "./redis_kinds.ts";

interface Instance {
  service: RestService;
  answers: Routed[];
  /** POSTs JSON (or GETs `/` without a body) through the handler, without sockets. */
  call(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

async function startRest(
  f: ApiFixture<RedisClient>,
  overrides: Record<string, unknown> = {},
): Promise<Instance> {
  const settings = f.restSettings({}, {
    // Served on a free port (port 0): the Host check then accepts any port of localhost.
    REST_PORT: 0,
    ...overrides,
  });
  const answers: Routed[] = [];
  const service = await startRestService(settings, {
    log: getLog("rest", "test"),
    id: crypto.randomUUID().slice(-12),
    onAnswer: (event) => answers.push(event),
  });
  return {
    service,
    answers,
    async call(path, body) {
      const res = await service.handler(
        new Request(`http://localhost${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { "content-type": "application/json" },
          body: body === undefined ? null : JSON.stringify(body),
        }),
      );
      return { status: res.status, json: await res.json() };
    },
  };
}

testOnEachRedis(
  "rest feeds a crawl and answers a stats request inline, over HTTP",
  async (kind) => {
    const f = await ApiFixture.start({ redisKind: kind });
    const rest = await startRest(f);
    const stop = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen: () => {} },
      rest.service.handler,
    );
    const url = `http://127.0.0.1:${server.addr.port}`;
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    try {
      const health = await (await fetch(url)).json();
      assert.equal(health.node_health, "GREEN");
      assert.equal(health.my_id, rest.service.id);

      const crawlid = randomName("c");
      const crawl = await post("/feed", { url: "http://example.com", appid: "testapp", crawlid });
      assert.equal(crawl.status, 200);
      assert.deepEqual(await crawl.json(), { data: null, error: null, status: "SUCCESS" });
      const members = await eventually(
        () => queued(f.redis, "link", "example.com").then((m) => m.length ? m : undefined),
        { what: "the crawl request in Redis" },
      );
      assert.equal(JSON.parse(members[0]).crawlid, crawlid);

      // The Rest chapter's example: a stats request (stats defaults to "all").
      const uuid = randomName("s");
      const stats = await post("/feed", { uuid, appid: "stuff" });
      assert.equal(stats.status, 200);
      const body = await stats.json();
      assert.equal(body.status, "SUCCESS");
      assert.equal(body.data.uuid, uuid);
      assert.equal(body.data.stats, "all");
      assert.deepEqual(body.data.rest.nodes, { [hostName()]: [rest.service.id] });
      assert.ok(rest.answers.some((a) => a.routed === "delivered" && a.uuid === uuid));

      const bad = await post("/feed", { url: "http://example.com", appid: "testapp" });
      assert.equal(bad.status, 400);
      assert.equal(
        (await bad.json()).error.cause,
        "scraper request: must have required property 'crawlid'",
      );

      // Scrapy Cluster's Flask app: GET /feed falls to its catch-all (404), PUT has no route (405).
      const get = await fetch(`${url}/feed`);
      assert.equal(get.status, 404);
      assert.deepEqual(await get.json(), {
        data: null,
        error: { message: "The desired endpoint does not exist" },
        status: "FAILURE",
      });
      const put = await fetch(`${url}/feed`, { method: "PUT" });
      assert.equal(put.status, 405);
      await put.body?.cancel();
    } finally {
      stop.abort();
      await server.finished;
      await rest.service.close();
      await f.close();
    }
  },
);

testOnEachRedis(
  "rest answers a poll_id while the redis-monitor is stopped; any instance polls it",
  async (kind) => {
    const f = await ApiFixture.start({ redisMonitors: 0, redisKind: kind });
    const a = await startRest(f, { WAIT_FOR_RESPONSE_TIME: 0.5 });
    const b = await startRest(f, { WAIT_FOR_RESPONSE_TIME: 0.5 });
    try {
      const uuid = randomName("i");
      const info = { action: "info", appid: "testapp", uuid, spiderid: "link", crawlid: "c1" };
      const fed = await a.call("/feed", info);
      assert.equal(fed.status, 200);
      assert.deepEqual(fed.json, { data: { poll_id: uuid }, error: null, status: "SUCCESS" });
      const early = await b.call("/poll", { poll_id: uuid });
      assert.equal(early.status, 404);
      assert.equal(
        (early.json.error as { message: string }).message,
        "Could not find matching poll_id",
      );

      await f.startRedisMonitor();
      // Both instances see the answer and store it; wait for both so the second poll is decisive.
      await eventually(
        () => [a, b].every((r) => r.answers.some((e) => e.routed === "stored" && e.uuid === uuid)),
        { what: "both instances storing the answer", timeoutMs: 20_000 },
      );
      const ttl = await f.redis.ttl(`rest:poll:${uuid}`);
      assert.ok(ttl > 3500 && ttl <= 3600, `POLL_TTL applied (${ttl})`);
      const polled = await b.call("/poll", { poll_id: uuid });
      assert.equal(polled.status, 200);
      assert.equal(polled.json.status, "SUCCESS");
      const data = polled.json.data as Record<string, unknown>;
      assert.equal(data.uuid, uuid);
      assert.equal(data.crawlid, "c1");
      assert.equal(data.total_pending, 0);
      assert.equal(await f.redis.exists(`rest:poll:${uuid}`), 0, "taken from Redis");

      for (const r of [b, a]) assert.equal((await r.call("/poll", { poll_id: uuid })).status, 404);
      assert.equal((await a.call("/")).json.node_health, "GREEN");
    } finally {
      await a.service.close();
      await b.service.close();
      await f.close();
    }
  },
);

testOnEachRedis(
  "rest classifies /feed with the kafka-monitor's PLUGINS and MAXDEPTH_LIMIT",
  async (kind) => {
    const f = await ApiFixture.start({ redisMonitors: 0, redisKind: kind });
    // Only the custom plugin (which takes stats requests): every built-in is disabled.
    const custom = await startRest(f, {
      WAIT_FOR_RESPONSE_TIME: 0.2,
      PLUGINS: {
        "components/kafka-monitor/testdata/upper_plugin.ts": 50,
        scraper_handler: null,
        action_handler: null,
        stats_handler: null,
        zookeeper_handler: null,
      },
    });
    const shallow = await startRest(f, { MAXDEPTH_LIMIT: 1 });
    const crawl = { url: "http://example.com", appid: "testapp", crawlid: randomName("c") };
    const cause = (r: { json: Record<string, unknown> }) =>
      (r.json.error as { cause?: string } | null)?.cause;
    try {
      const uuid = randomName("s");
      const stats = await custom.call("/feed", { appid: "testapp", uuid });
      assert.equal(stats.status, 200, JSON.stringify(stats.json));
      assert.deepEqual(stats.json.data, { poll_id: uuid });
      const refused = await custom.call("/feed", crawl);
      assert.equal(refused.status, 400);
      assert.equal(cause(refused), "no loaded plugin handles scraper requests (see PLUGINS)");
      const info = await custom.call("/feed", {
        action: "info",
        appid: "testapp",
        uuid,
        spiderid: "link",
      });
      assert.equal(info.status, 400);
      assert.equal(cause(info), "no loaded plugin handles action requests (see PLUGINS)");

      const deep = await shallow.call("/feed", { ...crawl, maxdepth: 2 });
      assert.equal(deep.status, 400);
      assert.equal(cause(deep), "scraper request: /maxdepth must be <= 1");
      assert.equal((await shallow.call("/feed", { ...crawl, maxdepth: 1 })).status, 200);
    } finally {
      await custom.service.close();
      await shallow.service.close();
      await f.close();
    }
  },
);

testOnEachRedis(
  "rest feeds Scrapy Cluster's KAFKA_PRODUCER_TOPIC, which wins over KAFKA_INCOMING_TOPIC",
  async (kind) => {
    const f = await ApiFixture.start({ redisKind: kind });
    // The kafka-monitor reads <prefix>.incoming: only a message fed there is answered.
    const rest = await startRest(f, {
      KAFKA_INCOMING_TOPIC: `${f.prefix}.not-read`,
      KAFKA_PRODUCER_TOPIC: `${f.prefix}.incoming`,
    });
    try {
      const uuid = randomName("s");
      const stats = await rest.call("/feed", { uuid, appid: "testapp", stats: "kafka-monitor" });
      assert.equal(stats.status, 200, JSON.stringify(stats.json));
      const data = stats.json.data as Record<string, unknown>;
      assert.equal(data.uuid, uuid, "answered inline: the kafka-monitor got the request");
      assert.equal(data.stats, "kafka-monitor");
    } finally {
      await rest.service.close();
      await f.close();
    }
  },
);
