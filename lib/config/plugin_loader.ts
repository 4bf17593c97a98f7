/**
 * Loading ranked plugins from a settings map (`PLUGINS` of the kafka-monitor and the
 * redis-monitor): module → rank, lower ranks first, `null` disables. Built-ins are named by
 * their file (`info_monitor`) or by Scrapy Cluster's dotted class path
 * (`plugins.info_monitor.InfoMonitor`); anything else is a module path or URL.
 *
 * @module
 */

const BUILTIN = /^[a-z][a-z0-9_]*$/;
const SCRAPY_STYLE = /^plugins\.([a-z][a-z0-9_]*)\.[A-Za-z0-9_]+$/;

/** The module URL a `PLUGINS` key refers to; built-ins live in `builtinDir`. */
export function pluginModuleUrl(key: string, builtinDir: URL, cwd: string): URL {
  const scrapy = SCRAPY_STYLE.exec(key);
  const builtin = scrapy?.[1] ?? (BUILTIN.test(key) ? key : null);
  if (builtin) return new URL(`${builtin}.ts`, builtinDir);
  if (/^[a-z]+:/.test(key)) return new URL(key);
  return new URL(key, `file://${cwd.endsWith("/") ? cwd : `${cwd}/`}`);
}

/** A loaded plugin with its settings key and rank. */
export interface Ranked<P> {
  readonly rank: number;
  readonly key: string;
  readonly plugin: P;
}

/**
 * Imports every enabled plugin in rank order (ties by key) and builds it with its default
 * export, a factory taking `ctx`. A plugin that cannot be loaded stops the start with one line.
 */
export async function loadRankedPlugins<C, P>(
  plugins: Readonly<Record<string, number | null>>,
  ctx: C,
  opts: { builtinDir: URL; cwd?: string; check?: (plugin: P) => string | null },
): Promise<Ranked<P>[]> {
  const entries = Object.entries(plugins)
    .filter((entry): entry is [string, number] => entry[1] !== null)
    .sort(([ka, ra], [kb, rb]) => ra - rb || ka.localeCompare(kb));
  const loaded: Ranked<P>[] = [];
  for (const [key, rank] of entries) {
    let factory: unknown;
    try {
      const url = pluginModuleUrl(key, opts.builtinDir, opts.cwd ?? Deno.cwd());
      factory = (await import(url.href)).default;
    } catch (err) {
      throw new Error(
        `Cannot start: plugin '${key}' could not be loaded: ${(err as Error).message}`,
      );
    }
    if (typeof factory !== "function") {
      throw new Error(`Cannot start: plugin '${key}' has no default export building a plugin`);
    }
    const plugin = await (factory as (ctx: C) => P | Promise<P>)(ctx);
    const problem = opts.check?.(plugin);
    if (problem) throw new Error(`Cannot start: plugin '${key}' ${problem}`);
    loaded.push({ rank, key, plugin });
  }
  return loaded;
}
