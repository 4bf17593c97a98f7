/**
 * The Redis side of one hook's lane: its cluster-wide rate slot, its parked list and the lock
 * that lets one process at a time drain that list. Every key is in the hook's hash slot
 * (`hookKey`), so the scripts run on Redis Cluster too.
 *
 * - **Rate slot**: each POST reserves the next free instant, at least 1/`max_per_sec` seconds
 *   after the previous reservation of any process (Redis's clock), and waits for it.
 * - **Parked list**: items (raw JSON) in delivery order; only the holder of the drain lock
 *   removes from its head, and only while it holds the lock (compare-and-trim), so two
 *   processes never both drop a batch — at worst one delivers a batch twice.
 *
 * @module
 */

import type { RedisClient } from "../../lib/services/redis.ts";
import { hookKey } from "../../lib/api/webhook_keys.ts";
import type { HookConfig } from "../../lib/api/webhooks.ts";

const RESERVE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) * 2 + 1000)
return at - now`;

const TAKE_LOCK = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const TRIM_IF_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
return redis.call('LLEN', KEYS[2])`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The Redis operations of one hook. */
export class HookRedis {
  readonly #redis: RedisClient;
  readonly #token = crypto.randomUUID();
  readonly #keys: Record<"rate" | "parked" | "lock", string>;

  constructor(redis: RedisClient, hook: Pick<HookConfig, "appid" | "id">) {
    this.#redis = redis;
    this.#keys = {
      rate: hookKey(hook.appid, hook.id, "rate"),
      parked: hookKey(hook.appid, hook.id, "parked"),
      lock: hookKey(hook.appid, hook.id, "lock"),
    };
  }

  /** Reserves the next POST instant `intervalMs` after the last; resolves with the wait, ms. */
  async reserveSlot(intervalMs: number): Promise<number> {
    const wait = await this.#redis.eval(RESERVE_SLOT, 1, this.#keys.rate, Math.ceil(intervalMs));
    return Number(wait);
  }

  /** Appends items to the parked list, in order; resolves with its new length. */
  async park(items: readonly string[]): Promise<number> {
    if (items.length === 0) return await this.parkedCount();
    return await this.#redis.rpush(this.#keys.parked, ...items);
  }

  /** How many items are parked. */
  parkedCount(): Promise<number> {
    return this.#redis.llen(this.#keys.parked);
  }

  /** The first `n` parked items. */
  peek(n: number): Promise<string[]> {
    return this.#redis.lrange(this.#keys.parked, 0, n - 1);
  }

  /** Takes (or renews) the drain lock for `ttlMs`; false when another process holds it. */
  async takeLock(ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.round(ttlMs));
    return Number(await this.#redis.eval(TAKE_LOCK, 1, this.#keys.lock, this.#token, ms)) ===
      1;
  }

  /**
   * Removes the first `n` parked items if this process still holds the lock; resolves with
   * the items left, or -1 when the lock was lost (nothing removed).
   */
  async trim(n: number): Promise<number> {
    return Number(
      await this.#redis.eval(TRIM_IF_HOLDER, 2, this.#keys.lock, this.#keys.parked, this.#token, n),
    );
  }

  /** Gives the drain lock up if held. */
  async releaseLock(): Promise<void> {
    await this.#redis.eval(RELEASE_LOCK, 1, this.#keys.lock, this.#token);
  }
}
