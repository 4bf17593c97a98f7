import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { parseDomainConfig } from "../../lib/api/mod.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import {
  type Client,
  closeZookeeper,
  connectZookeeper,
  create,
  getData,
  remove,
} from "../../lib/services/mod.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import type { Answer, RedisMonitorPlugin } from "../../components/redis-monitor/plugin.ts";
import zookeeperMonitor, {
  LOAD_ERROR,
} from "../../components/redis-monitor/plugins/zookeeper_monitor.ts";
import { REDIS_MONITOR_SETTINGS } from "../../components/redis-monitor/settings.ts";

/** Scrapy Cluster's answer fields, in its order. */
const ANSWER_KEYS = ["uuid", "server_time", "action", "domain", "appid"];

/**
 * Runs `fn` with an admin ZooKeeper client and a random assign path (`<base>/crawler/`), whose
 * config node is `<base>/crawler/all`; the whole `<base>` is removed afterwards.
 */
async function withZkPath(
  fn: (zk: Client, assignPath: string, configPath: string) => Promise<void>,
) {
  const zk = await connectZookeeper(serviceEnv().ZOOKEEPER_HOSTS, { timeoutMs: 10_000 });
  const base = `/crawl-cluster-test/${randomName("zkm")}`;
  try {
    await fn(zk, `${base}/crawler/`, `${base}/crawler/all`);
  } finally {
    await remove(zk, base, { recursive: true });
    await closeZookeeper(zk);
  }
}

async function withApi(
  overrides: Record<string, unknown>,
  fn: (f: ApiFixture) => Promise<void>,
  opts: { redisMonitors?: number } = {},
) {
  const f = await ApiFixture.start({ redisMonitor: overrides, ...opts });
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

/** Feeds a request and returns its answer, checked to be Scrapy Cluster's shape. */
async function ask(f: ApiFixture, request: Record<string, unknown>): Promise<Answer> {
  const before = Math.floor(Date.now() / 1000);
  await f.feed(request);
  const answer = await f.answer(
    (a) => a.uuid === request.uuid && a.action === request.action && a.domain === request.domain,
    `the ${request.action} answer`,
  );
  const keys = Object.keys(answer);
  assert.deepEqual(keys.filter((k) => k !== "error"), ANSWER_KEYS);
  assert.ok(typeof answer.server_time === "number" && answer.server_time >= before - 1);
  assert.ok((answer.server_time as number) <= Date.now() / 1000 + 1);
  return answer;
}

const text = async (zk: Client, path: string) => (await getData(zk, path)).data;

Deno.test("zookeeper_monitor runs the documentation's Zookeeper API examples end to end", async () => {
  await withZkPath(async (zk, assignPath, configPath) => {
    await withApi({ ZOOKEEPER_ASSIGN_PATH: assignPath }, async (f) => {
      const base = { uuid: "abc123", appid: "madisonTest" };
      const expected = (action: string, domain: string) => ({
        action,
        domain,
        uuid: "abc123",
        appid: "madisonTest",
      });

      const updated = await ask(f, {
        ...base,
        action: "domain-update",
        domain: "dmoz.org",
        hits: 60,
        window: 60,
        scale: 0.9,
      });
      assert.deepEqual({ ...updated, server_time: 0 }, {
        ...expected("domain-update", "dmoz.org"),
        server_time: 0,
      });
      assert.equal(
        await text(zk, configPath),
        "blacklist: []\ndomains:\n  dmoz.org:\n    hits: 60\n    scale: 0.9\n    window: 60\n",
      );

      const removed = await ask(f, { ...base, action: "domain-remove", domain: "dmoz.org" });
      assert.deepEqual({ ...removed, server_time: 0 }, {
        ...expected("domain-remove", "dmoz.org"),
        server_time: 0,
      });
      assert.equal(await text(zk, configPath), "blacklist: []\ndomains: {}\n");

      const banned = await ask(f, { ...base, action: "blacklist-update", domain: "ebay.com" });
      assert.deepEqual({ ...banned, server_time: 0 }, {
        ...expected("blacklist-update", "ebay.com"),
        server_time: 0,
      });
      assert.equal(await text(zk, configPath), "blacklist:\n- ebay.com\ndomains: {}\n");

      const unbanned = await ask(f, { ...base, action: "blacklist-remove", domain: "ebay.com" });
      assert.deepEqual({ ...unbanned, server_time: 0 }, {
        ...expected("blacklist-remove", "ebay.com"),
        server_time: 0,
      });
      assert.equal(await text(zk, configPath), "blacklist: []\ndomains: {}\n");
    });
  });
});

Deno.test("zookeeper_monitor writes Scrapy Cluster's YAML byte for byte over an existing config", async () => {
  await withZkPath(async (zk, assignPath, configPath) => {
    await create(
      zk,
      configPath,
      "blacklist: []\ndomains:\n  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n",
      { mkdirp: true },
    );
    await withApi({ ZOOKEEPER_ASSIGN_PATH: assignPath }, async (f) => {
      const answer = await ask(f, {
        uuid: "u1",
        appid: "testapp",
        action: "domain-update",
        domain: "cnn.com",
        hits: 15,
        window: 60,
        scale: 0.9,
      });
      assert.equal(answer.error, undefined);
      assert.equal(
        await text(zk, configPath),
        "blacklist: []\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n    window: 60\n" +
          "  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n",
      );
      // Without scale, the schema's default 1.0 is written.
      await ask(f, {
        uuid: "u2",
        appid: "testapp",
        action: "domain-update",
        domain: "cnn.com",
        hits: 5,
        window: 10,
      });
      assert.match(await text(zk, configPath), /^ {2}cnn\.com:\n {4}hits: 5\n {4}scale: 1\.0\n/m);
    });
  });
});

Deno.test("zookeeper_monitor: two redis-monitors updating at once lose no update", async () => {
  await withZkPath(async (zk, assignPath, configPath) => {
    await withApi({ ZOOKEEPER_ASSIGN_PATH: assignPath }, async (f) => {
      const domains = Array.from({ length: 12 }, (_, i) => `site${i}.com`);
      await Promise.all(domains.flatMap((domain, i) => [
        f.feed({
          uuid: `d${i}`,
          appid: "testapp",
          action: "domain-update",
          domain,
          hits: i + 1,
          window: 60,
        }),
        f.feed({ uuid: `b${i}`, appid: "testapp", action: "blacklist-update", domain }),
      ]));
      await eventually(() => f.answers.length >= 2 * domains.length, {
        what: "every answer",
        timeoutMs: 30_000,
      });
      assert.deepEqual(f.answers.filter((a) => a.error !== undefined), []);
      const config = parseDomainConfig(await text(zk, configPath));
      assert.deepEqual(Object.keys(config.domains).sort(), [...domains].sort());
      assert.deepEqual([...config.blacklist].sort(), [...domains].sort());
      domains.forEach((d, i) => assert.equal(config.domains[d].hits, i + 1));
    }, { redisMonitors: 2 });
  });
});

Deno.test("zookeeper_monitor: concurrent handles retry on version conflicts", async () => {
  await withZkPath(async (zk, assignPath, configPath) => {
    // Two plugin instances (two connections, as two monitors), each with 4 jobs in flight.
    const plugins = [await plugin(assignPath), await plugin(assignPath)];
    try {
      const domains = Array.from({ length: 8 }, (_, i) => `c${i}.org`);
      const answers = await Promise.all(domains.map((domain, i) =>
        plugins[i % 2].handle(
          `zk:domain-update:${domain}:app`,
          JSON.stringify({ uuid: `c${i}`, domain, hits: 10, window: 20, scale: 0.5 }),
          Date.now() / 1000,
        )
      ));
      assert.deepEqual(answers.filter((a) => a?.error !== undefined), []);
      const config = parseDomainConfig(await text(zk, configPath));
      assert.deepEqual(Object.keys(config.domains).sort(), domains);
    } finally {
      for (const p of plugins) await p.close?.();
    }
  });
});

async function plugin(
  assignPath: string,
  overrides: Record<string, unknown> = {},
): Promise<RedisMonitorPlugin> {
  const settings = loadSettings(REDIS_MONITOR_SETTINGS, {
    env: { ZOOKEEPER_HOSTS: serviceEnv().ZOOKEEPER_HOSTS },
    overrides: { ZOOKEEPER_ASSIGN_PATH: assignPath, ...overrides },
  });
  // The plugin never touches Redis.
  return await zookeeperMonitor({
    settings,
    redis: null as unknown as Redis,
    log: getLog("redis-monitor", "test"),
  });
}

Deno.test("zookeeper_monitor answers with an error when ZooKeeper is unreachable", async () => {
  const closed = `127.0.0.1:${freePort()}`;
  await withApi({ ZOOKEEPER_HOSTS: closed }, async (f) => {
    const started = Date.now();
    const answer = await ask(f, {
      uuid: "down1",
      appid: "testapp",
      action: "blacklist-update",
      domain: "ebay.com",
    });
    assert.equal(answer.error, LOAD_ERROR);
    assert.deepEqual({ ...answer, server_time: 0 }, {
      uuid: "down1",
      server_time: 0,
      action: "blacklist-update",
      domain: "ebay.com",
      appid: "testapp",
      error: "Unable to load Zookeeper config",
    });
    assert.ok(Date.now() - started < 10_000, "a closed port fails at once");
    // The job is done (answered), not retried.
    const events = f.jobEvents.filter((e) => e.key === "zk:blacklist-update:ebay.com:testapp");
    assert.deepEqual(events.map((e) => e.kind), ["handled"]);
    assert.equal(await f.redis.exists("zk:blacklist-update:ebay.com:testapp"), 0);
  });
});

Deno.test("zookeeper_monitor leaves an invalid document alone and refuses bad requests", async () => {
  await withZkPath(async (zk, assignPath, configPath) => {
    await create(zk, configPath, "domains: [broken", { mkdirp: true });
    const p = await plugin(assignPath);
    try {
      const job = JSON.stringify({ uuid: "x", domain: "a.com" });
      const answer = await p.handle("zk:blacklist-update:a.com:app", job, 1_700_000_000.7);
      assert.deepEqual(answer, {
        uuid: "x",
        server_time: 1_700_000_000,
        action: "blacklist-update",
        domain: "a.com",
        appid: "app",
        error: LOAD_ERROR,
      });
      assert.equal(await text(zk, configPath), "domains: [broken");
      const negative = await p.handle(
        "zk:domain-update:a.com:app",
        JSON.stringify({ uuid: "y", domain: "a.com", hits: -1, window: 60, scale: 1 }),
        1,
      );
      assert.match(String(negative?.error), /'hits' and 'window' must be positive/);
      const unknown = await p.handle("zk:domain-frobnicate:a.com:app", job, 1);
      assert.equal(unknown?.error, "Unknown command given to Zookeeper Monitor");
      assert.equal(await text(zk, configPath), "domains: [broken");
    } finally {
      await p.close?.();
    }
  });
});
