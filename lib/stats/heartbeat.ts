/**
 * Self-registration: each process writes `stats:<component>:self:<host>:<id>` (value = epoch
 * seconds, TTL `HEARTBEAT_TIMEOUT`) so the Stats API can list live nodes. The id is the last
 * 12 hex digits of a per-process UUID, as in Scrapy Cluster.
 *
 * The crawler's heartbeat also holds its leases: while its key exists nobody takes its
 * requests; once the key is gone (`HEARTBEAT_TIMEOUT` without a beat) any crawler puts them
 * back. {@linkcode Heartbeat.steadyForMs} tells a crawler whether its own beats have been
 * reaching Redis long enough for the absence of another's key to mean something (after an
 * outage every key may have expired at once).
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";

/** This process's 12-hex-digit id. */
export const PROCESS_ID: string = crypto.randomUUID().split("-").pop()!;

/** The host name used in heartbeat and stats keys (never contains `:`). */
export function hostName(): string {
  try {
    return Deno.hostname().replaceAll(":", "_");
  } catch {
    return "unknown-host";
  }
}

/** Options of {@linkcode startHeartbeat}. */
export interface HeartbeatOptions {
  /** Seconds the key lives (HEARTBEAT_TIMEOUT). */
  ttlSec: number;
  /** How often to refresh it. @default min(5 s, ttl / 4) */
  intervalMs?: number;
  /** Stops the heartbeat and deletes the key. */
  signal: AbortSignal;
  /** Called when a beat fails (Redis away); the next beat tries again. */
  onError?: (err: unknown) => void;
  /** What the key holds; default: the time in epoch seconds. */
  value?: (nowSec: number) => string;
}

/** A running heartbeat (see {@linkcode startHeartbeat}). */
export interface Heartbeat {
  /** The key it writes. */
  readonly key: string;
  /**
   * For how long every beat has succeeded, in milliseconds (0 right after a failed beat): the
   * time since the first successful beat that followed the last failure.
   */
  steadyForMs(nowMs?: number): number;
}

/**
 * Writes the heartbeat key now (rejects when that fails) and then every interval until
 * `signal` aborts.
 */
export async function startHeartbeat(
  redis: RedisClient,
  key: string,
  opts: HeartbeatOptions,
): Promise<Heartbeat> {
  let steadySince: number | null = null;
  const beat = async () => {
    try {
      const nowSec = Math.floor(Date.now() / 1000);
      await redis.set(key, opts.value?.(nowSec) ?? String(nowSec), "EX", opts.ttlSec);
      steadySince ??= Date.now();
    } catch (err) {
      steadySince = null;
      throw err;
    }
  };
  await beat();
  const interval = opts.intervalMs ?? Math.min(5_000, (opts.ttlSec * 1000) / 4);
  const timer = setInterval(() => {
    beat().catch((err) => opts.onError?.(err));
  }, interval);
  opts.signal.addEventListener("abort", () => {
    clearInterval(timer);
    // A process that stops cleanly leaves the node list at once.
    redis.del(key).catch(() => {});
  }, { once: true });
  return {
    key,
    steadyForMs: (nowMs = Date.now()) =>
      steadySince === null ? 0 : Math.max(0, nowMs - steadySince),
  };
}
