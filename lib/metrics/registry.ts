/**
 * Where metrics live: one prom-client `Registry` per process (what `/metrics` serves), and
 * metric groups built once per registry, so a component's hooks reach their counters without
 * plumbing and a test can build the same groups in a registry of its own.
 *
 * @module
 */

import { Registry } from "prom-client";

export { Registry };

/** Every metric name of this project starts with it. */
export const METRIC_PREFIX = "crawl_cluster_";

let processWide: Registry | null = null;

/** The registry of this process: what its `/metrics` serves. */
export function processRegistry(): Registry {
  processWide ??= new Registry();
  return processWide;
}

/**
 * A group of metric definitions built at most once per registry (prom-client refuses a name
 * registered twice): `const group = metricGroup((r) => ({ … }))`, then `group()` for this
 * process's registry or `group(registry)` for another.
 */
export function metricGroup<T>(build: (registry: Registry) => T): (registry?: Registry) => T {
  const built = new WeakMap<Registry, T>();
  return (registry = processRegistry()) => {
    let group = built.get(registry);
    if (group === undefined) {
      group = build(registry);
      built.set(registry, group);
    }
    return group;
  };
}
