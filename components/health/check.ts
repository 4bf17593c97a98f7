/**
 * Is a component alive on this machine? Every component process beats a key in Redis
 * (`stats:<component>:self:<host>:<id>`, a crawler `stats:crawler:<host>:<spider>:<id>`) whose
 * value is the time of the beat. A container runs one component, and its host name is the
 * container's, so the check looks for a key of that component and host beaten recently.
 *
 * The process id is random, so the key is found by SCAN (never KEYS) restricted by pattern;
 * the scan stops at the first fresh beat.
 *
 * @module
 */

import { type RedisClient, scanKeys } from "../../lib/services/mod.ts";

/** The components that beat a heartbeat key. */
export const BEATING_COMPONENTS = [
  "kafka-monitor",
  "redis-monitor",
  "crawler",
  "rest",
  "webhook",
] as const;

/** One of {@linkcode BEATING_COMPONENTS}. */
export type BeatingComponent = typeof BEATING_COMPONENTS[number];

/** A heartbeat found: its key and how old its last beat is. */
export interface Beat {
  key: string;
  ageSec: number;
}

/** The SCAN pattern of `component`'s heartbeat keys on `host`, and their number of segments. */
export function heartbeatPattern(
  component: BeatingComponent,
  host: string,
): { pattern: string; segments: number } {
  const h = host.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  return component === "crawler"
    ? { pattern: `stats:crawler:${h}:*`, segments: 5 }
    : { pattern: `stats:${component}:self:${h}:*`, segments: 5 };
}

/**
 * The time of a beat from a heartbeat value: epoch seconds, or a crawler's
 * `{"time": …, "tags": […]}`; null when it is neither.
 */
export function beatTime(value: string | null): number | null {
  if (value === null) return null;
  const plain = Number(value);
  if (value.trim() !== "" && Number.isFinite(plain)) return plain;
  try {
    const time = (JSON.parse(value) as { time?: unknown })?.time;
    return typeof time === "number" && Number.isFinite(time) ? time : null;
  } catch {
    return null;
  }
}

/**
 * The freshest heartbeat of `component` on `host` at most `maxAgeSec` old, or the freshest
 * stale one (`fresh: false`), or null when there is none. Stops scanning at the first fresh one.
 */
export async function findHeartbeat(
  redis: RedisClient,
  component: BeatingComponent,
  host: string,
  opts: { maxAgeSec: number; nowSec?: number },
): Promise<(Beat & { fresh: boolean }) | null> {
  const nowSec = opts.nowSec ?? Date.now() / 1000;
  const { pattern, segments } = heartbeatPattern(component, host);
  let stale: Beat | null = null;
  for await (const batch of scanKeys(redis, pattern)) {
    // A crawler's per-status counters share the prefix; heartbeats have exactly 5 segments.
    const keys = batch.filter((key) => key.split(":").length === segments);
    for (const key of keys) {
      const time = beatTime(await redis.get(key));
      if (time === null) continue;
      const ageSec = Math.max(0, nowSec - time);
      if (ageSec <= opts.maxAgeSec) return { key, ageSec, fresh: true };
      if (stale === null || ageSec < stale.ageSec) stale = { key, ageSec };
    }
  }
  return stale && { ...stale, fresh: false };
}
