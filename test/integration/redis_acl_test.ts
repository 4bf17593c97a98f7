/**
 * Redis ACL users against a real redis-server started with users (`--user`, the open `default`
 * user switched off): `REDIS_USERNAME` + `REDIS_PASSWORD`, or the user in `REDIS_URL`, connects;
 * a wrong password fails at once with one line saying what to check; a user's key patterns and
 * commands are enforced.
 */
import assert from "node:assert/strict";
import { closeRedis, connectRedis, type RedisSettings } from "../../lib/services/mod.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";

const USERS = ["default off", "app on >app-secret ~app:* +@read +@write -@dangerous +ping +info"];

function settings(port: number, extra: Partial<RedisSettings> = {}): RedisSettings {
  return {
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: port,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: null,
    REDIS_SOCKET_TIMEOUT: 30,
    ...extra,
  };
}

async function withAclRedis(fn: (port: number) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-acl-" });
  const port = await freePort();
  const proc = await startRedis(port, dir, { users: USERS });
  try {
    await fn(port);
  } finally {
    await proc.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("Redis ACL: REDIS_USERNAME/REDIS_PASSWORD and the URL's user connect; patterns hold", async () => {
  await withAclRedis(async (port) => {
    for (
      const s of [
        settings(port, { REDIS_USERNAME: "app", REDIS_PASSWORD: "app-secret" }),
        settings(port, { REDIS_URL: `redis://app:app-secret@127.0.0.1:${port}/0` }),
      ]
    ) {
      const client = await connectRedis(s, "acl-test");
      try {
        await client.set("app:probe", "1");
        assert.equal(await client.get("app:probe"), "1");
        await assert.rejects(client.set("other:probe", "1"), /NOPERM/);
        await assert.rejects(client.flushall(), /NOPERM/);
      } finally {
        await closeRedis(client);
      }
    }
  });
});

Deno.test("Redis ACL: a wrong password fails at once with one line naming the settings", async () => {
  await withAclRedis(async (port) => {
    const started = performance.now();
    const err = await connectRedis(
      settings(port, { REDIS_USERNAME: "app", REDIS_PASSWORD: "wrong" }),
      "acl-test",
    ).then(closeRedis, (e: Error) => e);
    assert.ok(err instanceof Error, "the connection was refused");
    assert.match(
      err.message,
      new RegExp(
        `^Cannot connect to Redis at 127\\.0\\.0\\.1:${port}/0: WRONGPASS .*REDIS_USERNAME`,
      ),
    );
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(performance.now() - started < 30_000, "before the socket timeout");
  });
});
