/**
 * Answers of the redis-monitor, as the rest service sees them: ONE consumer of
 * `<prefix>.outbound_firehose` per process, in a consumer group of its own so every instance
 * sees every answer. An answer whose uuid a `/feed` call is waiting for resolves that call
 * (the uuid is registered before the request is produced, so a fast answer is never missed);
 * any other answer with a uuid is stored at `rest:poll:<uuid>` for `/poll`, on whichever
 * instance a load balancer sends it to. Answers without a uuid (expiry notices) are ignored.
 *
 * An answer to store is in Redis before its offset is committed: while Redis is away the
 * consumer stays on that message, retrying the write with backoff (so it pauses), and a
 * consumer session restarted meanwhile reads the message again. Offsets belong to this
 * instance's own group, so the promise holds for the life of the process; answers produced
 * while no rest instance runs are not kept (as in Scrapy Cluster).
 *
 * Waiting costs nothing: each waiting call holds a promise that the consumer resolves.
 *
 * @module
 */

import { retry, type RetryContext } from "../../lib/async/mod.ts";
import type { Logger } from "@logtape/logtape";
import { createConsumer, type Kafka } from "../../lib/services/mod.ts";

/** One registered wait for an answer. */
export interface Expectation {
  /** The answer as JSON text, once it arrives (never rejects; may never resolve). */
  readonly answer: Promise<string>;
  /** Stops waiting: an answer arriving later is stored for `/poll` instead. */
  cancel(): void;
}

/** Where `/feed` waits for answers. */
export interface AnswerSource {
  /** Whether answers are being consumed now (health). */
  readonly connected: boolean;
  /** Registers a wait for the answer to `uuid`; call it before producing the request. */
  expect(uuid: string): Expectation;
}

/** The calls waiting for answers, by uuid; one answer resolves every call waiting for it. */
export class AnswerWaiters {
  readonly #waiting = new Map<string, Set<(json: string) => void>>();

  /** Registers a wait for `uuid`. */
  expect(uuid: string): Expectation {
    const { promise, resolve } = Promise.withResolvers<string>();
    let set = this.#waiting.get(uuid);
    if (set === undefined) this.#waiting.set(uuid, set = new Set());
    set.add(resolve);
    const waiting = set;
    return {
      answer: promise,
      cancel: () => {
        waiting.delete(resolve);
        if (waiting.size === 0 && this.#waiting.get(uuid) === waiting) this.#waiting.delete(uuid);
      },
    };
  }

  /** Hands an answer to the calls waiting for `uuid`; false when none is. */
  deliver(uuid: string, json: string): boolean {
    const set = this.#waiting.get(uuid);
    if (set === undefined) return false;
    this.#waiting.delete(uuid);
    for (const resolve of set) resolve(json);
    return true;
  }

  /** How many uuids are waited for. */
  get size(): number {
    return this.#waiting.size;
  }
}

/** What {@linkcode routeAnswer} did with a message, and the answer's uuid. */
export type Routed =
  | { routed: "delivered" | "stored"; uuid: string }
  | { routed: "ignored"; uuid?: undefined };

/**
 * Routes one message of the outbound firehose: to the calls waiting for its uuid, else to
 * `store` (for `/poll`). Messages that are not JSON objects with a string `uuid` are ignored.
 */
export function routeAnswer(
  value: string | null,
  waiters: AnswerWaiters,
  store: (uuid: string, json: string) => void,
): Routed {
  const ignored = { routed: "ignored" } as const;
  if (value === null) return ignored;
  let answer: unknown;
  try {
    answer = JSON.parse(value);
  } catch {
    return ignored;
  }
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) return ignored;
  const uuid = (answer as Record<string, unknown>).uuid;
  if (typeof uuid !== "string" || uuid === "") return ignored;
  if (waiters.deliver(uuid, value)) return { routed: "delivered", uuid };
  store(uuid, value);
  return { routed: "stored", uuid };
}

/** Options of {@linkcode KafkaAnswers}. */
export interface KafkaAnswersOptions {
  /** The client (from `createKafka`). */
  kafka: Kafka;
  /** `<prefix>.outbound_firehose`. */
  topic: string;
  /** Stores an answer nobody waits for (`RedisPolls.put`). */
  store: (uuid: string, json: string) => Promise<void>;
  log: Logger;
  /**
   * Start from the topic's first message (KAFKA_CONSUMER_AUTO_OFFSET_RESET=earliest).
   * @default {false}
   */
  fromBeginning?: boolean;
  /** Largest fetch per partition (KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES). */
  maxBytesPerPartition?: number;
  /**
   * Without a fetch for this long the consumer counts as disconnected (it fetches about every
   * 100 ms when idle).
   * @default {10_000}
   */
  staleMs?: number;
  /**
   * The consumer group; unique per instance so every instance sees every answer.
   * @default {`rest-answers-<random uuid>`}
   */
  groupId?: string;
  /** Called for each answer with a uuid once it is delivered, or stored in Redis. */
  onAnswer?: (event: Routed) => void;
  /**
   * Longest wait between two attempts to store an answer while Redis is away.
   * @default {2_000}
   */
  storeRetryMaxMs?: number;
}

/**
 * The shared answer consumer. Restarts itself with backoff when kafkajs gives up on it (kafkajs
 * already restarts after retriable errors); offsets are committed under its own group, so a
 * restart resumes where it stopped and answers that came meanwhile still reach `/poll`.
 */
export class KafkaAnswers implements AnswerSource {
  readonly waiters: AnswerWaiters = new AnswerWaiters();
  readonly groupId: string;
  readonly #opts: KafkaAnswersOptions;
  readonly #stop = new AbortController();
  readonly #ready = Promise.withResolvers<void>();
  #running = false;
  #lastFetch = 0;
  #loop: Promise<void> | null = null;

  constructor(opts: KafkaAnswersOptions) {
    this.#opts = opts;
    this.#ready.promise.catch(() => {}); // rejected only for start()'s caller
    this.groupId = opts.groupId ?? `rest-answers-${crypto.randomUUID()}`;
  }

  /**
   * Starts consuming; resolves once the consumer joined its group and fetched (its start).
   * Rejects only when the consumer cannot run at all (a programmer error, never retried).
   */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#ready.promise;
  }

  get connected(): boolean {
    return this.#running && Date.now() - this.#lastFetch < (this.#opts.staleMs ?? 10_000);
  }

  expect(uuid: string): Expectation {
    return this.waiters.expect(uuid);
  }

  /**
   * Stops consuming. An answer whose store is still being retried stays uncommitted (this
   * instance's group would read it again).
   */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /**
   * Routes one message; resolves once an answer to keep is in Redis (retried with backoff
   * until it is, or until `signal` aborts, which rejects: the offset is then not resolved).
   */
  async #route(
    value: string | null,
    signal: AbortSignal,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const { log, onAnswer } = this.#opts;
    let toStore: { uuid: string; json: string } | null = null;
    const event = routeAnswer(value, this.waiters, (uuid, json) => toStore = { uuid, json });
    log.debug("Answer from the outbound firehose {routed}", { ...event });
    if (event.routed === "delivered") onAnswer?.(event);
    if (toStore === null) return;
    const { uuid, json } = toStore;
    await retry(async ({ attempt }) => {
      if (attempt > 1) await heartbeat().catch(() => {});
      await this.#opts.store(uuid, json);
    }, {
      maxAttempts: Infinity,
      minDelayMs: 200,
      maxDelayMs: this.#opts.storeRetryMaxMs ?? 2_000,
      jitter: 0.5,
      signal,
      onRetry: (err, attempt) =>
        log.debug("Answer for {uuid} not stored yet (attempt {attempt}): {error}", {
          uuid,
          attempt,
          error: (err as Error).message,
        }),
    });
    onAnswer?.({ routed: "stored", uuid });
  }

  /**
   * Runs consumer sessions until `close()`: a session that ends in a crash kafkajs will not
   * restart itself is replaced after a backoff (0.5 s doubling to 10 s, less up to half at
   * random), which starts over once a session has joined its group and fetched.
   */
  async #run(): Promise<void> {
    const { log } = this.#opts;
    const signal = this.#stop.signal;
    try {
      await retry((context) => this.#session(context), {
        maxAttempts: Infinity,
        minDelayMs: 500,
        maxDelayMs: 10_000,
        jitter: 0.5,
        signal,
        onRetry: (err) =>
          log.warn("Answer consumer stopped: {error}", { error: (err as Error).message }),
      });
    } catch (err) {
      if (signal.aborted) return;
      // Only a programmer error (a bad consumer config) ends the sessions: restarting cannot help.
      log.error("Answer consumer stopped for good: {error}", { error: err });
      this.#ready.reject(err);
    }
  }

  /** One consumer, from its start to `close()` (resolves) or a crash (rejects). */
  async #session({ signal, resetBackoff }: RetryContext): Promise<void> {
    const { kafka, topic, log } = this.#opts;
    const consumer = createConsumer(kafka, {
      groupId: this.groupId,
      ...(this.#opts.maxBytesPerPartition
        ? { maxBytesPerPartition: this.#opts.maxBytesPerPartition }
        : {}),
    });
    const ended = Promise.withResolvers<Error | null>();
    const onAbort = () => ended.resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => joined = true);
    consumer.on(consumer.events.FETCH, () => {
      this.#lastFetch = Date.now();
      if (!joined) return;
      resetBackoff();
      this.#ready.resolve();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      log.warn("Answer consumer crashed ({action}): {error}", {
        action: payload.restart ? "kafkajs restarts it" : "restarting it",
        error: payload.error.message,
      });
      // kafkajs gave up on it, whatever the error's class: a new consumer is worth a try.
      const crash = new Error(payload.error.message, { cause: payload.error });
      if (!payload.restart) ended.resolve(crash);
    });
    const decoder = new TextDecoder();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: this.#opts.fromBeginning ?? false });
      await consumer.run({
        autoCommit: true,
        // kafkajs resolves a message's offset only once this returns: an answer to keep is in
        // Redis by then. While Redis is away, the consumer waits here.
        eachMessage: ({ message, heartbeat }) =>
          this.#route(
            message.value === null ? null : decoder.decode(message.value),
            signal,
            heartbeat,
          ),
      });
      this.#running = true;
      const err = await ended.promise;
      if (err) throw err;
    } finally {
      this.#running = false;
      signal.removeEventListener("abort", onAbort);
      await consumer.disconnect().catch(() => {});
    }
  }
}
