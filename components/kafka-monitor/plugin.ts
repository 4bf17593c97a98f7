/**
 * The kafka-monitor's plugin contract and loader. A plugin names the schema a request must
 * satisfy and appends its Redis writes for a validated request to the batch's pipeline; the
 * monitor runs the pipeline once per Kafka batch and commits offsets only after it succeeded.
 *
 * A plugin module's default export is a {@linkcode PluginFactory}.
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import type { Logger } from "@logtape/logtape";
import type { KafkaMonitorSettings } from "./settings.ts";

/** What a plugin gets at setup. */
export interface PluginContext {
  readonly settings: KafkaMonitorSettings;
  readonly redis: Redis;
  readonly log: Logger;
}

/** A request handler. */
export interface KafkaMonitorPlugin {
  /** Name in logs and stats keys (Scrapy Cluster's class names, e.g. `ScraperHandler`). */
  readonly name: string;
  /** Schema in `schemas/` (file name without `.json`) a request must satisfy. */
  readonly schema: string;
  /**
   * Appends the writes for one validated request (defaults filled in, `ts` added) to `batch`.
   * Throw {@linkcode RequestRejected} to refuse a request the schema let through.
   */
  handle(request: Record<string, unknown>, batch: ChainableCommander): void | Promise<void>;
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
export interface RankedPlugin {
  readonly rank: number;
  readonly key: string;
  readonly plugin: KafkaMonitorPlugin;
}

const BUILTIN = /^[a-z_]+$/;
// Scrapy Cluster's dotted class path, e.g. plugins.scraper_handler.ScraperHandler.
const SCRAPY_STYLE = /^plugins\.([a-z_]+)\.[A-Za-z]+$/;

/** The module URL a `PLUGINS` key refers to. */
export function pluginModuleUrl(key: string, cwd: string): URL {
  const scrapy = SCRAPY_STYLE.exec(key);
  const builtin = scrapy?.[1] ?? (BUILTIN.test(key) ? key : null);
  if (builtin) return new URL(`./plugins/${builtin}.ts`, import.meta.url);
  if (/^[a-z]+:/.test(key)) return new URL(key);
  return new URL(key, `file://${cwd.endsWith("/") ? cwd : `${cwd}/`}`);
}

/**
 * Loads the plugins of `PLUGINS` in rank order (ties by key); `null` ranks are skipped.
 * A plugin that cannot be loaded stops the start with one clear line.
 */
export async function loadPlugins(
  plugins: Readonly<Record<string, number | null>>,
  ctx: PluginContext,
  cwd = Deno.cwd(),
): Promise<RankedPlugin[]> {
  const entries = Object.entries(plugins)
    .filter((entry): entry is [string, number] => entry[1] !== null)
    .sort(([ka, ra], [kb, rb]) => ra - rb || ka.localeCompare(kb));
  const loaded: RankedPlugin[] = [];
  for (const [key, rank] of entries) {
    let factory: unknown;
    try {
      factory = (await import(pluginModuleUrl(key, cwd).href)).default;
    } catch (err) {
      throw new Error(
        `Cannot start: plugin '${key}' could not be loaded: ${(err as Error).message}`,
      );
    }
    if (typeof factory !== "function") {
      throw new Error(`Cannot start: plugin '${key}' has no default export building a plugin`);
    }
    loaded.push({ rank, key, plugin: await (factory as PluginFactory)(ctx) });
  }
  return loaded;
}
