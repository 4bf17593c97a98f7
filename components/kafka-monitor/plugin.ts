/**
 * The kafka-monitor's plugin contract and loader. A plugin names the schema a request must
 * satisfy and appends its Redis writes for a validated request to the batch's pipeline (or
 * defers them to `flush()`, to write many requests in one command); the monitor runs the
 * pipeline once per Kafka batch and commits offsets only after it succeeded.
 *
 * A plugin module's default export is a {@linkcode PluginFactory}.
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import type { Logger } from "@logtape/logtape";
import { loadRankedPlugins, loadSettings, type Ranked } from "../../lib/config/mod.ts";
import { createValidator, type RequestPlugin } from "../../lib/api/mod.ts";
import { KAFKA_MONITOR_SETTINGS, type KafkaMonitorSettings } from "./settings.ts";
import type { RedisClient } from "../../lib/services/redis.ts";

/** What a plugin gets at setup. */
export interface PluginContext {
  readonly settings: KafkaMonitorSettings;
  readonly redis: RedisClient;
  readonly log: Logger;
}

/**
 * A request handler. Its `name` (Scrapy Cluster's class names, e.g. `ScraperHandler`) and
 * `schema` are what `lib/api/classify.ts` matches requests with.
 */
export interface KafkaMonitorPlugin extends RequestPlugin {
  /**
   * Appends the writes for one validated request (defaults filled in, `ts` added) to `batch`.
   * Throw {@linkcode RequestRejected} to refuse a request the schema let through.
   */
  handle(request: Record<string, unknown>, batch: ChainableCommander): void | Promise<void>;
  /**
   * Appends the writes `handle()` deferred for this `batch` (e.g. one enqueue for many
   * requests), once after the batch's last `handle()`. A plugin that defers must append nothing
   * else in `handle()`, so that a request handled alone and flushed right after is written as
   * if it had not been deferred: when Redis refuses a flushed command, the monitor runs that
   * plugin's requests of the batch again one at a time to know which of them failed.
   */
  flush?(batch: ChainableCommander): void | Promise<void>;
  /** Releases what setup acquired. */
  close?(): void | Promise<void>;
}

/** Builds a plugin; the default export of a plugin module. */
export type PluginFactory = (
  ctx: PluginContext,
) => KafkaMonitorPlugin | Promise<KafkaMonitorPlugin>;

/** A request a plugin refuses (counted as a failure, logged with its reason). */
export class RequestRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestRejected";
  }
}

/** A loaded plugin with its rank. */
export type RankedPlugin = Ranked<KafkaMonitorPlugin>;

/** Loads the plugins of `PLUGINS` in rank order; `null` ranks are skipped. */
export function loadPlugins(
  plugins: Readonly<Record<string, number | null>>,
  ctx: PluginContext,
  cwd = Deno.cwd(),
): Promise<RankedPlugin[]> {
  return loadRankedPlugins<PluginContext, KafkaMonitorPlugin>(plugins, ctx, {
    builtinDir: new URL("./plugins/", import.meta.url),
    cwd,
    check: _check,
  });
}

/** What the rest service builds plugins with: its own client, log and settings. */
export interface ClassifyOnlyContext {
  readonly settings: Partial<KafkaMonitorSettings>;
  readonly redis: RedisClient;
  readonly log: Logger;
}

/**
 * Loads the plugins of `PLUGINS` for a process that only classifies requests (the rest
 * service): each is built as in the kafka-monitor, with the kafka-monitor's default settings
 * under the caller's own, but its `handle()` is never called.
 */
export function loadPluginsToClassify(
  plugins: Readonly<Record<string, number | null>>,
  ctx: ClassifyOnlyContext,
  cwd = Deno.cwd(),
): Promise<RankedPlugin[]> {
  const settings = { ...loadSettings(KAFKA_MONITOR_SETTINGS), ...ctx.settings };
  return loadPlugins(plugins, { ...ctx, settings }, cwd);
}

function _check(plugin: KafkaMonitorPlugin): string | null {
  if (typeof plugin?.handle !== "function" || typeof plugin?.schema !== "string") {
    return "does not build a plugin with a schema and a handle()";
  }
  try {
    createValidator(plugin.schema);
  } catch (err) {
    return `names a schema that cannot be used: ${(err as Error).message}`;
  }
  return null;
}
