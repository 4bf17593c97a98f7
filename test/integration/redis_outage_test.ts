/**
 * The Redis client policy against a Redis of its own that the test stops and starts again: a
 * command rejected during the outage is never executed after the reconnect, and the outage is
 * logged exactly once (one WARNING, one INFO with its duration).
 */
import assert from "node:assert/strict";
import { type LogRecord, reset } from "@logtape/logtape";
import type { RedisClient } from "../../lib/services/mod.ts";
import { getLog } from "../../lib/config/mod.ts";
import { closeRedis, connectRedis } from "../../lib/services/mod.ts";
import { eventually } from "../harness.ts";
import { captureLogs, ownRedis } from "./outage_fixture.ts";

async function ready(client: RedisClient): Promise<void> {
  await eventually(async () => (await client.ping()) === "PONG", {
    what: "the client reconnected",
    timeoutMs: 20_000,
  });
}

Deno.test("connectRedis(): a command rejected during an outage is not executed after the reconnect", async () => {
  const redis = await ownRedis();
  const client = await connectRedis(redis.settings, "outage-test");
  try {
    await client.set("before", "1");
    await redis.stop();
    await eventually(() => client.status !== "ready", { what: "the client saw the outage" });
    const rejected = await client.incr("counted").then(() => false, () => true);
    assert.ok(rejected, "INCR during the outage is rejected");
    const rejectedPipeline = await client.pipeline().incr("piped").exec().then(
      (results) => results?.some(([err]) => err !== null) ?? true,
      () => true,
    );
    assert.ok(rejectedPipeline, "a pipeline during the outage is rejected");

    await redis.start();
    await ready(client);
    // Whatever ioredis may still hold would have been sent right after the reconnect.
    await client.ping();
    assert.equal(await client.get("counted"), null, "the rejected INCR never ran");
    assert.equal(await client.get("piped"), null, "the rejected pipeline never ran");
  } finally {
    await closeRedis(client);
    await redis.cleanup();
  }
});

Deno.test("connectRedis(): an outage is logged as exactly one WARNING and one INFO", async () => {
  const records = await captureLogs();
  const redis = await ownRedis();
  const client = await connectRedis(redis.settings, "outage-log-test", {
    outage: { log: getLog("outage-log-test"), meanwhile: "pausing, will retry" },
  });
  try {
    await redis.stop();
    // Commands keep failing meanwhile, and ioredis keeps failing to reconnect.
    await eventually(async () => {
      await client.ping().catch(() => {});
      return records.some((r) => r.level === "warning");
    }, { what: "the warning" });
    for (let i = 0; i < 10; i++) {
      await client.ping().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
    await redis.start();
    await ready(client);
    await eventually(() => records.some((r) => r.level === "info"), { what: "the info line" });
    const warnings = records.filter((r) => r.level === "warning" || r.level === "error");
    const infos = records.filter((r) => r.level === "info");
    assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings.map(text))}`);
    assert.equal(infos.length, 1, `one info: ${JSON.stringify(infos.map(text))}`);
    assert.match(text(warnings[0]), /outage-log-test: Redis unreachable at 127\.0\.0\.1:\d+\/0/);
    assert.match(text(warnings[0]), /pausing, will retry/);
    assert.match(text(infos[0]), /outage-log-test: Redis back at .* after \d+\.\d s/);
  } finally {
    await closeRedis(client);
    await redis.cleanup();
    await reset();
  }
});

function text(r: LogRecord): string {
  return r.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}
