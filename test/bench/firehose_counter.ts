/**
 * Counts result items on a crawl's firehose by their `url`, so a page produced twice shows as a
 * duplicate rather than as progress (every crawler bench: `crawler`, `slow`, `scale`, profiles).
 * The url is found in the raw message without decoding or parsing the item.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createConsumer, type Kafka } from "../../lib/services/mod.ts";
import { sleep } from "./proc.ts";

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

/** Counts firehose messages and the distinct urls among them, with arrival times. */
export class FirehoseCounter {
  messages = 0;
  readonly urls = new Set<string>();
  firstAt = 0;
  /** When the distinct urls reached the target. */
  doneAt = 0;
  lastAt = 0;
  readonly done = Promise.withResolvers<void>();
  readonly #consumer;

  constructor(kafka: Kafka, readonly topic: string, readonly target: number) {
    this.#consumer = createConsumer(kafka, {
      groupId: `bench-counter-${crypto.randomUUID().slice(0, 8)}`,
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
        const now = performance.now();
        if (this.messages === 0 && batch.messages.length > 0) this.firstAt = now;
        if (batch.messages.length > 0) this.lastAt = now;
        for (const m of batch.messages) {
          this.messages++;
          const url = itemUrl(m.value);
          if (url !== undefined) this.urls.add(url);
        }
        if (this.urls.size >= this.target && this.doneAt === 0) {
          this.doneAt = now;
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

/** Waits until `counter` reaches its target or stalls for `stallMs`; logs progress. */
export async function awaitPages(
  counter: FirehoseCounter,
  ctx: { pages: number; stallMs: number; say: (line: string) => void },
  what: string,
): Promise<boolean> {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const finished = await Promise.race([counter.done.promise.then(() => true), sleep(2_000)]);
    if (finished) return true;
    if (counter.urls.size !== last) {
      last = counter.urls.size;
      lastChange = performance.now();
      ctx.say(`${what}: ${last}/${ctx.pages} pages`);
    } else if (performance.now() - lastChange > ctx.stallMs) {
      ctx.say(`${what}: stalled at ${last}/${ctx.pages} pages; giving up`);
      return false;
    }
  }
}
