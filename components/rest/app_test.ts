import assert from "node:assert/strict";
import { MessageTooLargeError } from "../../lib/services/mod.ts";
import { AnswerWaiters } from "./answers.ts";
import { type AppSettings, createApp, type RestDeps } from "./app.ts";
import type { Feeder } from "./feeder.ts";
import type { PollStore } from "./polls.ts";

const BASE = "http://localhost:5343";
const JSON_TYPE = { "content-type": "application/json" };
const CRAWL = { url: "http://example.com", appid: "testapp", crawlid: "abc123" };

/** The kafka-monitor's default PLUGINS, as /feed sees them (name and schema). */
const BUILTIN_PLUGINS = [
  { rank: 100, key: "scraper_handler", plugin: { name: "ScraperHandler", schema: "scraper" } },
  { rank: 200, key: "action_handler", plugin: { name: "ActionHandler", schema: "action" } },
  { rank: 300, key: "stats_handler", plugin: { name: "StatsHandler", schema: "stats" } },
  {
    rank: 400,
    key: "zookeeper_handler",
    plugin: { name: "ZookeeperHandler", schema: "zookeeper" },
  },
];

/** A feeder recording what it sends; `fail` makes sends fail, `onSend` runs before the ack. */
class FakeFeeder implements Feeder {
  connected = true;
  sent: string[] = [];
  fail: Error | null = null;
  hang = false;
  onSend?: (json: string) => void;
  send(json: string): Promise<void> {
    if (this.fail) return Promise.reject(this.fail);
    if (this.hang) return new Promise(() => {});
    this.sent.push(json);
    this.onSend?.(json);
    return Promise.resolve();
  }
}

class FakeAnswers {
  connected = true;
  readonly waiters = new AnswerWaiters();
  expect(uuid: string) {
    return this.waiters.expect(uuid);
  }
}

class FakePolls implements PollStore {
  connected = true;
  readonly stored = new Map<string, string>();
  fail = false;
  take(pollId: string): Promise<string | null> {
    if (this.fail) return Promise.reject(new Error("connection reset"));
    const value = this.stored.get(pollId) ?? null;
    this.stored.delete(pollId);
    return Promise.resolve(value);
  }
}

function setup(settings: Partial<AppSettings> = {}, extra: Partial<RestDeps> = {}) {
  const feeder = new FakeFeeder();
  const answers = new FakeAnswers();
  const polls = new FakePolls();
  const counted: [string | null, boolean][] = [];
  let clock = 1_000_000;
  const app = createApp({
    settings: {
      WAIT_FOR_RESPONSE_TIME: 0.05,
      MAX_BODY_BYTES: 1024 * 1024,
      REQUEST_TIMEOUT: 5,
      CORS_ALLOWED_ORIGINS: [],
      REST_API_KEYS: [],
      MAXDEPTH_LIMIT: 3,
      REST_HOST: "127.0.0.1",
      REST_PORT: 5343,
      ...settings,
    },
    plugins: BUILTIN_PLUGINS,
    feeder,
    answers,
    polls,
    stats: { count: (endpoint, failed) => counted.push([endpoint, failed]) },
    id: "0123456789ab",
    now: () => clock,
    ...extra,
  });
  return {
    app,
    feeder,
    answers,
    polls,
    counted,
    advance: (ms: number) => clock += ms,
    post: (path: string, body: BodyInit | null, headers: HeadersInit = JSON_TYPE) =>
      app(new Request(`${BASE}${path}`, { method: "POST", body, headers })),
    postJson: (path: string, value: unknown, headers: Record<string, string> = {}) =>
      app(
        new Request(`${BASE}${path}`, {
          method: "POST",
          body: JSON.stringify(value),
          headers: { ...JSON_TYPE, ...headers },
        }),
      ),
  };
}

async function assertFailure(res: Response, status: number, message: string, cause?: string) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/json");
  const error = cause === undefined ? { message } : { cause, message };
  assert.deepEqual(await res.json(), { data: null, error, status: "FAILURE" });
}

async function assertSuccess(res: Response, data: unknown) {
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { data, error: null, status: "SUCCESS" });
}

/** A body that arrives in `chunks` of `size` bytes, without a Content-Length. */
function streamed(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < chunks) controller.enqueue(new Uint8Array(size).fill(0x20));
      else controller.close();
    },
  });
}

Deno.test("`createApp()` answers GET / with the health in Scrapy Cluster's shape", async () => {
  const t = setup();
  t.advance(42_700);
  const res = await t.app(new Request(`${BASE}/`));
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.equal(
    text,
    '{"kafka_connected":true,"my_id":"0123456789ab","node_health":"GREEN",' +
      '"redis_connected":true,"uptime_sec":42}',
  );
});

Deno.test("`createApp()` reports node_health GREEN, YELLOW or RED from the connections", async () => {
  const cases: [boolean, boolean, boolean, string][] = [
    // feeder, answers, redis → health
    [true, true, true, "GREEN"],
    [false, true, true, "YELLOW"],
    [true, false, true, "YELLOW"],
    [true, true, false, "YELLOW"],
    [false, true, false, "RED"],
    [true, false, false, "RED"],
  ];
  for (const [feeder, answers, redis, health] of cases) {
    const t = setup();
    t.feeder.connected = feeder;
    t.answers.connected = answers;
    t.polls.connected = redis;
    const body = await (await t.app(new Request(`${BASE}/`, { method: "POST" }))).json();
    assert.equal(body.node_health, health, JSON.stringify({ feeder, answers, redis }));
    assert.equal(body.kafka_connected, feeder && answers);
    assert.equal(body.redis_connected, redis);
  }
});

Deno.test("`createApp()` answers HEAD / without a body", async () => {
  const res = await setup().app(new Request(`${BASE}/`, { method: "HEAD" }));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

Deno.test("`createApp()` answers 404 for an unknown endpoint, whatever the method", async () => {
  const t = setup();
  for (const [method, path] of [["GET", "/nope"], ["POST", "/feed/"], ["DELETE", "/x/y"]]) {
    const res = await t.app(new Request(`${BASE}${path}`, { method }));
    await assertFailure(res, 404, "The desired endpoint does not exist");
  }
});

Deno.test("`createApp()` answers GET /feed and /poll with 404, as Scrapy Cluster's catch-all", async () => {
  const t = setup();
  for (const [method, path] of [["GET", "/feed"], ["GET", "/poll"], ["HEAD", "/feed"]]) {
    const res = await t.app(new Request(`${BASE}${path}`, { method }));
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.headers.get("allow"), null);
    if (method !== "HEAD") await assertFailure(res, 404, "The desired endpoint does not exist");
    else await res.body?.cancel();
  }
  assert.equal(t.feeder.sent.length, 0);
});

Deno.test("`createApp()` answers 405 with the envelope for a wrong method", async () => {
  const t = setup();
  for (const [method, path] of [["PUT", "/feed"], ["PUT", "/poll"], ["DELETE", "/"]]) {
    const res = await t.app(new Request(`${BASE}${path}`, { method }));
    assert.ok(res.headers.get("allow")?.includes("POST"));
    await assertFailure(res, 405, "The method is not allowed for the requested URL.");
  }
  assert.equal(t.feeder.sent.length, 0);
});

Deno.test("`createApp()` answers OPTIONS with the allowed methods", async () => {
  const res = await setup().app(new Request(`${BASE}/feed`, { method: "OPTIONS" }));
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("allow"), "POST, OPTIONS");
  assert.equal(res.headers.get("access-control-allow-origin"), null);
});

Deno.test("`createApp()` feeds a crawl request to Kafka and answers data null", async () => {
  const t = setup();
  const text = JSON.stringify(CRAWL);
  await assertSuccess(await t.post("/feed", text), null);
  assert.deepEqual(t.feeder.sent, [text]);
  assert.equal(t.answers.waiters.size, 0);
});

Deno.test("`createApp()` answers 400 when the content type is not JSON", async () => {
  const t = setup();
  for (const type of [null, "text/plain", "application/x-www-form-urlencoded"]) {
    const res = await t.post("/feed", JSON.stringify(CRAWL), type ? { "content-type": type } : {});
    await assertFailure(res, 400, "The payload must be valid JSON.", "Content-Type must be JSON");
  }
  const ok = await t.post("/feed", JSON.stringify(CRAWL), {
    "content-type": "Application/JSON; charset=utf-8",
  });
  assert.equal(ok.status, 200);
  assert.equal(t.feeder.sent.length, 1);
});

Deno.test("`createApp()` answers 400 for a body that is not JSON", async () => {
  const t = setup();
  for (const body of ["", "{", "{'url': 1}", "nul", '{"a":1}x']) {
    // /feed names the parse error, as the kafka-monitor logs it.
    const feed = await t.post("/feed", body);
    assert.equal(feed.status, 400);
    const { error } = await feed.json();
    assert.equal(error.message, "The payload must be valid JSON.");
    assert.match(error.cause, /^invalid JSON: /);
    await assertFailure(await t.post("/poll", body), 400, "The payload must be valid JSON.");
  }
  assert.equal(t.feeder.sent.length, 0);
});

Deno.test("`createApp()` answers 400 for a body that is not valid UTF-8", async () => {
  const t = setup();
  const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
  const res = await t.post("/feed", bytes);
  await assertFailure(res, 400, "The payload must be valid JSON.", "the body is not valid UTF-8");
});

Deno.test("`createApp()` answers 400 with the validator's cause for a schema violation", async () => {
  const t = setup();
  await assertFailure(
    await t.postJson("/feed", { ...CRAWL, crazykey: 1 }),
    400,
    "JSON did not validate against schema.",
    "scraper request: must NOT have additional property 'crazykey'",
  );
  await assertFailure(
    await t.postJson("/feed", { ...CRAWL, maxdepth: 4 }),
    400,
    "JSON did not validate against schema.",
    "scraper request: /maxdepth must be <= 3",
  );
  await assertFailure(
    await t.postJson("/feed", { uuid: "u1", appid: "ab" }),
    400,
    "JSON did not validate against schema.",
    "stats request: /appid must NOT have fewer than 3 characters",
  );
  for (const body of [[], "x", 5, null]) {
    await assertFailure(
      await t.postJson("/feed", body),
      400,
      "JSON did not validate against schema.",
      "the request must be a JSON object",
    );
  }
  assert.equal(t.feeder.sent.length, 0);
});

Deno.test("`createApp()` honours MAXDEPTH_LIMIT like the kafka-monitor", async () => {
  const t = setup({ MAXDEPTH_LIMIT: 5 });
  await assertSuccess(await t.postJson("/feed", { ...CRAWL, maxdepth: 5 }), null);
});

Deno.test("`createApp()` refuses what a lower MAXDEPTH_LIMIT forbids", async () => {
  const t = setup({ MAXDEPTH_LIMIT: 1 });
  await assertFailure(
    await t.postJson("/feed", { ...CRAWL, maxdepth: 2 }),
    400,
    "JSON did not validate against schema.",
    "scraper request: /maxdepth must be <= 1",
  );
  await assertSuccess(await t.postJson("/feed", { ...CRAWL, maxdepth: 1 }), null);
  assert.equal(t.feeder.sent.length, 1);
});

Deno.test("`createApp()` accepts only what the loaded plugins accept", async () => {
  const t = setup({ WAIT_FOR_RESPONSE_TIME: 0.01 }, {
    plugins: [{ rank: 50, key: "custom.ts", plugin: { name: "Custom", schema: "stats" } }],
  });
  await assertSuccess(await t.postJson("/feed", { appid: "testapp", uuid: "c1" }), {
    poll_id: "c1",
  });
  await assertFailure(
    await t.postJson("/feed", CRAWL),
    400,
    "JSON did not validate against schema.",
    "no loaded plugin handles scraper requests (see PLUGINS)",
  );
  assert.equal(t.feeder.sent.length, 1);
});

Deno.test("`createApp()` answers a stats request inline, even before the ack", async () => {
  const t = setup({ WAIT_FOR_RESPONSE_TIME: 5 });
  const answer = '{"appid":"testapp","uuid":"s1","stats":"rest","server_time":1,"nodes":{}}';
  // The answer arrives while the request is still being produced: the wait already exists.
  t.feeder.onSend = () => assert.ok(t.answers.waiters.deliver("s1", answer));
  const res = await t.postJson("/feed", { appid: "testapp", uuid: "s1", stats: "rest" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), `{"data":${answer},"error":null,"status":"SUCCESS"}`);
  assert.equal(t.answers.waiters.size, 0);
});

Deno.test("`createApp()` answers a poll_id when no answer comes in time", async () => {
  const t = setup({ WAIT_FOR_RESPONSE_TIME: 0.05 });
  const request = { action: "info", appid: "testapp", uuid: "i1", spiderid: "link" };
  await assertSuccess(await t.postJson("/feed", request), { poll_id: "i1" });
  assert.equal(t.answers.waiters.size, 0, "the wait is cancelled: a late answer goes to Redis");
  assert.equal(t.answers.waiters.deliver("i1", "{}"), false);
});

Deno.test("`createApp()` resolves every concurrent wait for the same uuid", async () => {
  const t = setup({ WAIT_FOR_RESPONSE_TIME: 5 });
  const request = { appid: "testapp", uuid: "same", stats: "queue" };
  const both = [t.postJson("/feed", request), t.postJson("/feed", request)];
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(t.answers.waiters.deliver("same", '{"uuid":"same"}'));
  for (const res of await Promise.all(both)) await assertSuccess(res, { uuid: "same" });
});

Deno.test("`createApp()` answers 500 when Kafka fails, and cancels the wait", async () => {
  const t = setup();
  t.feeder.fail = new Error("KafkaJSNumberOfRetriesExceeded");
  await assertFailure(await t.postJson("/feed", CRAWL), 500, "Unable to connect to Kafka");
  await assertFailure(
    await t.postJson("/feed", { appid: "testapp", uuid: "s2" }),
    500,
    "Unable to connect to Kafka",
  );
  assert.equal(t.answers.waiters.size, 0);
});

Deno.test("`createApp()` answers 413 for a request larger than Kafka accepts", async () => {
  const t = setup();
  t.feeder.fail = new MessageTooLargeError(2_000_000, 1_048_576, "demo.incoming");
  const res = await t.postJson("/feed", CRAWL);
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.message, "The payload is too large.");
});

Deno.test("`createApp()` answers 413 for a body over MAX_BODY_BYTES", async () => {
  const t = setup({ MAX_BODY_BYTES: 1000 });
  const cause = "the limit is 1000 bytes";
  // Declared too large: refused before reading.
  const declared = await t.post("/feed", "x".repeat(1001), {
    ...JSON_TYPE,
    "content-length": "1001",
  });
  await assertFailure(declared, 413, "The payload is too large.", cause);
  // Not declared: counted while reading.
  const counted = await t.post("/feed", streamed(100, 100));
  await assertFailure(counted, 413, "The payload is too large.", cause);
  await assertFailure(
    await t.post("/poll", streamed(20, 64)),
    413,
    "The payload is too large.",
    cause,
  );
  // At the limit: read.
  const padded = JSON.stringify(CRAWL).padEnd(1000, " ");
  assert.equal((await t.post("/feed", padded)).status, 200);
});

Deno.test("`createApp()` answers 408 when the body does not arrive in time", async () => {
  const t = setup({ REQUEST_TIMEOUT: 0.05 });
  const never = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("{"));
    },
  });
  await assertFailure(
    await t.post("/feed", never),
    408,
    "The request body did not arrive in time.",
  );
});

Deno.test("`createApp()` answers 503 when processing outlasts REQUEST_TIMEOUT", async () => {
  const t = setup({ REQUEST_TIMEOUT: 0.05 });
  t.feeder.hang = true;
  await assertFailure(
    await t.postJson("/feed", CRAWL),
    503,
    "The request took too long to process.",
  );
});

Deno.test("`createApp()` answers a stored poll once, then 404", async () => {
  const t = setup();
  const answer = '{"uuid":"abc123","total_pending":25,"big":12345678901234567890}';
  t.polls.stored.set("abc123", answer);
  const first = await t.postJson("/poll", { poll_id: "abc123" });
  assert.equal(await first.text(), `{"data":${answer},"error":null,"status":"SUCCESS"}`);
  await assertFailure(
    await t.postJson("/poll", { poll_id: "abc123" }),
    404,
    "Could not find matching poll_id",
  );
});

Deno.test("`createApp()` answers 400 for a poll request that breaks the poll schema", async () => {
  const t = setup();
  const schema = "JSON did not validate against schema.";
  await assertFailure(
    await t.postJson("/poll", { poll_id: "abc", otherkey: 1 }),
    400,
    schema,
    "must NOT have additional property 'otherkey'",
  );
  await assertFailure(
    await t.postJson("/poll", {}),
    400,
    schema,
    "must have required property 'poll_id'",
  );
  await assertFailure(
    await t.postJson("/poll", { poll_id: "" }),
    400,
    schema,
    "/poll_id must NOT have fewer than 1 characters",
  );
  await assertFailure(
    await t.postJson("/poll", { poll_id: "x".repeat(101) }),
    400,
    schema,
    "/poll_id must NOT have more than 100 characters",
  );
});

Deno.test("`createApp()` answers 500 for a poll when Redis is away or the value is bad", async () => {
  const t = setup();
  t.polls.connected = false;
  await assertFailure(
    await t.postJson("/poll", { poll_id: "a" }),
    500,
    "Unable to connect to Redis",
  );
  t.polls.connected = true;
  t.polls.fail = true;
  await assertFailure(
    await t.postJson("/poll", { poll_id: "a" }),
    500,
    "Unable to connect to Redis",
  );
  t.polls.fail = false;
  t.polls.stored.set("bad", "{not json");
  await assertFailure(
    await t.postJson("/poll", { poll_id: "bad" }),
    500,
    "Unparseable JSON Received from redis",
  );
  assert.equal(t.polls.stored.has("bad"), false, "taken (deleted) all the same");
});

Deno.test("`createApp()` answers 500 without details for an unexpected error", async () => {
  const t = setup({}, {
    answers: {
      connected: true,
      expect: () => {
        throw new TypeError("secret internals at /srv/app.ts:12");
      },
    },
  });
  const res = await t.postJson("/feed", { appid: "testapp", uuid: "s3" });
  const text = await res.clone().text();
  assert.ok(!text.includes("secret") && !text.includes(".ts"));
  await assertFailure(res, 500, "An error occurred while processing your request.");
});

Deno.test("`createApp()` answers 401 without a valid API key when REST_API_KEYS is set", async () => {
  const t = setup({ REST_API_KEYS: ["k-one", "k-two"] });
  const attempts: Record<string, string>[] = [
    {},
    { "x-api-key": "k-on" },
    { authorization: "Bearer k-one2" },
    { authorization: "Basic k-one" },
  ];
  for (const headers of attempts) {
    const res = await t.postJson("/feed", CRAWL, headers);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="crawl-cluster"');
    await assertFailure(res, 401, "A valid API key is required.");
  }
  await assertFailure(
    await t.postJson("/poll", { poll_id: "a" }),
    401,
    "A valid API key is required.",
  );
  assert.equal(t.feeder.sent.length, 0);
  assert.equal((await t.postJson("/feed", CRAWL, { "x-api-key": "k-two" })).status, 200);
  assert.equal((await t.postJson("/feed", CRAWL, { authorization: "bearer k-one" })).status, 200);
  // Health stays open for load balancers.
  assert.equal((await t.app(new Request(`${BASE}/`))).status, 200);
});

Deno.test("`createApp()` sends no CORS headers unless CORS_ALLOWED_ORIGINS is set", async () => {
  const t = setup();
  const res = await t.postJson("/feed", CRAWL, { origin: "https://ui.example.com" });
  assert.equal(res.headers.get("access-control-allow-origin"), null);
});

Deno.test("`createApp()` allows the listed CORS origins, on answers and preflights", async () => {
  const t = setup({ CORS_ALLOWED_ORIGINS: ["https://ui.example.com"], REST_API_KEYS: ["k"] });
  const preflight = await t.app(
    new Request(`${BASE}/feed`, {
      method: "OPTIONS",
      headers: { origin: "https://ui.example.com", "access-control-request-method": "POST" },
    }),
  );
  assert.equal(preflight.status, 204, "a preflight needs no API key");
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://ui.example.com");
  assert.equal(preflight.headers.get("access-control-allow-methods"), "POST, OPTIONS");
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /X-Api-Key/);
  const ok = await t.postJson("/feed", CRAWL, {
    origin: "https://ui.example.com",
    "x-api-key": "k",
  });
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://ui.example.com");
  assert.equal(ok.headers.get("vary"), "Origin");
  const denied = await t.postJson("/feed", CRAWL, { origin: "https://evil.example" });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  const evil = await t.app(
    new Request(`${BASE}/feed`, { method: "OPTIONS", headers: { origin: "https://evil.example" } }),
  );
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
  assert.equal(evil.headers.get("access-control-allow-methods"), null);
});

Deno.test("`createApp()` allows any origin with CORS_ALLOWED_ORIGINS *", async () => {
  const t = setup({ CORS_ALLOWED_ORIGINS: ["*"] });
  const res = await t.app(new Request(`${BASE}/nope`, { headers: { origin: "https://a.b" } }));
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("`createApp()` counts requests per endpoint, and failures", async () => {
  const t = setup();
  await t.app(new Request(`${BASE}/`));
  await t.postJson("/feed", CRAWL);
  await t.postJson("/poll", { poll_id: "missing" });
  await t.app(new Request(`${BASE}/nope`));
  assert.deepEqual(t.counted, [["index", false], ["feed", false], ["poll", true], [null, true]]);
});

Deno.test("`createApp()` answers hostile inputs with 4xx and stays healthy", async () => {
  // Above the kafka-monitor's default size limit, so the nested bodies reach the parser.
  const t = setup({ MAX_REQUEST_BYTES: 1024 * 1024 });
  const depth = 100_000;
  const hostile: [BodyInit, number][] = [
    ["x".repeat(5 * 1024 * 1024), 413],
    [new Uint8Array([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]), 400],
    [new Uint8Array([0xef, 0xbb, 0xbf, 0xed, 0xa0, 0x80]), 400], // BOM + UTF-8 surrogate
    ["[".repeat(depth) + "]".repeat(depth), 400],
    ['{"a":'.repeat(depth) + "1" + "}".repeat(depth), 400],
    [`{"url":"http://a.com","appid":"abc","crawlid":"c","attrs":${"[".repeat(depth)}`, 400],
    [
      `{"url":"http://a.com","appid":"abc","crawlid":"c","attrs":` +
      '{"a":'.repeat(depth) + "1" + "}".repeat(depth) + "}",
      400,
    ],
    ['{"__proto__":{"polluted":1},"uuid":"u","appid":"abc"}', 400],
    ["\u0000", 400],
  ];
  for (const [body, status] of hostile) {
    for (const path of ["/feed", "/poll"]) {
      const res = await t.post(path, body);
      assert.equal(res.status, status, `${path} ${String(body).slice(0, 40)}`);
      assert.equal((await res.json()).status, "FAILURE");
    }
  }
  for (const method of ["GET", "PUT", "PATCH", "DELETE", "TRACE_", "CONNECTX"]) {
    const res = await t.app(new Request(`${BASE}/feed`, { method }));
    assert.equal(res.status, method === "GET" ? 404 : 405, method);
    await res.body?.cancel();
  }
  const weird = await t.app(new Request(`${BASE}/%2e%2e/%00?x=${"y".repeat(10_000)}`));
  assert.equal(weird.status, 404);
  await weird.body?.cancel();
  assert.equal(t.feeder.sent.length, 0);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const health = await (await t.app(new Request(`${BASE}/`))).json();
  assert.equal(health.node_health, "GREEN");
  await assertSuccess(await t.postJson("/feed", CRAWL), null);
});

Deno.test("`createApp()` refuses a crawl of a refused address literal unless the guard allows it", async () => {
  const t = setup();
  await assertFailure(
    await t.postJson("/feed", { ...CRAWL, url: "http://0x7f000001:8080/admin" }),
    400,
    "JSON did not validate against schema.",
    "url: host 127.0.0.1 is a loopback address; set ALLOW_PRIVATE_ADDRESSES or " +
      "ALLOWED_PRIVATE_NETWORKS to allow it",
  );
  assert.equal(t.feeder.sent.length, 0);
  const open = setup({ ALLOWED_PRIVATE_NETWORKS: ["127.0.0.0/8"] });
  await assertSuccess(await open.postJson("/feed", { ...CRAWL, url: "127.1:8080/" }), null);
  const off = setup({ ALLOW_PRIVATE_ADDRESSES: true });
  await assertSuccess(await off.postJson("/feed", { ...CRAWL, url: "http://[::1]/" }), null);
});

Deno.test("`createApp()` without API keys answers only requests addressed to this server", async () => {
  const t = setup();
  const call = (host: string, path = "/feed") =>
    t.app(
      new Request(`http://any.invalid${path}`, {
        method: "POST",
        body: JSON.stringify(CRAWL),
        headers: { ...JSON_TYPE, host },
      }),
    );
  for (const host of ["localhost:5343", "127.0.0.1:5343", "[::1]:5343", "LOCALHOST:5343"]) {
    assert.equal((await call(host)).status, 200, host);
  }
  // DNS rebinding: a page on rebound.example reaches the port, with its own name in Host.
  const rebound = await call("rebound.example:5343");
  await assertFailure(
    rebound,
    403,
    "The Host header does not name this server.",
    'Host "rebound.example:5343" is not localhost:5343, 127.0.0.1:5343, [::1]:5343: without ' +
      "REST_API_KEYS, only requests addressed to this machine's loopback names or " +
      "REST_HOST:REST_PORT are answered",
  );
  for (const host of ["localhost:8080", "localhost", "127.0.0.2:5343", "0.0.0.0:5343", ""]) {
    assert.equal((await call(host)).status, 403, host);
  }
  assert.equal((await call("evil.example:5343", "/")).status, 403, "health too");
  assert.equal(t.feeder.sent.length, 4);
  assert.deepEqual(t.counted.at(-1), [null, true], "counted as a failure, before routing");
  // The exact REST_HOST:REST_PORT is accepted too; a port of 0 accepts any port.
  const lan = setup({ REST_HOST: "192.0.2.7", REST_PORT: 8000 });
  assert.equal((await lan.app(new Request("http://192.0.2.7:8000/"))).status, 200);
  assert.equal((await lan.app(new Request("http://192.0.2.8:8000/"))).status, 403);
  const any = setup({ REST_PORT: 0 });
  assert.equal((await any.app(new Request("http://127.0.0.1:41234/"))).status, 200);
  // With API keys, the key protects the service: any Host.
  const keyed = setup({ REST_API_KEYS: ["k"] });
  const res = await keyed.postJson("/feed", CRAWL, { host: "rest.example.com", "x-api-key": "k" });
  assert.equal(res.status, 200);
});
