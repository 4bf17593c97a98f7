/**
 * The cluster's public contract, shared by every component that speaks it: validation of
 * incoming messages against `schemas/` (`validation.ts`), the one request classifier the
 * kafka-monitor and REST share (`classify.ts`: the first plugin in rank order whose schema accepts
 * a message handles it), Kafka topic names (`topics.ts`), the
 * redis-monitor jobs the kafka-monitor writes and the monitors answer (`jobs.ts`,
 * `job_keys.ts`), and the ZooKeeper domain config document (`domain_config.ts`). Everything here
 * keeps Scrapy Cluster's formats, but for one: a queued request is stored without its schema
 * defaults (`compact_request.ts`), and reads back with them.
 *
 * @module
 */

export * from "./validation.ts";
export * from "./classify.ts";
export * from "./topics.ts";
export * from "./job_keys.ts";
export * from "./jobs.ts";
export * from "./domain_config.ts";
export * from "./compact_request.ts";
