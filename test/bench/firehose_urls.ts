/**
 * Counts result items on a crawl's firehose by their `url`, so a page produced twice shows as a
 * duplicate rather than as progress (the `scale` bench; crawler_bench.ts counts messages only).
 * The url is found in the raw message without decoding or parsing the item.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createConsumer, type Kafka } from "../../lib/services/mod.ts";

const URL_KEY = Buffer.from('"url":"');

/**
 * The `url` of a result item without parsing it: keys are sorted and none after `url` holds
 * one, and inside string values (the body) every quote is escaped, so the last `"url":"` is it.
 */
export function itemUrl(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  const at = value.lastIndexOf(URL_KEY);
  if (at < 0) return undefined;
  const start = at + URL_KEY.length;
  const end = value.indexOf(0x22, start);
  return end < 0 ? undefined : value.toString("utf8", start, end);
}

/** Counts firehose messages and the distinct urls among them. */
export class DistinctCounter {
  messages = 0;
  readonly urls = new Set<string>();
  firstAt = 0;
  doneAt = 0;
  readonly done = Promise.withResolvers<void>();
  readonly #consumer;

  constructor(kafka: Kafka, readonly topic: string, readonly target: number) {
    this.#consumer = createConsumer(kafka, {
      groupId: `bench-scale-${crypto.randomUUID().slice(0, 8)}`,
      allowAutoTopicCreation: false,
      maxBytes: 50 * 2 ** 20,
      maxBytesPerPartition: 20 * 2 ** 20,
    });
  }

  async start(): Promise<void> {
    const ready = Promise.withResolvers<void>();
    let joined = false;
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => joined = true);
    this.#consumer.on(this.#consumer.events.FETCH, () => joined && ready.resolve());
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (this.messages === 0 && batch.messages.length > 0) this.firstAt = performance.now();
        for (const m of batch.messages) {
          this.messages++;
          const url = itemUrl(m.value);
          if (url !== undefined) this.urls.add(url);
        }
        if (this.urls.size >= this.target && this.doneAt === 0) {
          this.doneAt = performance.now();
          this.done.resolve();
        }
        return Promise.resolve();
      },
    });
    await ready.promise;
  }

  stop(): Promise<void> {
    return this.#consumer.disconnect().catch(() => {});
  }
}
