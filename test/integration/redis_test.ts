import assert from "node:assert/strict";
import { serviceEnv, testRedisSettings } from "../harness.ts";
import { closeRedis, connectRedis, describeRedis, redisOptions } from "../../lib/services/mod.ts";

const base = {
  REDIS_HOST: "localhost",
  REDIS_PORT: 6379,
  REDIS_DB: 0,
  REDIS_PASSWORD: null,
  REDIS_URL: null,
  REDIS_SOCKET_TIMEOUT: 10,
};

Deno.test("describeRedis() shows where a connection goes and never the password", () => {
  assert.equal(describeRedis(base), "localhost:6379/0");
  assert.equal(
    describeRedis({ ...base, REDIS_URL: "redis://user:secret@10.0.0.5:6380/3" }),
    "10.0.0.5:6380/3",
  );
  assert.equal(describeRedis({ ...base, REDIS_URL: "redis://h" }), "h:6379/0");
});

Deno.test("redisOptions() uses host/port/db only without REDIS_URL", () => {
  const plain = redisOptions({ ...base, REDIS_DB: 2, REDIS_PASSWORD: "pw" }, "x");
  assert.equal(plain.db, 2);
  assert.equal(plain.password, "pw");
  // The policy of lib/services/redis.ts: nothing queued offline, nothing resent.
  assert.equal(plain.enableOfflineQueue, false);
  assert.equal(plain.autoResendUnfulfilledCommands, false);
  assert.equal(plain.maxRetriesPerRequest, 0);
  const url = redisOptions({ ...base, REDIS_URL: "redis://h:1/0" }, "x");
  assert.equal(url.host, undefined);
});

Deno.test("connectRedis() connects through REDIS_URL and selects its database", async () => {
  const url = new URL(serviceEnv().REDIS_URL);
  url.pathname = "/5";
  const client = await connectRedis({ ...testRedisSettings(), REDIS_URL: url.href }, "test");
  try {
    await client.set("redis-test-db", "5");
    const info = await client.client("INFO");
    assert.match(String(info), /db=5/);
  } finally {
    await client.del("redis-test-db");
    await closeRedis(client);
  }
});

Deno.test("connectRedis() fails early with one clear line", async () => {
  await assert.rejects(
    () =>
      connectRedis({ ...base, REDIS_PORT: 1, REDIS_HOST: "127.0.0.1" }, "t", { timeoutMs: 2000 }),
    (err: Error) => {
      assert.match(err.message, /^Cannot connect to Redis at 127\.0\.0\.1:1\/0: /);
      assert.equal(err.message.split("\n").length, 1);
      return true;
    },
  );
});
