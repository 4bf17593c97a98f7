import assert from "node:assert/strict";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { startZookeeper } from "../../lib/services/local/zookeeper_server.ts";
import {
  type Client,
  closeZookeeper,
  connectZookeeper,
  create,
  exists,
  getData,
  remove,
  setData,
} from "../../lib/services/mod.ts";
import {
  BAD_CONNECTION,
  INVALID_GET,
  INVALID_PATH,
  isValidZookeeperPath,
  ZookeeperWatcher,
  type ZookeeperWatcherOptions,
} from "../../components/crawler/live/zookeeper_watcher.ts";

/** What a watcher reported, in order. */
class Recorder {
  readonly configs: (string | null)[] = [];
  readonly valids: boolean[] = [];
  readonly errors: string[] = [];
  handlers(): Pick<ZookeeperWatcherOptions, "onConfig" | "onValid" | "onError"> {
    return {
      onConfig: (c) => void this.configs.push(c),
      onValid: (v) => void this.valids.push(v),
      onError: (m) => void this.errors.push(m),
    };
  }
}

/** Runs `fn` with an admin client and a fresh random base path, removed afterwards. */
async function withZk(fn: (zk: Client, base: string, hosts: string) => Promise<void>) {
  const hosts = serviceEnv().ZOOKEEPER_HOSTS;
  const zk = await connectZookeeper(hosts, { timeoutMs: 10_000 });
  const base = `/crawl-cluster-test/${randomName("zkw")}`;
  try {
    await fn(zk, base, hosts);
  } finally {
    await remove(zk, base, { recursive: true });
    await closeZookeeper(zk);
  }
}

/** Waits a little and checks that nothing more was reported. */
async function quietFor(ms: number, rec: Recorder, configs: (string | null)[]) {
  await new Promise((r) => setTimeout(r, ms));
  assert.deepEqual(rec.configs, configs);
}

Deno.test("ZookeeperWatcher reports the first content, then each change once", async () => {
  await withZk(async (zk, base, hosts) => {
    const path = `${base}/config`;
    await create(zk, path, "first", { mkdirp: true });
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(hosts, path, rec.handlers());
    try {
      await watcher.start();
      assert.deepEqual(rec.configs, ["first"]);
      assert.deepEqual(rec.valids, [true]);
      assert.equal(watcher.valid, true);
      assert.equal(watcher.content(), "first");
      await setData(zk, path, "second");
      await eventually(() => rec.configs.length === 2, { what: "the change" });
      await setData(zk, path, "second"); // same content: a new version, but nothing to report
      await setData(zk, path, "third");
      await eventually(() => rec.configs.length === 3, { what: "the next change" });
      await quietFor(200, rec, ["first", "second", "third"]);
      assert.deepEqual(rec.valids, [true]);
      assert.deepEqual(rec.errors, []);
    } finally {
      await watcher.stop();
    }
  });
});

Deno.test("ZookeeperWatcher with ensure creates the node and recreates it when deleted", async () => {
  await withZk(async (zk, base, hosts) => {
    const path = `${base}/deep/er/config`;
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(hosts, path, { ensure: true, ...rec.handlers() });
    try {
      await watcher.start();
      assert.equal(await exists(zk, path), true);
      assert.deepEqual(rec.configs, [""]);
      assert.equal(watcher.valid, true);
      await setData(zk, path, "domains: {}\n");
      await eventually(() => rec.configs.length === 2, { what: "the change" });
      await remove(zk, path);
      // Deleted: created again, empty, and reported as wiped.
      await eventually(() => rec.configs.length === 3, { what: "the wiped config" });
      assert.deepEqual(rec.configs, ["", "domains: {}\n", ""]);
      assert.equal((await getData(zk, path)).data, "");
      assert.equal(watcher.valid, true);
    } finally {
      await watcher.stop();
    }
  });
});

Deno.test("ZookeeperWatcher without ensure reports a missing node and notices its creation", async () => {
  await withZk(async (zk, base, hosts) => {
    const path = `${base}/later`;
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(hosts, path, rec.handlers());
    try {
      await watcher.start();
      assert.deepEqual(rec.configs, [null]);
      assert.equal(watcher.valid, false);
      assert.deepEqual(rec.errors, [INVALID_GET]);
      assert.equal(await exists(zk, path), false, "not created without ensure");
      await create(zk, path, "hello", { mkdirp: true });
      await eventually(() => watcher.valid, { what: "validity" });
      assert.deepEqual(rec.configs, [null, "hello"]);
      assert.deepEqual(rec.valids, [true]);
      await remove(zk, path);
      await eventually(() => !watcher.valid, { what: "invalidity" });
      assert.deepEqual(rec.configs, [null, "hello", null]);
      assert.deepEqual(rec.valids, [true, false]);
      assert.deepEqual(rec.errors, [INVALID_GET, INVALID_GET]);
    } finally {
      await watcher.stop();
    }
  });
});

Deno.test("ZookeeperWatcher in pointer mode follows the pointer and the pointed-at node", async () => {
  await withZk(async (zk, base, hosts) => {
    const pointer = `${base}/pointers/pointer1`;
    const one = `${base}/configs/one`;
    const two = `${base}/configs/two`;
    await create(zk, one, "config one", { mkdirp: true });
    await create(zk, two, "config two", { mkdirp: true });
    await create(zk, pointer, one, { mkdirp: true });
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(hosts, pointer, { pointer: true, ...rec.handlers() });
    try {
      await watcher.start();
      assert.deepEqual(rec.configs, ["config one"]);
      assert.equal(watcher.pointerTarget(), one);
      assert.deepEqual(rec.valids, [true]);
      // A change of the pointed-at node.
      await setData(zk, one, "config one, edited");
      await eventually(() => rec.configs.length === 2, { what: "the config change" });
      // The pointer moves: the other node's content.
      await setData(zk, pointer, two);
      await eventually(() => rec.configs.length === 3, { what: "the pointer change" });
      assert.equal(watcher.pointerTarget(), two);
      // The old node is no longer followed; the new one is.
      await setData(zk, one, "config one, ignored");
      await setData(zk, two, "config two, edited");
      await eventually(() => rec.configs.length === 4, { what: "the new node's change" });
      await quietFor(200, rec, [
        "config one",
        "config one, edited",
        "config two",
        "config two, edited",
      ]);
      // A pointer with a trailing newline is invalid (the classic mistake of the docs).
      await setData(zk, pointer, `${two}\n`);
      await eventually(() => !watcher.valid, { what: "invalidity" });
      assert.deepEqual(rec.errors, [INVALID_PATH]);
      assert.equal(rec.configs.at(-1), null);
      // A pointer to a node that does not exist.
      await setData(zk, pointer, `${base}/configs/three`);
      await eventually(() => rec.errors.length === 2, { what: "the get error" });
      assert.deepEqual(rec.errors, [INVALID_PATH, INVALID_GET]);
      // Back to a valid pointer.
      await setData(zk, pointer, one);
      await eventually(() => watcher.valid, { what: "validity" });
      assert.equal(rec.configs.at(-1), "config one, ignored");
      assert.deepEqual(rec.valids, [true, false, true]);
    } finally {
      await watcher.stop();
    }
  });
});

Deno.test("ZookeeperWatcher.start() fails early with one line when ZooKeeper is unreachable", async () => {
  const port = freePort();
  const watcher = new ZookeeperWatcher(`127.0.0.1:${port}`, "/x", { onConfig: () => {} });
  await assert.rejects(
    () => watcher.start(),
    new RegExp(
      `^Error: Cannot connect to ZooKeeper at 127\\.0\\.0\\.1:${port}: connection refused$`,
    ),
  );
  await watcher.stop();
  assert.throws(() => new ZookeeperWatcher("h", "no-slash", { onConfig: () => {} }), /valid/);
});

Deno.test("isValidZookeeperPath() accepts what ZooKeeper accepts", () => {
  for (const ok of ["/", "/a", "/a/b-c/d.e", "/scrapy-cluster/crawler/all"]) {
    assert.ok(isValidZookeeperPath(ok), ok);
  }
  for (const bad of ["", "a", "/a/", "/a//b", "/a/./b", "/a/..", "/a\n", "/a\u0000b"]) {
    assert.ok(!isValidZookeeperPath(bad), JSON.stringify(bad));
  }
});

/** Runs `fn` against a ZooKeeper of its own, which it may stop and restart. */
async function withOwnZookeeper(
  fn: (zk: {
    hosts: string;
    stop(): Promise<void>;
    restart(opts?: { freshData?: boolean }): Promise<void>;
    admin<T>(work: (client: Client) => Promise<T>): Promise<T>;
  }) => Promise<void>,
) {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "zkw-restart-" });
  let proc = await startZookeeper(port, dir);
  const hosts = `127.0.0.1:${port}`;
  let generation = 0;
  try {
    await fn({
      hosts,
      stop: () => proc.stop(),
      async restart(opts = {}) {
        const dataDir = opts.freshData ? `${dir}/fresh-${++generation}` : dir;
        proc = await startZookeeper(port, dataDir);
      },
      async admin(work) {
        const client = await connectZookeeper(hosts, { timeoutMs: 10_000 });
        try {
          return await work(client);
        } finally {
          await closeZookeeper(client);
        }
      },
    });
  } finally {
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ZookeeperWatcher keeps the last config across a ZooKeeper restart, then catches up", async () => {
  await withOwnZookeeper(async (zk) => {
    const path = "/scrapy-cluster/crawler/all";
    await zk.admin((c) => create(c, path, "v1", { mkdirp: true }));
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(zk.hosts, path, { ensure: true, ...rec.handlers() });
    try {
      await watcher.start();
      assert.deepEqual(rec.configs, ["v1"]);
      await zk.stop();
      await eventually(() => !watcher.valid, { what: "the watcher to notice" });
      assert.deepEqual(rec.valids, [true, false]);
      assert.deepEqual(rec.errors, [BAD_CONNECTION]);
      // Away: the last good content is kept and not reported as gone.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(watcher.content(), "v1");
      assert.deepEqual(rec.configs, ["v1"]);
      assert.deepEqual(rec.errors, [BAD_CONNECTION], "reported once, not at every retry");
      await zk.restart();
      await eventually(() => watcher.valid, { what: "reconnection", timeoutMs: 20_000 });
      assert.deepEqual(rec.configs, ["v1"], "same content: nothing to report");
      await zk.admin((c) => setData(c, path, "v2"));
      await eventually(() => rec.configs.length === 2, { what: "the change after the restart" });
      assert.deepEqual(rec.configs, ["v1", "v2"]);
      assert.deepEqual(rec.valids, [true, false, true]);
    } finally {
      await watcher.stop();
    }
  });
});

Deno.test("ZookeeperWatcher builds a new session when ZooKeeper lost its own", async () => {
  await withOwnZookeeper(async (zk) => {
    const path = "/scrapy-cluster/crawler/all";
    await zk.admin((c) => create(c, path, "v1", { mkdirp: true }));
    const rec = new Recorder();
    const watcher = new ZookeeperWatcher(zk.hosts, path, {
      ensure: true,
      sessionTimeoutMs: 4_000, // the shortest the server grants (2 ticks)
      ...rec.handlers(),
    });
    try {
      await watcher.start();
      await zk.stop();
      await eventually(() => !watcher.valid, { what: "the watcher to notice" });
      // A ZooKeeper with empty data: our session is unknown there (expired), the node too.
      await zk.restart({ freshData: true });
      await eventually(() => watcher.valid, { what: "a new session", timeoutMs: 20_000 });
      assert.deepEqual(rec.configs, ["v1", ""], "the node was recreated empty: config wiped");
      await zk.admin((c) => setData(c, path, "v3"));
      await eventually(() => rec.configs.length === 3, { what: "the change" });
      assert.deepEqual(rec.valids, [true, false, true]);
    } finally {
      await watcher.stop();
    }
  });
});
