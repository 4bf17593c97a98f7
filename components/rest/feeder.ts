/**
 * How `/feed` puts a request on its topic (`feedTopic()`): through the batching producer,
 * waiting for the broker's acknowledgement up to `KAFKA_FEED_TIMEOUT`. A failed send marks
 * Kafka disconnected: later calls fail at once (Scrapy Cluster's "not connected" answer) while
 * a probe checks the brokers with backoff and marks Kafka connected again once they answer.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { retry, sleep, withTimeout } from "../../lib/async/mod.ts";
import { MessageTooLargeError } from "../../lib/services/mod.ts";

/** Longest wait between two probes. */
const PROBE_MAX_DELAY_MS = 10_000;

/** Where `/feed` sends requests. */
export interface Feeder {
  /** Whether the last send (or probe) succeeded (health, and fail-fast). */
  readonly connected: boolean;
  /**
   * Sends one request (JSON text); resolves once the broker acknowledged it.
   * @throws {MessageTooLargeError} when it exceeds `KAFKA_PRODUCER_MAX_REQUEST_SIZE`
   * @throws {Error} when Kafka is unreachable or did not acknowledge in time
   */
  send(json: string): Promise<void>;
}

/** Raised while Kafka is marked disconnected. */
export class KafkaUnavailableError extends Error {
  constructor() {
    super("Cannot feed: Kafka is marked disconnected until a probe reaches it again");
    this.name = "KafkaUnavailableError";
  }
}

/** Options of {@linkcode KafkaFeeder}. */
export interface KafkaFeederOptions {
  /** Sends one message and resolves on its acknowledgement (`BatchingProducer.send`). */
  send: (topic: string, value: string) => Promise<void>;
  /** `feedTopic()` of the settings: KAFKA_PRODUCER_TOPIC, else KAFKA_INCOMING_TOPIC. */
  topic: string;
  /** KAFKA_FEED_TIMEOUT in milliseconds. */
  timeoutMs: number;
  /** Resolves when the brokers answer (`checkKafka`); rejects otherwise. */
  probe: () => Promise<void>;
  log: Logger;
  /**
   * Wait before the first probe; each further wait doubles it (up to 10 s, less up to half
   * of it at random so that many instances do not probe together).
   * @default {500}
   */
  probeDelayMs?: number;
}

/** A {@linkcode Feeder} on Kafka. */
export class KafkaFeeder implements Feeder {
  readonly #opts: KafkaFeederOptions;
  readonly #stop = new AbortController();
  #connected = true;
  #probing: Promise<void> | null = null;

  constructor(opts: KafkaFeederOptions) {
    this.#opts = opts;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async send(json: string): Promise<void> {
    if (!this.#connected) throw new KafkaUnavailableError();
    const { timeoutMs } = this.#opts;
    try {
      // The send may still settle after a timeout: it was reported already then.
      await withTimeout(this.#opts.send(this.#opts.topic, json), timeoutMs, {
        message: `no acknowledgement within ${timeoutMs} ms`,
      });
    } catch (err) {
      if (!(err instanceof MessageTooLargeError)) this.#markDown(err);
      throw err;
    }
  }

  /** Stops probing. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#probing;
  }

  #markDown(err: unknown): void {
    if (!this.#connected || this.#stop.signal.aborted) return;
    this.#connected = false;
    this.#opts.log.warn("Kafka send failed; marked disconnected: {error}", {
      error: err instanceof Error ? err.message : String(err),
    });
    this.#probing = this.#probe().finally(() => this.#probing = null);
  }

  /** Probes until the brokers answer (or `close()`): after `probeDelayMs`, then doubling. */
  async #probe(): Promise<void> {
    const signal = this.#stop.signal;
    const delayMs = this.#opts.probeDelayMs ?? 500;
    await sleep(delayMs, signal); // a probe right after the failure would only fail too
    try {
      await retry(() => this.#opts.probe(), {
        maxAttempts: Infinity,
        minDelayMs: delayMs * 2,
        maxDelayMs: PROBE_MAX_DELAY_MS,
        jitter: 0.5,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      // Only a bug in the probe ends the probing: say so, and leave Kafka marked down.
      this.#opts.log.error("Kafka probe failed for good; Kafka stays marked down: {error}", {
        error: err,
      });
      return;
    }
    this.#connected = true;
    this.#opts.log.info("Kafka reachable again");
  }
}
