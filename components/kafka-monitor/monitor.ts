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

import type { Logger } from "@logtape/logtape";
import { type ChainableCommander, ReplyError } from "ioredis";
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
  commandBatch,
  createConsumer,
  createKafka,
  describeRedis,
  ensureTopics,
  type KafkaMessage,
  logRedisFailure,
  type RedisClient,
  watchRedis,
} from "../../lib/services/mod.ts";
import { type Classified, createIntakeClassifier, type Unclassified } from "../../lib/api/mod.ts";
import { type KafkaMonitorPlugin, type RankedPlugin, RequestRejected } from "./plugin.ts";
import type { KafkaMonitorSettings } from "./settings.ts";
import { countIntake, startMetrics } from "../../lib/metrics/mod.ts";

/** What happened to one message. */
export type Outcome =
  | { status: "handled"; plugin: string }
  | { status: "failed"; reason: string; plugin?: string };

/** Everything {@linkcode processMessages} needs. */
export interface ProcessDeps {
  readonly settings: KafkaMonitorSettings;
  readonly redis: RedisClient;
  readonly plugins: readonly RankedPlugin[];
  readonly log: Logger;
  readonly stats: StatsCollector;
}

const LOGGED_DATA_CHARS = 500;
/** Longest wait between two attempts to store a batch while Redis is away. */
const REDIS_RETRY_MAX_MS = 2_000;

/** A message shortened for a log line. */
function preview(text: string): string {
  return text.length > LOGGED_DATA_CHARS ? `${text.slice(0, LOGGED_DATA_CHARS)}…` : text;
}

/**
 * Redis could not be reached for a batch (the pipeline, or one of its commands, failed for
 * want of a connection): none of its requests may be taken as stored; retry the whole batch.
 */
export class RedisUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Cannot store the batch: Redis unreachable (${(cause as Error)?.message ?? cause})`, {
      cause,
    });
    this.name = "RedisUnavailableError";
  }
}

/**
 * Validates and handles a batch of raw messages, writing everything to Redis in one pipeline
 * (`commandBatch()`).
 * Resolves with one outcome per message once Redis holds the writes (refusals are logged only
 * then, so a retried batch logs them once); rejects with {@linkcode RedisUnavailableError} (so
 * the batch is retried) when Redis itself cannot be reached.
 */
export async function processMessages(
  messages: readonly (string | null)[],
  deps: ProcessDeps,
): Promise<Outcome[]> {
  const { settings, redis, plugins, log, stats } = deps;
  // One pipeline; on Redis Cluster single commands batched per node (keys span the slots).
  const pipeline = commandBatch(redis);
  const now = Date.now();
  const outcomes: Outcome[] = [];
  // Which pipeline commands each message added, to map command errors back to messages.
  const commandRanges: [number, number][] = [];
  const logLater: (() => void)[] = [];
  const refusals: (Unclassified | null)[] = []; // the classifier's verdicts, for the metrics
  // Validators are compiled once and cached, so building this per batch costs little.
  // The intake contract REST `/feed` shares (lib/api/classify.ts).
  const classifier = createIntakeClassifier(plugins, settings);

  for (const raw of messages) {
    const before = pipeline.length;
    if (settings.STATS_TOTAL) stats.increment(pipeline, "total", now);
    const match = classifier.classifyMessage(raw ?? "");
    const outcome = match.ok
      ? await handleOne(match, pipeline, now)
      : { status: "failed" as const, reason: _reason(match) };
    if (outcome.status === "handled") {
      if (settings.STATS_PLUGINS) stats.increment(pipeline, outcome.plugin, now);
    } else {
      if (settings.STATS_TOTAL) stats.increment(pipeline, "fail", now);
      const failed = outcome;
      logLater.push(() => logFailure(log, failed, raw ?? "", match.ok ? null : match));
    }
    outcomes.push(outcome);
    refusals.push(match.ok ? null : match);
    commandRanges.push([before, pipeline.length]);
  }

  const results = await pipeline.exec().catch((err) => {
    throw new RedisUnavailableError(err);
  });
  if (results === null) throw new RedisUnavailableError("pipeline discarded");
  // Without a connection ("Stream isn't writeable", "Command timed out", connection closed)
  // the command was not stored, or not known to be: the whole batch is retried.
  const unreachable = results.find(([e]) => e !== null && !(e instanceof ReplyError))?.[0];
  if (unreachable) throw new RedisUnavailableError(unreachable);
  for (const write of logLater) write();
  // A command error Redis answered (e.g. a key of the wrong type) fails that message only;
  // retrying the batch would fail the same way forever.
  commandRanges.forEach(([from, to], i) => {
    const err = results.slice(from, to).find(([e]) => e !== null)?.[0];
    if (err && outcomes[i].status === "handled") {
      outcomes[i] = { status: "failed", reason: `Redis refused the write: ${err.message}` };
      log.error("Redis refused the write for a request: {reason}", {
        reason: err.message,
        data: preview(messages[i] ?? ""),
      });
    }
  });
  for (const outcome of outcomes) {
    if (outcome.status === "handled") {
      log.debug("Request handled by {plugin}", {
        plugin: outcome.plugin,
        parsed: true,
        valid: true,
      });
    }
  }
  countIntake(outcomes, refusals);
  return outcomes;
}

/** Runs the plugin the classifier chose; a plugin's refusal fails this message only. */
async function handleOne(
  match: Classified<KafkaMonitorPlugin>,
  pipeline: ChainableCommander,
  now: number,
): Promise<Outcome> {
  const { plugin, request } = match;
  // Scrapy Cluster stamps accepted requests with the time they were received.
  request.ts = now / 1000;
  const mark = pipeline.length;
  try {
    await plugin.handle(request, pipeline);
    return { status: "handled", plugin: plugin.name };
  } catch (err) {
    if (pipeline.length !== mark) {
      // A plugin must not leave half its writes behind; ours never do.
      throw new Error(`plugin ${plugin.name} failed after queueing writes: ${err}`);
    }
    const reason = err instanceof RequestRejected ? err.message : `plugin error: ${err}`;
    return { status: "failed", reason, plugin: plugin.name };
  }
}

/** The parse error, or what every loaded plugin's schema said. */
function _reason(match: Unclassified): string {
  if (!match.parsed) return match.cause;
  return match.rejections
    .map(({ schema, errors }) => `${schema}: ${errors.slice(0, 3).join("; ")}`)
    .join(" | ") || "no plugin loaded";
}

function logFailure(
  log: Logger,
  outcome: Extract<Outcome, { status: "failed" }>,
  raw: string,
  match: Unclassified | null,
): void {
  const data = preview(raw);
  if (match?.tooLarge) {
    log.warn("Request too large: {reason}", {
      reason: outcome.reason,
      parsed: false,
      valid: false,
    });
    return;
  }
  if (match?.parsed === false) {
    log.warn("Unparseable JSON Received: {reason}", {
      reason: outcome.reason,
      data,
      parsed: false,
      valid: false,
    });
    return;
  }
  if (outcome.plugin) {
    log.error("Plugin {plugin} rejected the request: {reason}", { ...outcome, data });
    return;
  }
  if (match?.unhandledKind) {
    log.warn("No handler loaded for {kind} requests; enable one in PLUGINS", {
      kind: match.unhandledKind,
      data,
      parsed: true,
      valid: true,
    });
    return;
  }
  log.warn("Did not find schema to validate request: {reason}", {
    reason: outcome.reason,
    data,
    parsed: true,
    valid: false,
  });
}

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
