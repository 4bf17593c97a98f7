/**
 * How `/feed` puts a request on `KAFKA_INCOMING_TOPIC`: through the batching producer,
 * waiting for the broker's acknowledgement up to `KAFKA_FEED_TIMEOUT`. A failed send marks
 * Kafka disconnected: later calls fail at once (Scrapy Cluster's "not connected" answer) while
 * a probe checks the brokers with backoff and marks Kafka connected again once they answer.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { MessageTooLargeError } from "../../lib/services/kafka.ts";

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
  /** KAFKA_INCOMING_TOPIC. */
  topic: string;
  /** KAFKA_FEED_TIMEOUT in milliseconds. */
  timeoutMs: number;
  /** Resolves when the brokers answer (`checkKafka`); rejects otherwise. */
  probe: () => Promise<void>;
  log: Logger;
  /**
   * First delay between probes; doubled up to 10 s.
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const sent = this.#opts.send(this.#opts.topic, json);
      sent.catch(() => {}); // it may still settle after a timeout: already reported then
      await Promise.race([
        sent,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no acknowledgement within ${this.#opts.timeoutMs} ms`)),
            this.#opts.timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      if (!(err instanceof MessageTooLargeError)) this.#markDown(err);
      throw err;
    } finally {
      clearTimeout(timer);
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

  async #probe(): Promise<void> {
    const signal = this.#stop.signal;
    let delay = this.#opts.probeDelayMs ?? 500;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, delay);
        signal.addEventListener("abort", done, { once: true });
      });
      if (signal.aborted) return;
      try {
        await this.#opts.probe();
        this.#connected = true;
        this.#opts.log.info("Kafka reachable again");
        return;
      } catch {
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }
}
