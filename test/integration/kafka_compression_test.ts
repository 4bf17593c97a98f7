/**
 * `KAFKA_COMPRESSION` on the real broker: for each choice, a {@linkcode BatchingProducer}
 * compresses its batches (the codec's compress runs, and the broker accepts and verifies them),
 * and every consumer path of the cluster reads them back unchanged: kafkadump's `dumpTopic`,
 * the webhook's firehose consumer and the kafka-monitor (requests land in Redis).
 */

import assert from "node:assert/strict";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { queueKey } from "../../lib/frontier/mod.ts";
import {
  BatchingProducer,
  compressionType,
  createKafka,
  ensureTopics,
  KAFKA_COMPRESSIONS,
  type KafkaCompression,
} from "../../lib/services/mod.ts";
import { deleteKeysContaining, eventually, randomName, serviceEnv, testRedis } from "../harness.ts";
import { dumpTopic } from "../../components/kafkadump/dump.ts";
import { consumeFirehose } from "../../components/webhook/consumer.ts";
import type { Lanes } from "../../components/webhook/lanes.ts";
import type { WebhookSettings } from "../../components/webhook/settings.ts";
import { runKafkaMonitor } from "../../components/kafka-monitor/monitor.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";

const log = getLog("kafka-compression", "test");

/** Result-like items: a 20 KB body that compresses well, and small ones. */
function items(appid: string, count: number): string[] {
  const body = btoa("<p>page text, links and markup</p>".repeat(600));
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(
      i % 3 === 0
        ? { url: `http://a.test/${i}`, appid, crawlid: "c1", status_code: 200, body }
        : { url: `http://a.test/${i}`, appid, crawlid: "c1", status_code: 404, n: i },
    ));
}

/** Counts the calls of a registered codec's compress and decompress while `fn` runs. */
async function countingCodecCalls(
  compression: KafkaCompression,
  fn: () => Promise<void>,
): Promise<{ compress: number; decompress: number }> {
  const calls = { compress: 0, decompress: 0 };
  if (compression === "none") {
    await fn();
    return calls;
  }
  type Codec = { compress(e: unknown): Promise<unknown>; decompress(b: unknown): Promise<unknown> };
  const table = CompressionCodecs as unknown as Record<number, () => Codec>;
  const type = compressionType(compression);
  const registered = table[type];
  const codec = registered();
  table[type] = () => ({
    compress: (e) => (calls.compress++, codec.compress(e)),
    decompress: (b) => (calls.decompress++, codec.decompress(b)),
  });
  try {
    await fn();
  } finally {
    table[type] = registered;
  }
  return calls;
}

async function produce(
  compression: KafkaCompression,
  topic: string,
  values: string[],
): Promise<void> {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test-compression");
  await ensureTopics(kafka, [topic]);
  const producer = new BatchingProducer(kafka, {
    KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS,
    KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
    KAFKA_PRODUCER_BUFFER_BYTES: 900_000,
    KAFKA_PRODUCER_MAX_REQUEST_SIZE: 1024 * 1024,
    KAFKA_COMPRESSION: compression,
  });
  await producer.connect();
  try {
    await Promise.all(values.map((v) => producer.send(topic, v)));
  } finally {
    await producer.close();
  }
}

/** The webhook's consumer with lanes that only record what they are given. */
async function readThroughWebhookConsumer(prefix: string, count: number): Promise<string[]> {
  const seen: string[] = [];
  const all = Promise.withResolvers<void>();
  const lane = {
    push(entry: { json: string; done: () => void }) {
      seen.push(entry.json);
      entry.done();
      if (seen.length >= count) all.resolve();
    },
  };
  const lanes = { match: () => [lane] } as unknown as Lanes;
  const settings = {
    KAFKA_TOPIC_PREFIX: prefix,
    WEBHOOK_GROUP: randomName("webhook"),
    KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: 10 * 1024 * 1024,
    KAFKA_CONSUMER_AUTO_OFFSET_RESET: "earliest",
  } as WebhookSettings;
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test-webhook");
  const stop = new AbortController();
  const running = consumeFirehose(kafka, settings, lanes, log, stop.signal);
  const timeout = setTimeout(() => all.reject(new Error(`saw ${seen.length}/${count}`)), 30_000);
  try {
    await all.promise;
  } finally {
    clearTimeout(timeout);
    stop.abort();
    await running;
  }
  return seen;
}

for (const compression of KAFKA_COMPRESSIONS) {
  Deno.test(`KAFKA_COMPRESSION=${compression}: kafkadump and the webhook consumer read every item`, async () => {
    const prefix = randomName("cmp");
    const topic = crawledFirehose(prefix);
    const values = items("app", 60);
    const produced = await countingCodecCalls(
      compression,
      () => produce(compression, topic, values),
    );

    const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test-dump");
    const lines: string[] = [];
    const read = await countingCodecCalls(compression, async () => {
      const count = await dumpTopic(kafka, topic, {
        fromBeginning: true,
        maxMessages: values.length,
        signal: AbortSignal.timeout(30_000),
        write: (line) => lines.push(line),
      });
      assert.equal(count, values.length);
      assert.deepEqual(await readThroughWebhookConsumer(prefix, values.length), values);
    });
    assert.deepEqual(lines, values);
    if (compression !== "none") {
      assert.ok(produced.compress >= 1, `the ${compression} codec compressed the batches`);
      assert.ok(read.decompress >= 2, `both consumers decompressed ${compression} batches`);
    }
  });

  Deno.test(`KAFKA_COMPRESSION=${compression}: the kafka-monitor takes the requests produced with it to Redis`, async () => {
    const redis = testRedis();
    const spider = randomName("spider");
    const topic = randomName("incoming");
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {
      env: { REDIS_URL: serviceEnv().REDIS_URL, KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS },
      overrides: { KAFKA_INCOMING_TOPIC: topic, KAFKA_GROUP: randomName("group") },
    });
    const requests = ["a.test", "b.test", "c.test"].map((host) =>
      JSON.stringify({ url: `http://${host}/`, appid: "app", crawlid: "c1", spiderid: spider })
    );
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    const stop = new AbortController();
    try {
      await produce(compression, topic, requests);
      const running = runKafkaMonitor({ settings, redis, plugins, log }, { signal: stop.signal });
      try {
        for (const host of ["a.test", "b.test", "c.test"]) {
          await eventually(() => redis.zcard(queueKey(spider, host)).then((n) => n === 1), {
            what: `the request for ${host} in Redis`,
          });
        }
      } finally {
        stop.abort();
        await running;
      }
    } finally {
      await deleteKeysContaining(redis, spider);
      await redis.quit();
    }
  });
}

Deno.test("every KAFKA_COMPRESSION maps to its kafkajs type", () => {
  assert.deepEqual(KAFKA_COMPRESSIONS.map(compressionType), [
    CompressionTypes.None,
    CompressionTypes.GZIP,
    CompressionTypes.LZ4,
    CompressionTypes.ZSTD,
  ]);
});
