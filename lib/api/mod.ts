/**
 * The cluster's public contract, shared by every component that speaks it: validation of
 * incoming messages against `schemas/` (`validation.ts`), Kafka topic names (`topics.ts`), the
 * redis-monitor jobs the kafka-monitor writes and the monitors answer (`jobs.ts`,
 * `job_keys.ts`), and the ZooKeeper domain config document (`domain_config.ts`). Everything here
 * keeps Scrapy Cluster's formats.
 *
 * @module
 */

export * from "./validation.ts";
export * from "./topics.ts";
export * from "./job_keys.ts";
export * from "./jobs.ts";
export * from "./domain_config.ts";
