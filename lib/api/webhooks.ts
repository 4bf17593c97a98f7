/**
 * The webhook registrations in Redis, shared by the redis-monitor (which adds, removes and
 * lists them) and the webhook processes (which read them and record each hook's state):
 *
 * - a hook's settings: JSON in the hash `webhooks:app:<appid>` under its id;
 * - its state: the hash `webhook-hook:{<appid>:<id>}:state` — `state` (`active` | `paused`),
 *   `failures` (consecutive), `delivered` (items), `last_error`, `paused_at`;
 * - its parked items: the list `webhook-hook:{<appid>:<id>}:parked` (see the webhook component).
 *
 * Commands touch one key each (or keys of one slot), so this works on Redis Cluster too.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import { hookKey, WEBHOOK_APPS_KEY, webhooksKey } from "./webhook_keys.ts";

/** A registered hook's settings. */
export interface HookConfig {
  readonly id: string;
  readonly appid: string;
  readonly url: string;
  readonly crawlid: string | null;
  readonly batch_size: number;
  readonly max_per_sec: number;
  readonly secret: string | null;
  /** Epoch seconds of the last webhook-add. */
  readonly added: number;
}

/** A hook's delivery state. */
export interface HookState {
  readonly state: "active" | "paused";
  readonly failures: number;
  readonly delivered: number;
  readonly last_error: string | null;
}

/** A hook with its state and how many items wait parked. */
export interface HookStatus extends HookConfig, HookState {
  readonly parked: number;
}

/** Stores (or replaces) a hook and makes it active with no failures. */
export async function saveHook(redis: RedisClient, hook: HookConfig): Promise<void> {
  await redis.hset(webhooksKey(hook.appid), hook.id, JSON.stringify(hook));
  await redis.sadd(WEBHOOK_APPS_KEY, hook.appid);
  await redis.hset(hookKey(hook.appid, hook.id, "state"), { state: "active", failures: 0 });
}

/** Deletes a hook with its state and parked items. */
export async function deleteHook(redis: RedisClient, appid: string, id: string): Promise<void> {
  await redis.hdel(webhooksKey(appid), id);
  for (const part of ["state", "parked", "rate", "lock"] as const) {
    await redis.del(hookKey(appid, id, part));
  }
  if ((await redis.hlen(webhooksKey(appid))) === 0) await redis.srem(WEBHOOK_APPS_KEY, appid);
}

/** The hooks of one app (by id). */
export async function appHooks(redis: RedisClient, appid: string): Promise<HookConfig[]> {
  const all = await redis.hgetall(webhooksKey(appid));
  return Object.values(all).flatMap((json) => {
    try {
      return [JSON.parse(json) as HookConfig];
    } catch {
      return []; // a hand-written entry that is not JSON: not a hook
    }
  });
}

/** Every registered hook. */
export async function allHooks(redis: RedisClient): Promise<HookConfig[]> {
  const apps = await redis.smembers(WEBHOOK_APPS_KEY);
  return (await Promise.all(apps.map((appid) => appHooks(redis, appid)))).flat();
}

/** A hook's state (active with no failures when never recorded). */
export async function hookState(redis: RedisClient, appid: string, id: string): Promise<HookState> {
  const h = await redis.hgetall(hookKey(appid, id, "state"));
  return {
    state: h.state === "paused" ? "paused" : "active",
    failures: Number(h.failures ?? 0) || 0,
    delivered: Number(h.delivered ?? 0) || 0,
    last_error: h.last_error ?? null,
  };
}

/** A hook's settings, state and parked count. */
export async function hookStatus(redis: RedisClient, hook: HookConfig): Promise<HookStatus> {
  const [state, parked] = await Promise.all([
    hookState(redis, hook.appid, hook.id),
    redis.llen(hookKey(hook.appid, hook.id, "parked")),
  ]);
  return { ...hook, ...state, parked };
}

/** Records a delivered request of `items` items: failures back to 0. */
export async function recordDelivery(redis: RedisClient, hook: HookConfig, items: number) {
  const key = hookKey(hook.appid, hook.id, "state");
  await redis.multi().hincrby(key, "delivered", items).hset(key, "failures", 0).exec();
}

/**
 * Records a failed request; pauses the hook when its consecutive failures reach `maxFailures`.
 * Resolves with the failure count and whether this call paused it.
 */
export async function recordFailure(
  redis: RedisClient,
  hook: HookConfig,
  error: string,
  maxFailures: number,
): Promise<{ failures: number; paused: boolean }> {
  const key = hookKey(hook.appid, hook.id, "state");
  const results = await redis.multi().hincrby(key, "failures", 1).hset(key, "last_error", error)
    .hget(key, "state").exec();
  const failures = Number(results?.[0]?.[1] ?? 0);
  if (failures < maxFailures || results?.[2]?.[1] === "paused") return { failures, paused: false };
  await redis.hset(key, { state: "paused", paused_at: Math.floor(Date.now() / 1000) });
  return { failures, paused: true };
}
