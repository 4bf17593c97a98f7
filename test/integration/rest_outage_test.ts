/**
 * The rest service during outages, against a Redis and a Kafka of the test's own that it stops
 * and starts: an answer nobody waits for is in Redis before its offset is committed, and the
 * health answer follows the services' real state.
 */
import assert from "node:assert/strict";
import { reset } from "@logtape/logtape";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import {
  closeRedis,
  connectRedis,
  createKafka,
  ensureTopics,
  produceOnce,
} from "../../lib/services/mod.ts";
import { startKafka } from "../../lib/services/local/kafka_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import type { ServerProcess } from "../../lib/services/local/process.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import { KafkaAnswers, type Routed } from "../../components/rest/answers.ts";
import { RedisPolls, restPollKey } from "../../components/rest/polls.ts";
import { startRestService } from "../../components/rest/service.ts";
import { REST_SETTINGS } from "../../components/rest/settings.ts";
import { captureLogs, ownRedis } from "./outage_fixture.ts";

const log = getLog("rest", "test");

Deno.test("KafkaAnswers stores an answer in Redis before committing its offset, across a Redis outage", async () => {
  const records = await captureLogs();
  const redis = await ownRedis();
  const client = await connectRedis(redis.settings, "rest");
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "rest-outage-test");
  const topic = randomName("outbound");
  await ensureTopics(kafka, [topic]);
  const groupId = randomName("rest-answers");
  const events: Routed[] = [];
  // One rest process: its own Redis connection and answer consumer, closed together.
  const answersFor = async () => {
    const own = await connectRedis(redis.settings, "rest");
    const polls = new RedisPolls(own, 600);
    const consumer = new KafkaAnswers({
      kafka,
      topic,
      store: (uuid, json) => polls.put(uuid, json),
      log,
      fromBeginning: true,
      groupId,
      onAnswer: (e) => events.push(e),
    });
    return {
      start: () => consumer.start(),
      close: async () => {
        await consumer.close();
        await closeRedis(own);
      },
    };
  };
  let answers = await answersFor();
  try {
    await answers.start();
    await produceOnce(kafka, topic, JSON.stringify({ uuid: "u0", n: 0 }), 10_000);
    await eventually(() => events.some((e) => e.uuid === "u0"), { what: "u0 stored" });

    await redis.stop();
    await produceOnce(kafka, topic, JSON.stringify({ uuid: "u1", n: 1 }), 10_000);
    await eventually(
      () =>
        records.some((r) => {
          const text = r.message.map(String).join("");
          return text.includes("u1") && /not stored|Cannot store/.test(text);
        }),
      { what: "the store of u1 failed once" },
    );
    // Restarted while Redis is away: the next consumer of the group must see u1 again.
    await answers.close();
    await redis.start();
    answers = await answersFor();
    await answers.start();
    await eventually(async () => (await client.get(restPollKey("u1"))) !== null, {
      what: "u1 stored for /poll after the restart",
      timeoutMs: 30_000,
    });
    assert.deepEqual(JSON.parse((await client.get(restPollKey("u1")))!), { uuid: "u1", n: 1 });
  } finally {
    await answers.close();
    await closeRedis(client);
    await redis.cleanup();
    await reset();
  }
});

Deno.test("startRestService(): health follows Kafka and Redis stopped and started again", async () => {
  const records = await captureLogs();
  const redis = await ownRedis();
  const kafkaPort = await freePort();
  const controllerPort = await freePort();
  const kafkaDir = await Deno.makeTempDir({ prefix: "rest-outage-kafka-" });
  let broker: ServerProcess | null = await startKafka(kafkaPort, controllerPort, kafkaDir);
  const prefix = randomName("rest");
  const settings = loadSettings(REST_SETTINGS, {
    env: {
      REDIS_URL: `redis://127.0.0.1:${redis.settings.REDIS_PORT}/0`,
      KAFKA_HOSTS: `127.0.0.1:${kafkaPort}`,
    },
    overrides: {
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
      REST_PORT: 0,
    },
  });
  const service = await startRestService(settings, { log, id: randomName("id") });
  const health = async () =>
    await (await service.handler(new Request("http://localhost/"))).json() as Record<
      string,
      unknown
    >;
  // A bound on how long the probes take to see a change: well above their 0.5 s period plus
  // 1 s timeout, well below the 10 s a stale consumer took before.
  const within = { timeoutMs: 5_000 };
  try {
    await eventually(async () => (await health()).node_health === "GREEN", {
      what: "GREEN at start",
      timeoutMs: 20_000,
    });
    await broker.stop();
    broker = null;
    await eventually(async () => {
      const h = await health();
      return h.kafka_connected === false && h.node_health === "YELLOW";
    }, { what: "kafka_connected false once the broker stopped", ...within });
    broker = await startKafka(kafkaPort, controllerPort, kafkaDir);
    await eventually(async () => (await health()).node_health === "GREEN", {
      what: "GREEN once the broker is back",
      ...within,
    });

    await redis.stop();
    await eventually(async () => (await health()).redis_connected === false, {
      what: "redis_connected false once Redis stopped",
      ...within,
    });
    await redis.start();
    await eventually(async () => (await health()).node_health === "GREEN", {
      what: "GREEN once Redis is back",
      ...within,
    });
    const outageLines = records
      .filter((r) => r.level === "warning" || r.level === "info")
      .map((r) => r.message.map(String).join(""))
      .filter((l) => /unreachable at|back at/.test(l));
    assert.deepEqual(
      outageLines.map((l) => l.replace(/ at .*/, "")),
      [
        "rest: Kafka unreachable",
        "rest: Kafka back",
        "rest: Redis unreachable",
        "rest: Redis back",
      ],
      outageLines.join("\n"),
    );
  } finally {
    await service.close();
    await broker?.stop();
    await redis.cleanup();
    await Deno.remove(kafkaDir, { recursive: true }).catch(() => {});
    await reset();
  }
});
