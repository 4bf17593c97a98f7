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
import { loadRankedPlugins, type Ranked } from "../../lib/config/plugin_loader.ts";
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
    check: (p) =>
      typeof p?.handle !== "function" || typeof p?.schema !== "string"
        ? "does not build a plugin with a schema and a handle()"
        : null,
  });
}
