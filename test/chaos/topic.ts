/**
 * The crawled topic as the chaos harness sees it: created with `LogAppendTime` (each message
 * carries the broker's clock at the moment it was stored, whatever the producer's retries),
 * its size polled while the crawl runs, and read whole once it is over.
 *
 * @module
 */

import { createConsumer, createKafka, type Kafka } from "../../lib/services/mod.ts";
import { withTimeout } from "../../lib/async/mod.ts";
import type { Delivery } from "./analysis.ts";

/** Creates `topic` (one partition) with broker-side timestamps, unless it exists. */
export async function createTimedTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      topics: [{
        topic,
        numPartitions: 1,
        configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }],
      }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Messages stored in `topic` so far (sum of its partitions' high watermarks); null when the
 * broker does not answer within `timeoutMs` (it may be down: that is the point).
 */
export async function topicSize(
  hosts: string,
  topic: string,
  timeoutMs = 2_000,
): Promise<number | null> {
  const kafka = createKafka(hosts, "chaos-size", {
    retry: { retries: 0 },
    connectionTimeout: 1_000,
    logLevel: 0,
  });
  const admin = kafka.admin();
  try {
    return await withTimeout(
      (async () => {
        await admin.connect();
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.reduce((n, p) => n + Number(p.high), 0);
      })(),
      timeoutMs,
    );
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Reads every message `topic` holds now and decodes each result item into a {@linkcode Delivery}. */
export async function readDeliveries(
  hosts: string,
  topic: string,
  opts: { timeoutMs?: number } = {},
): Promise<Delivery[]> {
  const kafka = createKafka(hosts, "chaos-read");
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, Number(p.high));
  } finally {
    await admin.disconnect();
  }
  const out: Delivery[] = [];
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  if (remaining.size === 0) return out;
  const done = Promise.withResolvers<void>();
  const consumer = createConsumer(kafka, {
    groupId: `chaos-read-${crypto.randomUUID().slice(0, 8)}`,
    allowAutoTopicCreation: false,
    maxBytes: 50 * 2 ** 20,
    maxBytesPerPartition: 20 * 2 ** 20,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const end = ends.get(batch.partition) ?? 0;
        for (const m of batch.messages) {
          if (Number(m.offset) >= end) continue;
          out.push(_delivery(m.value, Number(m.timestamp)));
          if (Number(m.offset) === end - 1) remaining.delete(batch.partition);
        }
        if (remaining.size === 0) done.resolve();
        return Promise.resolve();
      },
    });
    await withTimeout(done.promise, opts.timeoutMs ?? 60_000, {
      message: `reading ${topic}: ${out.length} messages read, partitions ${[
        ...remaining,
      ]} unfinished`,
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return out;
}

function _delivery(value: Uint8Array | null, time: number): Delivery {
  try {
    const item = JSON.parse(new TextDecoder().decode(value ?? new Uint8Array()));
    const path = new URL(String(item.url)).pathname;
    return { path, time, status: typeof item.status_code === "number" ? item.status_code : null };
  } catch {
    return { path: "(unparseable)", time, status: null };
  }
}
