/**
 * Every use of kafkajs goes through this module, so the client can be swapped: client creation
 * with kafkajs logs routed to LogTape, a fail-early connectivity check, topic creation, a
 * producer that batches with a linger time (kafkajs has none of its own), one-shot produce
 * for `feed`, and topic listing; {@linkcode KafkaProbe} tracks whether the brokers answer now
 * and reports each outage once. Each client gets the TLS and SASL options of the settings it is
 * given (`kafka_security.ts`); a bare `KAFKA_HOSTS` string means a plain connection.
 *
 * kafkajs logs each failed connection attempt as an ERROR (a 30 s outage used to print ~170
 * lines): the LogTape bridge lets the first line of each kind through, then at most one per
 * {@linkcode KAFKAJS_REPEAT_INTERVAL_MS} carrying how many were held back.
 *
 * Loading this module also teaches the process's kafkajs the lz4 and zstd codecs, so every
 * consumer reads whatever `KAFKA_COMPRESSION` producers chose (`kafka_codecs.ts`), swaps in
 * the faster record-batch CRC32C (`kafka_crc32c.ts`) and lets kafkajs's encoders grow without
 * zero-filling (`kafka_encoder_growth.ts`).
 *
 * @module
 */

import process from "node:process";
import { getLogger, type Logger } from "@logtape/logtape";
import {
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
} from "kafkajs";
import { withTimeout } from "../async/timeout.ts";
import { sleep } from "../async/sleep.ts";
import { OutageReporter, RepeatFilter } from "./outage.ts";
import { type KafkaCompression, registerKafkaCodecs } from "./kafka_codecs.ts";
import { installFastCrc32c } from "./kafka_crc32c.ts";
import { installEncoderGrowth } from "./kafka_encoder_growth.ts";
import {
  explainKafkaError,
  type KafkaConnection,
  kafkaConnection,
  kafkaSecurityConfig,
  type KafkaTarget,
} from "./kafka_security.ts";

export type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
export type { Kafka };
export { compressionType, KAFKA_COMPRESSIONS, type KafkaCompression } from "./kafka_codecs.ts";
export {
  type KafkaConnection,
  KafkaSecuritySettingsError,
  type KafkaTarget,
} from "./kafka_security.ts";

/** The Kafka settings this module reads (see `KAFKA_SETTINGS` in settings.ts). */
export interface KafkaSettings extends KafkaConnection {
  readonly KAFKA_PRODUCER_BATCH_LINGER_MS: number;
  readonly KAFKA_PRODUCER_BUFFER_BYTES: number;
  readonly KAFKA_PRODUCER_MAX_REQUEST_SIZE: number;
  /** Compression of produced batches (none when absent). */
  readonly KAFKA_COMPRESSION?: KafkaCompression;
}

// At load, before any client exists: consumers must decode every codec, and the CRC32C must be
// in place before kafkajs loads its record-batch encoder at the first produce.
registerKafkaCodecs();
installFastCrc32c();
installEncoderGrowth();

// kafkajs 2.2.4 arms timers with negative delays (tulios/kafkajs#1751); Deno prints a
// TimeoutNegativeWarning for each. The warning is harmless noise: drop only that one.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  const first = rest[0] as { type?: string } | string | undefined;
  const name = typeof warning === "string"
    ? (typeof first === "string" ? first : first?.type)
    : (warning as Error | undefined)?.name;
  if (name === "TimeoutNegativeWarning") return;
  return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;

/** The broker list of `KAFKA_HOSTS` ("h1:9092,h2:9092"). */
export function brokerList(hosts: string): string[] {
  return hosts.split(",").map((h) => h.trim()).filter((h) => h.length > 0);
}

const RETRIABLE_NOISE =
  /coordinator is (not available|loading)|not the correct coordinator|leader not available|rebalance in progress/i;

/** kafkajs warnings and errors of one kind: the first, then at most one per this interval. */
export const KAFKAJS_REPEAT_INTERVAL_MS = 10_000;

// One filter for the process: every client's reconnect errors look alike.
const repeats = new RepeatFilter({ intervalMs: KAFKAJS_REPEAT_INTERVAL_MS });

function logCreator() {
  const log = getLogger(["crawl-cluster", "kafkajs"]);
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...props } = entry;
    // kafkajs logs retriable broker answers (a coordinator still starting, a leader moving) as
    // errors although it retries them itself: they are not worth an operator's attention.
    const retriable = typeof props.error === "string" && RETRIABLE_NOISE.test(props.error);
    const loud = (level === logLevel.ERROR && !retriable) || level === logLevel.WARN;
    if (loud) {
      // Collapse floods: the same message about the same broker and error is one kind.
      const kind = [level, message, props.broker ?? "", props.error ?? ""].join("\u0000");
      const held = repeats.admit(kind);
      if (held === null) return log.debug(message, props);
      if (held > 0) {
        const summary = `${message} (and ${held} more like it in the last ` +
          `${KAFKAJS_REPEAT_INTERVAL_MS / 1000} s)`;
        if (level === logLevel.ERROR) log.error(summary, { ...props, repeated: held });
        else log.warn(summary, { ...props, repeated: held });
        return;
      }
    }
    if (level === logLevel.ERROR && !retriable) log.error(message, props);
    else if (level === logLevel.WARN) log.warn(message, props);
    else if (level === logLevel.INFO) log.debug(message, props); // kafkajs info is chatty
    else log.debug(message, props);
  };
}

/**
 * A kafkajs client for the brokers in `KAFKA_HOSTS`, over TLS and with SASL as the settings
 * say (components pass their settings; a bare hosts string is a plain connection). Throws
 * {@linkcode KafkaSecuritySettingsError} for security settings that cannot work.
 */
export function createKafka(
  target: KafkaTarget,
  clientId: string,
  overrides: Partial<KafkaConfig> = {},
): Kafka {
  const conn = kafkaConnection(target);
  return new Kafka({
    clientId,
    brokers: brokerList(conn.KAFKA_HOSTS),
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    ...kafkaSecurityConfig(conn),
    ...overrides,
  });
}

/**
 * Fails early: resolves when the cluster answers a metadata request within `timeoutMs`,
 * otherwise throws "Cannot connect to Kafka at <hosts>: <reason>" (wrong SASL credentials and
 * TLS failures name the settings to check).
 */
export async function checkKafka(target: KafkaTarget, timeoutMs = 10_000): Promise<void> {
  const conn = kafkaConnection(target);
  const hosts = conn.KAFKA_HOSTS;
  const kafka = createKafka(conn, "crawl-cluster-check", {
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect().then(() => admin.describeCluster()), timeoutMs, {
      message: `no answer in ${timeoutMs} ms`,
    });
  } catch (err) {
    throw new Error(`Cannot connect to Kafka at ${hosts}: ${explainKafkaError(err, conn)}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Options of {@linkcode KafkaProbe}. */
export interface KafkaProbeOptions {
  /** Logs the outage once when it starts and once when it ends (none without it). */
  outage?: {
    log: Logger;
    component: string;
    /** @default {"will retry"} */
    meanwhile?: string;
  };
  /**
   * Milliseconds between two probes (each a metadata request on a kept connection).
   * @default {500}
   */
  intervalMs?: number;
  /**
   * Milliseconds a probe may take before Kafka counts as unreachable.
   * @default {1_000}
   */
  timeoutMs?: number;
  /** Stops probing. */
  signal?: AbortSignal;
}

/**
 * Whether Kafka answers now: a cheap metadata request (`describeCluster`) every `intervalMs` on
 * one kept admin connection, its own logs silenced. {@linkcode connected} turns false at the
 * first failed probe and true at the first answer, so a health check follows reality within
 * about `intervalMs + timeoutMs`; with `outage`, each outage is logged once each way.
 */
export class KafkaProbe {
  readonly reporter: OutageReporter | null;
  #connected = true;
  #loop: Promise<void> | null = null;
  readonly #conn: KafkaConnection;
  readonly #opts: KafkaProbeOptions;
  readonly #stop = new AbortController();

  constructor(target: KafkaTarget, opts: KafkaProbeOptions = {}) {
    this.#conn = kafkaConnection(target);
    this.#opts = opts;
    this.reporter = opts.outage
      ? new OutageReporter({ ...opts.outage, service: "Kafka", where: this.#conn.KAFKA_HOSTS })
      : null;
    opts.signal?.addEventListener("abort", () => this.#stop.abort(), { once: true });
  }

  /** Whether the last probe got an answer (true before the first). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Starts probing (idempotent); resolves at once. */
  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Stops probing and closes the connection. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const timeoutMs = this.#opts.timeoutMs ?? 1_000;
    const kafka = createKafka(this.#conn, "crawl-cluster-probe", {
      logLevel: logLevel.NOTHING,
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await withTimeout(
          admin.connect().then(() => admin.describeCluster()),
          timeoutMs,
          { message: `no answer in ${timeoutMs} ms` },
        );
        this.#connected = true;
        this.reporter?.up();
      } catch (err) {
        this.#connected = false;
        this.reporter?.down(err);
        // A fresh connection next time: kafkajs may keep a dead one.
        await admin.disconnect().catch(() => {});
      }
      await sleep(this.#opts.intervalMs ?? 500, signal).catch(() => {});
    }
    await admin.disconnect().catch(() => {});
  }
}

/** Creates the topics that do not exist yet (one partition each unless given). */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  opts: { numPartitions?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: opts.numPartitions ?? -1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Every topic name in the cluster, sorted. */
export async function listTopics(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).sort();
  } finally {
    await admin.disconnect();
  }
}

/** A kafkajs producer with our defaults (acks from all replicas, no partitioner warning). */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
}

/** A consumer in a consumer group. */
export function createConsumer(kafka: Kafka, config: ConsumerConfig): Consumer {
  return kafka.consumer({ maxWaitTimeInMs: 100, ...config });
}

/** Produces one message, waiting for the broker's acknowledgement up to `timeoutMs`. */
export async function produceOnce(
  kafka: Kafka,
  topic: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  const producer = createProducer(kafka);
  try {
    await withTimeout(
      producer.connect().then(() => producer.send({ topic, acks: -1, messages: [{ value }] })),
      timeoutMs,
      { message: `no acknowledgement within ${timeoutMs / 1000} s` },
    );
  } finally {
    await producer.disconnect().catch(() => {});
  }
}
