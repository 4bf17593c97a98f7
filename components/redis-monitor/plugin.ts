/**
 * The redis-monitor's plugin contract. A plugin owns a key pattern (Scrapy Cluster's glob,
 * e.g. `info:*:*`, where `*` also matches `:`), may hold a job back until a precondition holds
 * (the expire monitor waits for the expiry time), and handles the job: its answer, if any, is
 * sent to Kafka before the job key is deleted.
 *
 * A plugin module's default export is a {@linkcode PluginFactory}.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { loadRankedPlugins, type Ranked } from "../../lib/config/mod.ts";
import type { RedisMonitorSettings } from "./settings.ts";
import type { RedisClient } from "../../lib/services/redis.ts";

/** What a plugin gets at setup. */
export interface PluginContext {
  readonly settings: RedisMonitorSettings;
  readonly redis: RedisClient;
  readonly log: Logger;
}

/** An answer to publish on the outbound topics (its `appid` picks the per-app topic). */
export type Answer = Record<string, unknown> & { appid?: string };

/** A job handler. */
export interface RedisMonitorPlugin {
  /** Name in logs and stats keys (Scrapy Cluster's class names, e.g. `InfoMonitor`). */
  readonly name: string;
  /** Redis glob of the job keys it handles. */
  readonly pattern: string;
  /**
   * When the job may run; false leaves it for later. Returns the epoch second to look again,
   * or true/false (false = look again in a second).
   */
  precondition?(key: string, value: string, nowSec: number): boolean | number;
  /** Handles the job; resolves with the answer to publish, or null for none. */
  handle(key: string, value: string, nowSec: number): Promise<Answer | null>;
  close?(): void | Promise<void>;
}

/** Builds a plugin; the default export of a plugin module. */
export type PluginFactory = (
  ctx: PluginContext,
) => RedisMonitorPlugin | Promise<RedisMonitorPlugin>;

/** A loaded plugin with its rank. */
export type RankedPlugin = Ranked<RedisMonitorPlugin>;

/** Loads the plugins of `PLUGINS` in rank order; `null` ranks are skipped. */
export function loadPlugins(
  plugins: Readonly<Record<string, number | null>>,
  ctx: PluginContext,
  cwd = Deno.cwd(),
): Promise<RankedPlugin[]> {
  return loadRankedPlugins<PluginContext, RedisMonitorPlugin>(plugins, ctx, {
    builtinDir: new URL("./plugins/", import.meta.url),
    cwd,
    check: (p) =>
      typeof p?.handle !== "function" || typeof p?.pattern !== "string" || !p.pattern
        ? "does not build a plugin with a pattern and a handle()"
        : null,
  });
}

/** A Redis glob as a RegExp (`*` any run, `?` one character, `[...]` classes, `\` escapes). */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += "[\\s\\S]*";
    else if (c === "?") out += "[\\s\\S]";
    else if (c === "\\" && i + 1 < glob.length) out += escape(glob[++i]);
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        out += body.startsWith("^") ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
