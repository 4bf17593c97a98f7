import assert from "node:assert/strict";
import { randomName, serviceEnv } from "../harness.ts";
import {
  BatchingProducer,
  brokerList,
  checkKafka,
  createConsumer,
  createKafka,
  ensureTopics,
  KAFKA_FRAMING_BYTES,
  listTopics,
  MessageTooLargeError,
  produceOnce,
} from "../../lib/services/mod.ts";

const settings = (over: Partial<Record<string, number>> = {}) => ({
  KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS,
  KAFKA_PRODUCER_BATCH_LINGER_MS: 25,
  KAFKA_PRODUCER_BUFFER_BYTES: 4 * 1024 * 1024,
  KAFKA_PRODUCER_MAX_REQUEST_SIZE: 1024 * 1024,
  ...over,
});

Deno.test("brokerList() splits and trims KAFKA_HOSTS", () => {
  assert.deepEqual(brokerList(" h1:9092, h2:9092,,"), ["h1:9092", "h2:9092"]);
});

Deno.test("checkKafka() fails early with one clear line when nothing listens", async () => {
  await assert.rejects(
    () => checkKafka("127.0.0.1:1", 3_000),
    /^Error: Cannot connect to Kafka at 127\.0\.0\.1:1: /,
  );
});

/** Reads `count` messages of a topic from the beginning. */
async function readMessages(topic: string, count: number): Promise<string[]> {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test-reader");
  const consumer = createConsumer(kafka, { groupId: randomName("g") });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: ({ message }) => {
        seen.push(message.value?.toString() ?? "");
        if (seen.length >= count) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

Deno.test("BatchingProducer.send() resolves after the broker acknowledged, in order", async () => {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test");
  const topic = randomName("topic");
  await ensureTopics(kafka, [topic]);
  assert.ok((await listTopics(kafka)).includes(topic));
  const producer = new BatchingProducer(kafka, settings());
  await producer.connect();
  try {
    const sends = Array.from({ length: 100 }, (_, i) => producer.send(topic, `m${i}`));
    await Promise.all(sends);
    assert.deepEqual(
      await readMessages(topic, 100),
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
  } finally {
    await producer.close();
  }
});

Deno.test("BatchingProducer sends at once when idle, and what gathers behind a batch in flight when it is acknowledged", async () => {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test");
  const topic = randomName("topic");
  await ensureTopics(kafka, [topic]);
  // A linger of a minute: only the idle rule and the acknowledgement can get messages out in time.
  const producer = new BatchingProducer(
    kafka,
    settings({ KAFKA_PRODUCER_BATCH_LINGER_MS: 60_000 }),
  );
  await producer.connect();
  const late = (ms: number) => new Promise<"late">((ok) => setTimeout(() => ok("late"), ms));
  try {
    const first = producer.send(topic, "first"); // idle: goes out with this tick
    const second = producer.send(topic, "second"); // the same tick: the same batch
    assert.equal(await Promise.race([first.then(() => "sent"), late(10_000)]), "sent");
    await second;
    // While a batch is in flight, the next message waits for it, then goes without the linger.
    const order: string[] = [];
    const inFlight = producer.send(topic, "third").then(() => order.push("third"));
    await new Promise((ok) => setTimeout(ok, 0)); // "third" is on its way now
    const waiting = producer.send(topic, "fourth").then(() => order.push("fourth"));
    assert.equal(await Promise.race([waiting.then(() => "sent"), late(10_000)]), "sent");
    await inFlight;
    assert.deepEqual(order, ["third", "fourth"]);
    assert.deepEqual(await readMessages(topic, 4), ["first", "second", "third", "fourth"]);
  } finally {
    await producer.close();
  }
});

Deno.test("BatchingProducer.send() rejects an oversized message without sending it", async () => {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test");
  const topic = randomName("topic");
  await ensureTopics(kafka, [topic]);
  const producer = new BatchingProducer(kafka, settings({ KAFKA_PRODUCER_MAX_REQUEST_SIZE: 1000 }));
  await producer.connect();
  try {
    // 400 characters of 3-byte UTF-8: 1200 bytes, though only 400 UTF-16 units.
    await assert.rejects(() => producer.send(topic, "€".repeat(400)), MessageTooLargeError);
    await producer.send(topic, "small");
    assert.deepEqual(await readMessages(topic, 1), ["small"]);
  } finally {
    await producer.close();
  }
});

Deno.test("BatchingProducer fills batches by exact UTF-8 size and keeps them under the broker's limit", async () => {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test");
  const topic = randomName("topic");
  await ensureTopics(kafka, [topic]);
  // The broker's default message.max.bytes (1,048,588) caps a record batch: every batch of
  // these 2.5 MB, and the message of the largest size allowed, must be accepted.
  const producer = new BatchingProducer(kafka, settings());
  await producer.connect();
  try {
    const key = "app\tcrawl-\u00e9";
    const page = (i: number) => `${i}:${"x".repeat(20_000 + i * 37)}\u00e9\u{1F600}`;
    const sends = Array.from({ length: 120 }, (_, i) => producer.send(topic, page(i), key));
    const largest = 1024 * 1024 - new TextEncoder().encode(key).length - KAFKA_FRAMING_BYTES;
    const big = "y".repeat(largest);
    sends.push(producer.send(topic, big, key));
    await Promise.all(sends);
    await assert.rejects(() => producer.send(topic, big + "y", key), MessageTooLargeError);
    const got = await readMessages(topic, 121);
    assert.equal(got.length, 121);
    // Compared by index and size first: a failure then prints short lines, not pages.
    assert.deepEqual(
      got.slice(0, 120).map((m) => [m.slice(0, m.indexOf(":")), m.length]),
      Array.from({ length: 120 }, (_, i) => [String(i), page(i).length]),
    );
    got.slice(0, 120).forEach((m, i) => assert.ok(m === page(i), `message ${i}`));
    assert.equal(got[120].length, largest);
  } finally {
    await producer.close();
  }
});

Deno.test("produceOnce() delivers one message and ensureTopics() is idempotent", async () => {
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test");
  const topic = randomName("topic");
  await ensureTopics(kafka, [topic]);
  await ensureTopics(kafka, [topic]);
  await produceOnce(kafka, topic, '{"a":1}', 10_000);
  assert.deepEqual(await readMessages(topic, 1), ['{"a":1}']);
});
