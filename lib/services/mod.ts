/**
 * Clients of the services the cluster runs on, each behind one module so the library can be
 * swapped: Redis (`redis.ts`, ioredis, single or Redis Cluster via `redis_cluster.ts`,
 * `redis_batch.ts` for commands over keys of several slots; `lua.ts`
 * registers a package's Lua scripts), Kafka
 * (`kafka.ts`, kafkajs: fail-early connect, probe, topics; `kafka_producer.ts`: the batching
 * producer) and ZooKeeper (`zookeeper.ts` connections, `zookeeper_nodes.ts` node reads and
 * writes: node-zookeeper-client as promises; `zookeeper_auth.ts` digest auth and the config
 * node's ACL); `outage.ts` reports each outage once.
 * Provisioning local servers for `deno task cluster` and the tests is the sub-package `local/`.
 *
 * @module
 */

export * from "./redis.ts";
export { parseClusterNodes } from "./redis_cluster.ts";
export * from "./redis_batch.ts";
export * from "./lua.ts";
export * from "./kafka.ts";
export * from "./kafka_producer.ts";
export * from "./kafka_settings.ts";
export * from "./zookeeper.ts";
export * from "./zookeeper_nodes.ts";
export * from "./zookeeper_auth.ts";
export * from "./outage.ts";
