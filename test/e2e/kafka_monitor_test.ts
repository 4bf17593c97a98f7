/**
 * End to end: the kafka-monitor program as the README runs it, as subprocesses with the same
 * permissions as its deno tasks, against the real services.
 */
import assert from "node:assert/strict";
import { queueKey } from "../../lib/frontier/mod.ts";
import { componentCommand } from "../processes.ts";
import { deleteKeysContaining, eventually, randomName, serviceEnv, testRedis } from "../harness.ts";

const monitorCommand = (args: string[], env: Record<string, string>) =>
  componentCommand("kafka-monitor", args, env);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("kafka-monitor feed + run puts a fed crawl request into its domain queue", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  const topic = randomName("incoming");
  const env = {
    ...serviceEnv(),
    KAFKA_INCOMING_TOPIC: topic,
    KAFKA_GROUP: randomName("group"),
  };
  const runner = monitorCommand(["run", "-ll", "DEBUG"], env).spawn();
  try {
    const request = JSON.stringify({
      url: "http://example.com",
      appid: "testapp",
      crawlid: "abc123",
      spiderid: spider,
    });
    const fed = await monitorCommand(["feed", request], env).output();
    assert.equal(fed.code, 0, text(fed.stderr));
    // stdout holds the log lines (LOG_STDOUT) and the pretty-printed request that was sent.
    const printed = text(fed.stdout).match(/^\{$[\s\S]*?^\}$/m)?.[0];
    assert.ok(printed, text(fed.stdout));
    assert.deepEqual(JSON.parse(printed), JSON.parse(request));
    assert.match(text(fed.stdout), /Successfully fed item to Kafka/);
    const member = await eventually(
      () => redis.zrange(queueKey(spider, "example.com"), "0", "-1").then((m) => m[0]),
      { what: "the fed request in Redis", timeoutMs: 30_000 },
    );
    assert.equal(JSON.parse(member).crawlid, "abc123");
  } finally {
    runner.kill("SIGTERM");
    const status = await runner.status;
    await runner.stdout.cancel();
    await runner.stderr.cancel();
    await deleteKeysContaining(redis, spider);
    await redis.quit();
    assert.equal(status.code, 0, "run exits 0 on SIGTERM");
  }
});

Deno.test("kafka-monitor feed rejects invalid JSON with one line and exit code 1", async () => {
  const out = await monitorCommand(["feed", "{not json"], serviceEnv()).output();
  assert.equal(out.code, 1);
  const lines = text(out.stderr).trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Cannot feed: invalid JSON/);
  assert.doesNotMatch(text(out.stdout), /Feeding JSON/);
});

Deno.test("kafka-monitor run fails early with one line when Redis is unreachable", async () => {
  const out = await monitorCommand(["run"], {
    ...serviceEnv(),
    REDIS_URL: "redis://127.0.0.1:1/0",
    REDIS_SOCKET_TIMEOUT: "2",
  }).output();
  assert.equal(out.code, 1);
  assert.match(text(out.stderr), /Cannot connect to Redis at 127\.0\.0\.1:1\/0/);
});

Deno.test("kafka-monitor rejects unknown flags and bad settings before connecting", async () => {
  const flag = await monitorCommand(["run", "--bogus"], serviceEnv()).output();
  assert.equal(flag.code, 2);
  assert.equal(text(flag.stderr).trim().split("\n").length, 1);
  const setting = await monitorCommand(["run"], { ...serviceEnv(), REDIS_PORT: "abc" }).output();
  assert.equal(setting.code, 1);
  assert.match(text(setting.stderr), /REDIS_PORT/);
  const help = await monitorCommand(["--help"], serviceEnv()).output();
  assert.equal(help.code, 0);
  assert.match(text(help.stdout), /run/);
  assert.match(text(help.stdout), /feed/);
});
