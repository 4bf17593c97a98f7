/**
 * Statistics, as Scrapy Cluster keeps them in Redis (`stats:<component>:…`): the write side
 * (`collector.ts`: rolling windows and lifetime counters, bumped in the caller's pipeline;
 * `counter.ts`: the buffered counter every component counts with, which keeps its counts when a
 * write fails), the
 * read side for the Stats API (`reader.ts`), the periodic dump to the log (`dump.ts`), the
 * heartbeats processes write to announce themselves (`heartbeat.ts`) and the key names
 * (`keys.ts`).
 *
 * @module
 */

export * from "./keys.ts";
export * from "./collector.ts";
export * from "./counter.ts";
export * from "./reader.ts";
export * from "./dump.ts";
export * from "./heartbeat.ts";
export * from "./settings.ts";
