/**
 * Kafka topic names of the cluster (Scrapy Cluster's): `<prefix>.incoming`,
 * `<prefix>.crawled_firehose`, `<prefix>.crawled_<appid>`, `<prefix>.outbound_firehose`,
 * `<prefix>.outbound_<appid>`. Kafka only accepts `[A-Za-z0-9._-]` (at most 249 characters) in a
 * topic name, while an appid may hold any character but `:` and `*`; other characters become
 * `_` so an unusual appid never makes a produce fail.
 *
 * @module
 */

const INVALID = /[^A-Za-z0-9._-]/g;

/** `appid` made safe for a topic name. */
export function topicSafe(appid: string): string {
  return appid.replace(INVALID, "_");
}

function limit(topic: string): string {
  return topic.length > 249 ? topic.slice(0, 249) : topic;
}

/** Where every crawled page goes. */
export function crawledFirehose(prefix: string): string {
  return `${prefix}.crawled_firehose`;
}

/** Where an application's crawled pages go when `KAFKA_APPID_TOPICS` is on. */
export function crawledAppTopic(prefix: string, appid: string): string {
  return limit(`${prefix}.crawled_${topicSafe(appid)}`);
}

/** Where every answer of the redis-monitor goes. */
export function outboundFirehose(prefix: string): string {
  return `${prefix}.outbound_firehose`;
}

/** Where an application's answers go when `KAFKA_APPID_TOPICS` is on. */
export function outboundAppTopic(prefix: string, appid: string): string {
  return limit(`${prefix}.outbound_${topicSafe(appid)}`);
}
