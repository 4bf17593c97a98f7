/**
 * ZooKeeper digest auth against the real local ZooKeeper: the redis-monitor's zookeeper plugin
 * with `ZOOKEEPER_AUTH` writes the domain config and gives the node (and the parents it creates)
 * `digest:<its id>:cdrwa, world:anyone:r`; a client with other credentials or none reads it but
 * cannot write, delete or create under it (NO_AUTH); a crawler's watcher reads it and sees
 * changes; a crawler never creates it where the ACL forbids; the monitor with a wrong password is
 * told so in one line; a config node found fully open is closed.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { parseDomainConfig } from "../../lib/api/mod.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import {
  checkConfigWriter,
  type Client,
  closeZookeeper,
  connectZookeeper,
  create,
  describeAcl,
  digestId,
  getAcl,
  getData,
  isZookeeperError,
  remove,
  setData,
  type ZookeeperAuth,
} from "../../lib/services/mod.ts";
import type { RedisMonitorPlugin } from "../../components/redis-monitor/plugin.ts";
import zookeeperMonitor, {
  LOAD_ERROR,
} from "../../components/redis-monitor/plugins/zookeeper_monitor.ts";
import { REDIS_MONITOR_SETTINGS } from "../../components/redis-monitor/settings.ts";
import { ZookeeperWatcher } from "../../components/crawler/live/zookeeper_watcher.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";

const MONITOR: ZookeeperAuth = { user: "monitor", password: "monitor-secret" };
const CRAWLER: ZookeeperAuth = { user: "crawler", password: "crawler-secret" };
const SECURED = `digest:${digestId(MONITOR)}:cdrwa, world:anyone:r`;

async function monitorPlugin(assignPath: string, auth: string): Promise<RedisMonitorPlugin> {
  const settings = loadSettings(REDIS_MONITOR_SETTINGS, {
    env: { ZOOKEEPER_HOSTS: serviceEnv().ZOOKEEPER_HOSTS },
    overrides: { ZOOKEEPER_ASSIGN_PATH: assignPath, ZOOKEEPER_AUTH: auth },
  });
  // The plugin never touches Redis.
  return await zookeeperMonitor({
    settings,
    redis: null as unknown as Redis,
    log: getLog("redis-monitor", "test"),
  });
}

function job(plugin: RedisMonitorPlugin, action: string, domain: string, extra = {}) {
  return plugin.handle(
    `zk:${action}:${domain}:testapp`,
    JSON.stringify({ uuid: randomName("u"), ...extra }),
    Date.now() / 1000,
  );
}

/**
 * Runs `fn` under a fresh open folder `<base>` (so the ACLs tested are only those the monitor
 * sets below it), with an anonymous client; removes it with the monitor's credentials.
 */
async function withBase(
  fn: (anon: Client, base: string, aclOf: (path: string) => Promise<string>) => Promise<void>,
): Promise<void> {
  const hosts = serviceEnv().ZOOKEEPER_HOSTS;
  const anon = await connectZookeeper(hosts, { timeoutMs: 10_000 });
  // The monitor's credentials: ZooKeeper shows others a digest id as `x` (it keeps the
  // password's hash from those who may not administer the node).
  const admin = await connectZookeeper(hosts, { timeoutMs: 10_000, auth: MONITOR });
  const aclOf = async (path: string) => describeAcl(await getAcl(admin, path));
  const base = `/crawl-cluster-test/${randomName("zkauth")}`;
  await create(anon, base, "", { mkdirp: true });
  try {
    await fn(anon, base, aclOf);
  } finally {
    await remove(admin, base, { recursive: true });
    await closeZookeeper(admin);
    await closeZookeeper(anon);
  }
}

const noAuth = (err: unknown) => isZookeeperError(err, "NO_AUTH");

Deno.test("ZooKeeper auth: only the redis-monitor's identity writes the domain config, anyone reads it", async () => {
  await withBase(async (anon, base, aclOf) => {
    const config = `${base}/crawler/all`;
    const plugin = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:${MONITOR.password}`);
    const other = await connectZookeeper(serviceEnv().ZOOKEEPER_HOSTS, { auth: CRAWLER });
    try {
      const answer = await job(plugin, "domain-update", "example.com", { hits: 5, window: 60 });
      assert.equal(answer?.error, undefined, "the monitor wrote the config");
      assert.equal(await aclOf(config), SECURED);
      assert.equal(await aclOf(`${base}/crawler`), SECURED, "its parent too");

      for (const [who, client] of [["no credentials", anon], ["other credentials", other]]) {
        const read = parseDomainConfig((await getData(client as Client, config)).data);
        assert.equal(read.domains["example.com"]?.hits, 5, `${who} can read it`);
        await assert.rejects(setData(client as Client, config, "blacklist: [x.com]\n"), noAuth);
        await assert.rejects(remove(client as Client, config), noAuth);
        await assert.rejects(create(client as Client, `${base}/crawler/other`), noAuth);
      }
      assert.match((await getData(anon, config)).data, /example\.com/, "nothing was changed");
    } finally {
      await plugin.close?.();
      await closeZookeeper(other);
    }
  });
});

Deno.test("ZooKeeper auth: a crawler reads the secured config and its changes", async () => {
  await withBase(async (_anon, base) => {
    const plugin = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:${MONITOR.password}`);
    const seen: (string | null)[] = [];
    const watcher = new ZookeeperWatcher(serviceEnv().ZOOKEEPER_HOSTS, `${base}/crawler/all`, {
      ensure: false,
      auth: CRAWLER,
      onConfig: (content) => seen.push(content),
    });
    try {
      await job(plugin, "domain-update", "example.com", { hits: 7, window: 30 });
      await watcher.start();
      assert.equal(parseDomainConfig(seen.at(-1) ?? null).domains["example.com"]?.hits, 7);
      await job(plugin, "blacklist-update", "bad.com");
      await eventually(() => seen.at(-1)?.includes("bad.com"), { what: "the crawler saw it" });
    } finally {
      await watcher.stop();
      await plugin.close?.();
    }
  });
});

Deno.test("ZooKeeper auth: a crawler does not create the node where the ACL forbids, and reads it once the monitor does", async () => {
  await withBase(async (anon, base, aclOf) => {
    const monitor = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:${MONITOR.password}`);
    const seen: (string | null)[] = [];
    // `ensure` as an unauthenticated crawler has it, on a node of a secured folder.
    const watcher = new ZookeeperWatcher(serviceEnv().ZOOKEEPER_HOSTS, `${base}/crawler/late`, {
      ensure: true,
      onConfig: (content) => seen.push(content),
    });
    let late: RedisMonitorPlugin | null = null;
    try {
      await job(monitor, "domain-update", "example.com", { hits: 1, window: 1 });
      await watcher.start();
      assert.deepEqual(seen, [null], "no config, and no node created");
      await assert.rejects(getData(anon, `${base}/crawler/late`), /NO_NODE/);
      // The monitor of ZOOKEEPER_ID=late creates it (with its ACL); the watcher sees it.
      const settings = loadSettings(REDIS_MONITOR_SETTINGS, {
        env: { ZOOKEEPER_HOSTS: serviceEnv().ZOOKEEPER_HOSTS },
        overrides: {
          ZOOKEEPER_ASSIGN_PATH: `${base}/crawler/`,
          ZOOKEEPER_ID: "late",
          ZOOKEEPER_AUTH: `${MONITOR.user}:${MONITOR.password}`,
        },
      });
      late = await zookeeperMonitor({
        settings,
        redis: null as unknown as Redis,
        log: getLog("redis-monitor", "test"),
      });
      await job(late, "blacklist-update", "late.com");
      const last = (): string | null => seen.at(-1) ?? null;
      await eventually(() => last()?.includes("late.com"), { what: "the watcher saw it" });
      assert.equal(await aclOf(`${base}/crawler/late`), SECURED);
    } finally {
      await watcher.stop();
      await monitor.close?.();
      await late?.close?.();
    }
  });
});

Deno.test("ZooKeeper auth: a monitor with a wrong password is told so in one line, and writes nothing", async () => {
  await withBase(async (anon, base) => {
    const config = `${base}/crawler/all`;
    const good = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:${MONITOR.password}`);
    // The right monitor creates the node first: a wrongly configured monitor that started first
    // on an empty ZooKeeper would create it under its own (wrong) identity — the README says so.
    await job(good, "domain-update", "example.com", { hits: 5, window: 60 });
    const wrong = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:not-the-password`);
    const client = await connectZookeeper(serviceEnv().ZOOKEEPER_HOSTS, {
      auth: { user: MONITOR.user, password: "not-the-password" },
    });
    try {
      const answer = await job(wrong, "blacklist-update", "evil.com");
      assert.equal(answer?.error, LOAD_ERROR);
      assert.doesNotMatch((await getData(anon, config)).data, /evil/);
      const err = await checkConfigWriter(client, config, {
        user: MONITOR.user,
        password: "not-the-password",
      }).then(() => null, (e: Error) => e);
      assert.ok(isZookeeperError(err, "NO_AUTH"));
      assert.match(err.message, /ZOOKEEPER_AUTH user 'monitor' may not write it .*wrong password/);
      assert.doesNotMatch(err.message, /\n/);
    } finally {
      await good.close?.();
      await wrong.close?.();
      await closeZookeeper(client);
    }
  });
});

Deno.test("ZooKeeper auth: a config node found fully open is closed by the monitor", async () => {
  await withBase(async (anon, base, aclOf) => {
    const config = `${base}/crawler/all`;
    await create(anon, config, "", { mkdirp: true });
    assert.equal(await aclOf(config), "world:anyone:cdrwa");
    const plugin = await monitorPlugin(`${base}/crawler/`, `${MONITOR.user}:${MONITOR.password}`);
    try {
      const answer = await job(plugin, "domain-update", "example.com", { hits: 5, window: 60 });
      assert.equal(answer?.error, undefined);
      assert.equal(await aclOf(config), SECURED);
      await assert.rejects(setData(anon, config, ""), noAuth);
    } finally {
      await plugin.close?.();
    }
  });
});

Deno.test("ZooKeeper auth: ZOOKEEPER_AUTH that is not user:password stops at start", async () => {
  await assert.rejects(
    monitorPlugin("/crawl-cluster-test/x/", "no-colon"),
    /^Error: Cannot use ZOOKEEPER_AUTH: expected user:password/,
  );
});
