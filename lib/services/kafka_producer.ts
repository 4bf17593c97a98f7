/**
 * Producing with at-least-once semantics: {@linkcode BatchingProducer} gathers messages into
 * batches (kafkajs has no linger of its own) and resolves each `send()` only when the broker has
 * acknowledged it, so callers acknowledge their own work after it; {@linkcode connectProducer}
 * is what a publishing component does at start.
 *
 * The batching adapts to the load: when nothing is in flight the messages of the current tick go
 * out at once (idle: no 25 ms added to a lone page's way); while a batch is in flight, new
 * messages gather for the next one, which leaves as soon as the broker acknowledged the first, or
 * after the linger time, or once full (busy: few, large requests, one at a time so a partition
 * gets them in order).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { CompressionTypes, Kafka, Producer } from "kafkajs";
import {
  checkKafka,
  compressionType,
  createKafka,
  createProducer,
  ensureTopics,
  type KafkaSettings,
} from "./kafka.ts";
import { releaseRecordValues, utf8ForRecord } from "./kafka_encoder_growth.ts";

/** Raised for a message larger than `KAFKA_PRODUCER_MAX_REQUEST_SIZE`; never retried. */
export class MessageTooLargeError extends Error {
  constructor(readonly bytes: number, readonly limit: number, readonly topic: string) {
    super(`Cannot produce to ${topic}: message of ${bytes} bytes exceeds the limit of ${limit}`);
    this.name = "MessageTooLargeError";
  }
}

interface Pending {
  topic: string;
  value: Buffer;
  key?: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * A producer that gathers messages for `KAFKA_PRODUCER_BATCH_LINGER_MS` (or until
 * `KAFKA_PRODUCER_BUFFER_BYTES` are waiting) and sends them in one request. `send()` resolves
 * when the broker has acknowledged the message, so callers can acknowledge their own work
 * after it (at-least-once). Batches are compressed as `KAFKA_COMPRESSION` says; the size limits
 * count bytes before compression, so they stay safe whatever the codec achieves.
 */
export class BatchingProducer {
  readonly #producer: Producer;
  readonly #lingerMs: number;
  readonly #maxBatchBytes: number;
  readonly #maxMessageBytes: number;
  readonly #compression: CompressionTypes;
  #pending: Pending[] = [];
  #pendingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = new Set<Promise<void>>();
  /** The last batch handed to kafkajs (never rejects): the next one is sent after it. */
  #previous: Promise<void> = Promise.resolve();
  #connected = false;

  constructor(kafka: Kafka, s: KafkaSettings) {
    this.#producer = createProducer(kafka);
    this.#lingerMs = s.KAFKA_PRODUCER_BATCH_LINGER_MS;
    // One request must stay under the broker's message.max.bytes, which caps a record batch
    // (about 1 MB by default): a bigger buffer would be refused as a whole.
    this.#maxBatchBytes = Math.min(
      s.KAFKA_PRODUCER_BUFFER_BYTES,
      s.KAFKA_PRODUCER_MAX_REQUEST_SIZE,
    ) - BATCH_HEADER_BYTES;
    this.#maxMessageBytes = s.KAFKA_PRODUCER_MAX_REQUEST_SIZE;
    this.#compression = compressionType(s.KAFKA_COMPRESSION ?? "none");
  }

  /** Connects the underlying producer. */
  async connect(): Promise<void> {
    await this.#producer.connect();
    this.#connected = true;
  }

  /**
   * Queues one message; resolves once the broker acknowledged it. A string value is encoded to
   * UTF-8 here, once: its exact size fills batches up to the limit, and kafkajs's record takes
   * the bytes over (`utf8ForRecord`) instead of measuring and encoding the string again.
   */
  send(topic: string, value: string | Uint8Array, key?: string): Promise<void> {
    const bytes = typeof value === "string"
      ? utf8ForRecord(value)
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const size = bytes.length + (key === undefined ? 0 : Buffer.byteLength(key, "utf8"));
    // Alone in its batch, with the batch's and the record's framing, it must fit the limit.
    if (size + KAFKA_FRAMING_BYTES > this.#maxMessageBytes) {
      return Promise.reject(new MessageTooLargeError(size, this.#maxMessageBytes, topic));
    }
    const counted = size + RECORD_OVERHEAD_BYTES;
    // Send what waits first if this message would take the batch over the limit.
    if (this.#pendingBytes > 0 && this.#pendingBytes + counted > this.#maxBatchBytes) {
      this.#flushNow();
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ topic, value: bytes, key, resolve, reject });
      this.#pendingBytes += counted;
      if (this.#pendingBytes >= this.#maxBatchBytes) this.#flushNow();
      else {
        this.#timer ??= setTimeout(
          () => this.#flushNow(),
          this.#inFlight.size === 0 ? 0 : this.#lingerMs,
        );
      }
    });
  }

  /** Sends what is waiting now and resolves when everything sent so far is acknowledged. */
  async flush(): Promise<void> {
    this.#flushNow();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Flushes and disconnects. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#connected) await this.#producer.disconnect();
    this.#connected = false;
  }

  #flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const byTopic = new Map<string, { key?: string; value: Buffer }[]>();
    for (const m of batch) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, list = []);
      list.push(m.key === undefined ? { value: m.value } : { key: m.key, value: m.value });
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    // One request at a time: two in flight could reach a partition in either order (kafkajs
    // encodes each asynchronously), and a crawl's items must stay in the order produced.
    const sent = this.#previous.then(() =>
      this.#producer.sendBatch({ acks: -1, compression: this.#compression, topicMessages })
    ).then(
      () => {
        // Acknowledged: kafkajs reads the values no more; their memory goes back now.
        releaseRecordValues(batch.map((m) => m.value));
        batch.forEach((m) => m.resolve());
      },
      (err: Error) => batch.forEach((m) => m.reject(err)),
    );
    this.#previous = sent;
    this.#inFlight.add(sent);
    sent.finally(() => {
      this.#inFlight.delete(sent);
      // What gathered while this batch was on its way goes now, without waiting for the linger.
      if (this.#inFlight.size === 0) this.#flushNow();
    });
  }
}

/**
 * What a record adds to its key and value in a batch (length, attributes, timestamp and offset
 * deltas, key and value lengths, header count: varints, about 12 bytes), rounded up.
 */
const RECORD_OVERHEAD_BYTES = 32;
/** A record batch's header (61 bytes in format v2), rounded up. */
const BATCH_HEADER_BYTES = 64;
/**
 * Bytes a message's key and value may not use of `KAFKA_PRODUCER_MAX_REQUEST_SIZE`: the framing
 * of its record and of a batch holding it alone (the broker's `message.max.bytes` caps a whole
 * record batch).
 */
export const KAFKA_FRAMING_BYTES = RECORD_OVERHEAD_BYTES + BATCH_HEADER_BYTES;

/**
 * What a component that publishes does at start: fail early if Kafka does not answer, create
 * the topics it writes to, and connect a {@linkcode BatchingProducer}.
 */
export async function connectProducer(
  s: KafkaSettings,
  clientId: string,
  topics: string[],
  opts: { checkTimeoutMs?: number } = {},
): Promise<{ kafka: Kafka; producer: BatchingProducer }> {
  // The settings, not just KAFKA_HOSTS: TLS and SASL come with them.
  await checkKafka(s, opts.checkTimeoutMs);
  const kafka = createKafka(s, clientId);
  await ensureTopics(kafka, topics);
  const producer = new BatchingProducer(kafka, s);
  await producer.connect();
  return { kafka, producer };
}
