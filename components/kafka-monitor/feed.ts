/**
 * `kafka-monitor feed '<json>'`: puts one JSON request on the incoming topic and waits for the
 * broker's acknowledgement. The command line feed is for trying things out; applications
 * should produce to Kafka themselves (or use the rest gateway).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { checkKafka, createKafka, produceOnce } from "../../lib/services/mod.ts";
import { parseJsonMessage } from "../../lib/api/mod.ts";
import type { KafkaMonitorSettings } from "./settings.ts";

/** Feeds `text`; resolves with the pretty-printed JSON that was sent, or throws one clear line. */
export async function feed(
  text: string,
  settings: KafkaMonitorSettings,
  log: Logger,
): Promise<string> {
  const parsed = parseJsonMessage(text, { maxBytes: settings.MAX_REQUEST_BYTES });
  if (!parsed.ok) throw new Error(`Cannot feed: ${parsed.error}`);
  const topic = settings.KAFKA_INCOMING_TOPIC;
  const timeoutMs = settings.KAFKA_FEED_TIMEOUT * 1000;
  await checkKafka(settings, timeoutMs);
  log.info("Feeding JSON into {topic}", { topic });
  try {
    await produceOnce(
      createKafka(settings, "kafka-monitor-feed"),
      topic,
      JSON.stringify(parsed.value),
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`Cannot feed: Kafka did not take the message: ${(err as Error).message}`);
  }
  log.info("Successfully fed item to Kafka");
  return JSON.stringify(parsed.value, null, 4);
}
