/**
 * The rest service wired to the real Redis and Kafka: refuses to start on a non-loopback
 * `REST_HOST` without `REST_API_KEYS` unless `REST_ALLOW_NO_AUTH` (`exposure.ts`), connects
 * (failing early with one line when either is unreachable), loads the kafka-monitor's
 * `PLUGINS` to classify `/feed` requests with, creates the topics, starts the shared answer
 * consumer, the heartbeat `stats:rest:self:<host>:<id>` every `SLEEP_TIME` and the request
 * counters, and returns the handler. `main.ts` serves it; end-to-end tests call it directly.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import {
  heartbeatKey,
  hostName,
  PROCESS_ID,
  startHeartbeat,
  windowsFromNames,
} from "../../lib/stats/mod.ts";
import {
  checkKafka,
  closeRedis,
  connectProducer,
  connectRedis,
  KafkaProbe,
  redisReady,
} from "../../lib/services/mod.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import { withTimeout } from "../../lib/async/mod.ts";
import { loadPluginsToClassify } from "../kafka-monitor/plugin.ts";
import { KafkaAnswers, type Routed } from "./answers.ts";
import { createApp, type RestHandler } from "./app.ts";
import { exposureRefusal } from "./exposure.ts";
import { KafkaFeeder } from "./feeder.ts";
import { RedisPolls } from "./polls.ts";
import { feedTopic, type RestSettings } from "./settings.ts";
import { RestStats } from "./stats.ts";
import { DashboardState } from "./ui_state.ts";

/** A started rest service. */
export interface RestService {
  /** The HTTP handler. */
  readonly handler: RestHandler;
  /** This instance's id (`my_id`, heartbeat key). */
  readonly id: string;
  /** Stops the consumer, flushes the producer and counters, removes the heartbeat. */
  close(): Promise<void>;
}

/** Options of {@linkcode startRestService}. */
export interface RestServiceOptions {
  log: Logger;
  /** @default {PROCESS_ID} (tests running two instances in one process pass their own) */
  id?: string;
  /**
   * How long the answer consumer may take to join its group at start.
   * @default {30_000}
   */
  readyTimeoutMs?: number;
  /** Called for each answer delivered to a waiting call or stored for `/poll` (tests). */
  onAnswer?: (event: Routed) => void;
}

/** Connects everything and returns the handler. */
export async function startRestService(
  settings: RestSettings,
  opts: RestServiceOptions,
): Promise<RestService> {
  const { log } = opts;
  const id = opts.id ?? PROCESS_ID;
  // Before connecting to anything: an exposed service without keys does not start.
  const refusal = exposureRefusal(settings);
  if (refusal !== null) throw new Error(refusal);
  if (settings.REQUEST_TIMEOUT <= settings.WAIT_FOR_RESPONSE_TIME + settings.KAFKA_FEED_TIMEOUT) {
    log.warn(
      "REQUEST_TIMEOUT ({timeout} s) is not above WAIT_FOR_RESPONSE_TIME + KAFKA_FEED_TIMEOUT: " +
        "slow requests may get 503 instead of a poll_id",
      { timeout: settings.REQUEST_TIMEOUT },
    );
  }
  const redis = await connectRedis(settings, "rest", {
    outage: { log, meanwhile: "/poll answers 'not connected', answers to keep wait, will retry" },
  });
  const cleanups: (() => Promise<unknown>)[] = [() => closeRedis(redis)];
  let closing: Promise<void> | null = null;
  const cleanup = () =>
    closing ??= (async () => {
      for (const fn of [...cleanups].reverse()) await fn().catch(() => {});
    })();
  try {
    // Built as the kafka-monitor builds them; only their schemas are used here.
    const plugins = await loadPluginsToClassify(settings.PLUGINS, { settings, redis, log });
    cleanups.push(async () => {
      for (const { plugin } of plugins) await plugin.close?.();
    });
    const feedTimeoutMs = settings.KAFKA_FEED_TIMEOUT * 1000;
    const incomingTopic = feedTopic(settings);
    const answersTopic = outboundFirehose(settings.KAFKA_TOPIC_PREFIX);
    const { kafka, producer } = await connectProducer(
      settings,
      `rest-${id}`,
      [incomingTopic, answersTopic],
      { checkTimeoutMs: feedTimeoutMs },
    );
    cleanups.push(() => producer.close());
    // Health follows the brokers within about a second; each Kafka outage is logged once.
    const kafkaProbe = new KafkaProbe(settings, {
      outage: { log, component: "rest", meanwhile: "/feed answers 'not connected', will retry" },
    }).start();
    cleanups.push(() => kafkaProbe.close());

    const polls = new RedisPolls(redis, settings.POLL_TTL);
    const answers = new KafkaAnswers({
      kafka,
      topic: answersTopic,
      store: (uuid, json) => polls.put(uuid, json),
      log,
      fromBeginning: settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET === "earliest",
      maxBytesPerPartition: settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
      groupId: `rest-answers-${id}-${crypto.randomUUID().slice(0, 8)}`,
      onAnswer: opts.onAnswer,
    });
    cleanups.push(() => answers.close());
    await withTimeout(
      answers.start(),
      opts.readyTimeoutMs ?? 30_000,
      { message: `Cannot start: the consumer of ${answersTopic} did not join its group in time` },
    );

    const feeder = new KafkaFeeder({
      send: (topic, value) => producer.send(topic, value),
      topic: incomingTopic,
      timeoutMs: feedTimeoutMs,
      probe: () => checkKafka(settings, feedTimeoutMs),
      log,
    });
    cleanups.push(() => feeder.close());

    const stats = new RestStats(redis, {
      windows: windowsFromNames(
        settings.STATS_TIMES,
        (name) => log.warn("Unknown STATS_TIMES entry {name} skipped", { name }),
      ),
      total: settings.STATS_TOTAL,
      endpoints: settings.STATS_PLUGINS,
    });
    cleanups.push(() => stats.close());

    const heartbeat = new AbortController();
    await startHeartbeat(redis, heartbeatKey("rest", hostName(), id), {
      ttlSec: settings.HEARTBEAT_TIMEOUT,
      intervalMs: settings.SLEEP_TIME * 1000,
      signal: heartbeat.signal,
      onError: (err) => log.warn("Heartbeat failed: {error}", { error: (err as Error).message }),
    });
    cleanups.push(() => Promise.resolve(heartbeat.abort()));

    const health = {
      get kafka() {
        return kafkaProbe.connected;
      },
      get redis() {
        return redisReady(redis); // on a cluster: every master answers
      },
    };
    const handler = createApp({
      settings,
      plugins,
      feeder,
      answers,
      polls,
      stats,
      log,
      id,
      health,
      dashboard: new DashboardState(redis),
    });
    log.info("Rest service ready: feeding {incoming}, answers from {answers}", {
      incoming: incomingTopic,
      answers: answersTopic,
    });
    return { handler, id, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
