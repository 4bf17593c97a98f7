/**
 * Reads `<prefix>.crawled_firehose` in the consumer group `WEBHOOK_GROUP` (processes of one
 * group share the partitions) and hands each item to the lanes of the hooks it matches.
 *
 * At least once: kafkajs's auto-commit is off; an offset is committed (every 200 ms) only when
 * every hook has each message up to it delivered or parked ({@linkcode OffsetTracker}). A
 * process killed mid-delivery leaves the last commit behind what it delivered, so its
 * successor delivers those items again (duplicates, nothing lost). After a rebalance the
 * tracker starts afresh: items still queued from a partition that moved are delivered anyway
 * (duplicates again), and their completions no longer move any offset.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { type Consumer, createConsumer, type Kafka } from "../../lib/services/mod.ts";
import { OffsetTracker } from "./offsets.ts";
import type { Lanes } from "./lanes.ts";
import type { WebhookSettings } from "./settings.ts";

/** How often done offsets are committed. */
const COMMIT_INTERVAL_MS = 200;

/** Consumes until `signal` aborts; resolves after the last commit. */
export async function consumeFirehose(
  kafka: Kafka,
  settings: WebhookSettings,
  lanes: Lanes,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const topic = crawledFirehose(settings.KAFKA_TOPIC_PREFIX);
  const consumer: Consumer = createConsumer(kafka, {
    groupId: settings.WEBHOOK_GROUP,
    maxBytesPerPartition: settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
  });
  let tracker = new OffsetTracker();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    tracker = new OffsetTracker(); // a new generation: partitions may have moved
  });
  await consumer.connect();
  await consumer.subscribe({
    topic,
    fromBeginning: settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET === "earliest",
  });
  const commit = async () => {
    const t = tracker;
    const offsets = t.partitions().flatMap((partition) => {
      const offset = t.committable(partition);
      return offset === null ? [] : [{ topic, partition, offset }];
    });
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (err) {
      // Rebalancing or Kafka away: the next commit carries later offsets anyway.
      log.debug("Offset commit failed: {error}", { error: (err as Error).message });
    }
  };
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const t = tracker;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const json = message.value?.toString("utf8") ?? "";
        const targets = _targets(lanes, json);
        const done = t.track(batch.partition, message.offset, targets.length);
        for (const lane of targets) lane.push({ json, done });
        resolveOffset(message.offset);
      }
      await heartbeat();
    },
  });
  const timer = setInterval(commit, COMMIT_INTERVAL_MS);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  clearInterval(timer);
  await commit();
  await consumer.disconnect().catch(() => {});
}

/** The lanes of a raw item (none for what is not a JSON object). */
function _targets(lanes: Lanes, json: string) {
  let item: unknown;
  try {
    item = JSON.parse(json);
  } catch {
    return [];
  }
  if (item === null || typeof item !== "object") return [];
  const { appid, crawlid } = item as Record<string, unknown>;
  return lanes.match(appid, crawlid);
}
