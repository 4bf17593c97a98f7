/**
 * Per-key scopes of `REST_API_KEYS` through the whole handler (`createApp`): which key may feed,
 * poll, stop and change ZooKeeper, and the 403 that names the missing scope.
 */

import assert from "node:assert/strict";
import { AnswerWaiters } from "./answers.ts";
import { apiKeyCheck, parseApiKeys, scopeForRequest } from "./auth.ts";
import { createApp } from "./app.ts";

const BASE = "http://localhost:5343";
const PLUGINS = [
  { rank: 100, key: "scraper_handler", plugin: { name: "ScraperHandler", schema: "scraper" } },
  { rank: 200, key: "action_handler", plugin: { name: "ActionHandler", schema: "action" } },
  { rank: 300, key: "stats_handler", plugin: { name: "StatsHandler", schema: "stats" } },
  { rank: 400, key: "zookeeper_handler", plugin: { name: "ZkHandler", schema: "zookeeper" } },
];
const KEYS = ["dash:poll", "ops:feed+poll+admin", "app:feed,poll", "legacy"];
const CRAWL = { url: "http://example.com", appid: "app", crawlid: "crawl1" };
const STOP = { action: "stop", appid: "app", uuid: "uuid1", spiderid: "link", crawlid: "crawl1" };
const INFO = { ...STOP, action: "info" };
const STATS = { stats: "all", appid: "app", uuid: "uuid2" };
const ZOOKEEPER = { action: "domain-remove", domain: "example.com", appid: "app", uuid: "uuid3" };

function setup() {
  const sent: string[] = [];
  const answers = new AnswerWaiters();
  const app = createApp({
    settings: {
      WAIT_FOR_RESPONSE_TIME: 0,
      MAX_BODY_BYTES: 1024 * 1024,
      REQUEST_TIMEOUT: 5,
      CORS_ALLOWED_ORIGINS: [],
      REST_API_KEYS: KEYS,
      MAXDEPTH_LIMIT: 3,
      REST_HOST: "127.0.0.1",
      REST_PORT: 5343,
    },
    plugins: PLUGINS,
    feeder: {
      connected: true,
      send: (json) => {
        sent.push(json);
        return Promise.resolve();
      },
    },
    answers: { connected: true, expect: (uuid) => answers.expect(uuid) },
    polls: { connected: true, take: () => Promise.resolve('{"done":true}') },
  });
  const post = (path: string, key: string, body: unknown) =>
    app(
      new Request(`${BASE}${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json", "x-api-key": key },
      }),
    );
  return { sent, post };
}

Deno.test("a poll-only dashboard key cannot stop a crawl: 403 naming the missing scope", async () => {
  const t = setup();
  const res = await t.post("/feed", "dash", STOP);
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.equal(body.status, "FAILURE");
  assert.equal(body.error.message, "This API key is not allowed to make this request.");
  assert.match(body.error.cause, /^missing scope 'admin': action 'stop' needs it/);
  assert.deepEqual(t.sent, [], "nothing reached Kafka");
  // What the dashboard may do.
  assert.equal((await t.post("/poll", "dash", { poll_id: "p1" })).status, 200);
  const crawl = await t.post("/feed", "dash", CRAWL);
  assert.equal(crawl.status, 403);
  assert.match((await crawl.json()).error.cause, /^missing scope 'feed': a crawl request/);
});

Deno.test("an admin key stops a crawl; a legacy key without scopes may do everything", async () => {
  const t = setup();
  for (const key of ["ops", "legacy"]) {
    for (const body of [STOP, ZOOKEEPER, CRAWL, INFO, STATS]) {
      const res = await t.post("/feed", key, body);
      assert.equal(res.status, 200, `${key}: ${JSON.stringify(body)} → ${await res.text()}`);
    }
    assert.equal((await t.post("/poll", key, { poll_id: "p" })).status, 200);
  }
  assert.equal(t.sent.filter((json) => JSON.parse(json).action === "stop").length, 2);
});

Deno.test("a feed key feeds crawls, info and stats but not stop or ZooKeeper changes", async () => {
  const t = setup();
  for (const body of [CRAWL, INFO, STATS]) {
    assert.equal((await t.post("/feed", "app", body)).status, 200, JSON.stringify(body));
  }
  for (const body of [STOP, ZOOKEEPER]) {
    const res = await t.post("/feed", "app", body);
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.cause, /missing scope 'admin'.*'feed', 'poll'$/);
  }
  // A wrong key is still 401, before any scope.
  assert.equal((await t.post("/feed", "nope", CRAWL)).status, 401);
});

Deno.test("`parseApiKeys()` reads scopes, keeps old keys whole and refuses what looks wrong", () => {
  const keys = parseApiKeys(["a:poll", "b:feed+admin", "c:feed,poll", "d", "e:f:admin", "x:y"]);
  assert.deepEqual(
    keys.map((k) => [k.key, [...k.scopes].sort()]),
    [
      ["a", ["poll"]],
      ["b", ["admin", "feed"]],
      ["c", ["feed", "poll"]],
      ["d", ["admin", "feed", "poll"]],
      ["e:f", ["admin"]],
      ["x:y", ["admin", "feed", "poll"]], // no scope name after ':': a key from before scopes
    ],
  );
  assert.throws(() => parseApiKeys(["a:feed", "poll"]), /entry 'poll' is a scope name/);
  assert.throws(() => parseApiKeys(["a:feed+reed"]), /unknown scope 'reed'/);
});

Deno.test("`apiKeyCheck()` gives the scopes of the key presented", () => {
  const check = apiKeyCheck(parseApiKeys(["k1:poll", "k2"]))!;
  const req = (key: string) => new Request(BASE, { headers: { "x-api-key": key } });
  assert.deepEqual([...check(req("k1"))!], ["poll"]);
  assert.equal(check(req("k2"))!.size, 3);
  assert.equal(check(req("k3")), null);
});

Deno.test("`scopeForRequest()`: webhook changes are admin, webhook-list and info are feed", () => {
  assert.equal(scopeForRequest("webhook", { action: "webhook-add" }), "admin");
  assert.equal(scopeForRequest("webhook", { action: "webhook-remove" }), "admin");
  assert.equal(scopeForRequest("webhook", { action: "webhook-list" }), "feed");
  assert.equal(scopeForRequest("action", { action: "expire" }), "admin");
  assert.equal(scopeForRequest("action", { action: "info" }), "feed");
  assert.equal(scopeForRequest("my_custom", {}), "admin");
});
