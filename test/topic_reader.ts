/**
 * Tests that watch a topic (the outbound answers, the crawled firehose) read every JSON message
 * from the beginning, in the background, until they stop the reader.
 *
 * @module
 */

import type { Kafka } from "kafkajs";
import { dumpTopic } from "../components/kafkadump/dump.ts";

/** A running reader of one topic. */
export interface TopicReader {
  /** Every message read so far, parsed. */
  readonly messages: Record<string, unknown>[];
  /** Stops reading; resolves once the consumer is gone. */
  stop(): Promise<void>;
}

/** Starts reading `topic` from the beginning; resolves once the consumer is ready. */
export async function readTopic(kafka: Kafka, topic: string): Promise<TopicReader> {
  const messages: Record<string, unknown>[] = [];
  const stopping = new AbortController();
  const ready = Promise.withResolvers<void>();
  const reading = dumpTopic(kafka, topic, {
    fromBeginning: true,
    signal: stopping.signal,
    write: (line) => {
      messages.push(JSON.parse(line));
    },
    onReady: () => ready.resolve(),
  });
  await Promise.race([ready.promise, reading]);
  return {
    messages,
    async stop() {
      stopping.abort();
      await reading;
    },
  };
}
