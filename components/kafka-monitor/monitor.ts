/**
 * The kafka-monitor: consumes `KAFKA_INCOMING_TOPIC` in the consumer group `KAFKA_GROUP`,
 * validates each message against the loaded plugins' schemas in rank order, and lets the first
 * plugin that accepts it write to Redis. A whole Kafka batch goes to Redis in one pipeline and
 * offsets are resolved only after that pipeline succeeded, so an accepted request is never lost
 * (at worst it is written twice, which the queue's set semantics and the dupefilter absorb).
 * While Redis is unreachable (a pipeline rejected, or any of its commands failing for want of a
 * connection rather than refused by Redis) the batch is retried with backoff and its offsets
 * stay unresolved: intake pauses, nothing is committed past a request Redis does not hold, and
 * a monitor stopped meanwhile leaves the batch to the next one. Requests refused for their
 * content (schema, plugin, a Redis `ReplyError` such as a key of the wrong type) are resolved:
 * they are refused, not lost.
 *
 * @module
 */

import { retry, RetryError } from "../../lib/async/mod.ts";
import {
  heartbeatKey,
  hostName,
  PROCESS_ID,
  startHeartbeat,
  startStatsDump,
  StatsCollector,
  windowsFromNames,
} from "../../lib/stats/mod.ts";
import {
  checkKafka,
  createConsumer,
  createKafka,
  describeRedis,
  ensureTopics,
  type KafkaMessage,
  logRedisFailure,
  watchRedis,
} from "../../lib/services/mod.ts";
import { startMetrics } from "../../lib/metrics/mod.ts";
import {
  type Outcome,
  type ProcessDeps,
  processMessages,
  RedisUnavailableError,
} from "./process.ts";

export { type Outcome, type ProcessDeps, processMessages, RedisUnavailableError };

/**
 * Bytes one fetch brings at most (kafkajs's default is 10 MB): what the monitor holds while
 * it works through a backlog. Throughput is the same as with more (a fetch is ~7,000 requests);
 * the peak RSS of a long drain 260 MB instead of 370+. A message larger than this still comes:
 * the broker always returns a partition's first record batch whole.
 */
const FETCH_MAX_BYTES = 1024 * 1024;
/** Longest wait between two attempts to store a batch while Redis is away. */
const REDIS_RETRY_MAX_MS = 2_000;

/** Everything {@linkcode runKafkaMonitor} needs. */
export interface MonitorDeps extends Omit<ProcessDeps, "stats"> {
  /** Called after each batch (tests use it to wait for progress). */
  readonly onBatch?: (outcomes: Outcome[]) => void;
  /** Called when the group (re)assigns partitions, with how many this monitor got. */
  readonly onGroupJoin?: (partitions: number) => void;
}

/** The batch's partition is no longer ours (rebalance) or the consumer stops. */
class BatchAbandoned extends Error {
  constructor() {
    super("batch abandoned: the consumer stops or lost the partition");
    this.name = "BatchAbandoned";
  }
}

/** Runs the monitor until `signal` aborts; resolves after offsets are committed. */
export async function runKafkaMonitor(
  deps: MonitorDeps,
  opts: { signal: AbortSignal },
): Promise<void> {
  const { settings, redis, log } = deps;
  await checkKafka(settings);
  const metrics = startMetrics(settings, { signal: opts.signal, log });
  const kafka = createKafka(settings, `kafka-monitor-${PROCESS_ID}`);
  await ensureTopics(kafka, [settings.KAFKA_INCOMING_TOPIC]);
  const windows = windowsFromNames(
    settings.STATS_TIMES,
    (name) => log.warn("Unknown STATS_TIMES entry {name} skipped", { name }),
  );
  const stats = new StatsCollector("kafka-monitor", windows);
  const processDeps: ProcessDeps = { ...deps, stats };
  // The connection's outage reporter (main.ts attaches it; tests may not have).
  watchRedis(redis, describeRedis(settings), {
    log,
    component: "kafka-monitor",
    meanwhile: "pausing intake, will retry",
  });

  const consumer = createConsumer(kafka, {
    groupId: settings.KAFKA_GROUP,
    maxBytesPerPartition: settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
    maxBytes: FETCH_MAX_BYTES,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = Object.values(payload.memberAssignment).flat().length;
    log.info("Joined group {group} with {assigned} partition(s)", {
      group: settings.KAFKA_GROUP,
      assigned,
    });
    deps.onGroupJoin?.(assigned);
  });
  await consumer.connect();
  await consumer.subscribe({
    topic: settings.KAFKA_INCOMING_TOPIC,
    fromBeginning: settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET === "earliest",
  });
  await startHeartbeat(redis, heartbeatKey("kafka-monitor", hostName(), PROCESS_ID), {
    ttlSec: settings.HEARTBEAT_TIMEOUT,
    signal: opts.signal,
    onError: (err) => logRedisFailure(log, redis, "Heartbeat failed: {error}", err),
  });

  startStatsDump(redis, "kafka-monitor", log, {
    intervalSec: settings.STATS_DUMP,
    signal: opts.signal,
  });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: settings.KAFKA_CONSUMER_COMMIT_INTERVAL_MS,
    eachBatchAutoResolve: false,
    eachBatch: async (
      { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale },
    ) => {
      const chunkSize = 500;
      for (let i = 0; i < batch.messages.length && isRunning(); i += chunkSize) {
        const chunk: KafkaMessage[] = batch.messages.slice(i, i + chunkSize);
        const values = chunk.map((m) => m.value?.toString("utf8") ?? null);
        let outcomes: Outcome[];
        try {
          // While Redis is away: pause here, keep the group membership, resolve nothing.
          outcomes = await retry(async ({ attempt }) => {
            if (attempt > 1) {
              if (!isRunning() || isStale()) throw new BatchAbandoned();
              await heartbeat().catch(() => {});
            }
            return await processMessages(values, processDeps);
          }, {
            maxAttempts: Infinity,
            minDelayMs: 200,
            maxDelayMs: REDIS_RETRY_MAX_MS,
            jitter: 0.5,
            signal: opts.signal,
            isRetriable: (err) => err instanceof RedisUnavailableError,
            onRetry: (err, attempt, delayMs) =>
              log.debug("Batch not stored, attempt {attempt}, next in {delayMs} ms: {error}", {
                attempt,
                delayMs,
                error: (err as Error).message,
              }),
          });
        } catch (err) {
          // Stopping, or the partition moved to another monitor: it gets the batch again.
          if (err instanceof BatchAbandoned || err instanceof RetryError) return;
          throw err;
        }
        // Only now does Redis hold these requests: the offsets may be committed.
        resolveOffset(chunk[chunk.length - 1].offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
        deps.onBatch?.(outcomes);
      }
    },
  });
  log.info("Kafka Monitor consuming {topic} as group {group}", {
    topic: settings.KAFKA_INCOMING_TOPIC,
    group: settings.KAFKA_GROUP,
  });

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  log.info("Kafka Monitor stopping");
  // disconnect() waits for the batch in progress and commits the resolved offsets.
  await consumer.disconnect();
  for (const { plugin } of deps.plugins) await plugin.close?.();
  await metrics?.close();
}
