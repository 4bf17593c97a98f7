/**
 * One hook's lane in one webhook process: its own queue, timer and retries, so a slow or
 * failing hook never delays another. Items are sent in the order they were pushed (Kafka's
 * order within a partition); a failed batch is retried as it was, before anything after it.
 *
 * **Parking** (how offsets move on without loss): while the hook is paused, or its in-memory
 * queue passed `WEBHOOK_QUEUE_LIMIT`, its items are appended to its parked list in Redis (in
 * order) and counted as done, so the partition's offset can be committed. While the list is
 * not empty every new item goes behind it, and one process at a time (the drain lock) sends
 * the list's head, removing items only after a 2xx; once it is empty the lane is back to
 * memory. A paused hook's list waits until a `webhook-add` of the same hook resumes it.
 *
 * **Rate**: a POST starts no sooner than the hook's cluster-wide slot (`hook_redis.ts`) and
 * no sooner than 1/`max_per_sec` seconds after this lane's previous POST *ended*, so the
 * receiver never sees two requests of one lane closer than that.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { NetworkGuard } from "../../lib/net/mod.ts";
import type { BufferedCounter } from "../../lib/stats/mod.ts";
import type { RedisClient } from "../../lib/services/redis.ts";
import { type HookConfig, recordDelivery, recordFailure } from "../../lib/api/webhooks.ts";
import { backoffMs } from "./backoff.ts";
import { postBatch } from "./deliver.ts";
import { HookRedis } from "./hook_redis.ts";
import type { WebhookSettings } from "./settings.ts";

/** An item waiting in a lane: its JSON and the callback that marks it done for this hook. */
export interface LaneEntry {
  readonly json: string;
  readonly done: () => void;
}

/** What a lane needs. */
export interface LaneDeps {
  readonly settings: Pick<
    WebhookSettings,
    | "WEBHOOK_MAX_FAILURES"
    | "WEBHOOK_TIMEOUT"
    | "WEBHOOK_RETRY_MIN"
    | "WEBHOOK_RETRY_MAX"
    | "WEBHOOK_REFRESH"
    | "WEBHOOK_QUEUE_LIMIT"
  >;
  readonly redis: RedisClient;
  readonly guard: NetworkGuard;
  readonly stats: BufferedCounter;
  readonly log: Logger;
}

/** One hook's queue and sender. */
export class HookLane {
  #hook: HookConfig;
  #paused = false;
  /** Items known to wait in the parked list (refreshed from Redis). */
  #parked = 0;
  #overflow = false;
  #queue: LaneEntry[] = [];
  #failures = 0;
  #lastEnd = 0;
  #wake = Promise.withResolvers<void>();
  #stopped = false;
  readonly #stopping = Promise.withResolvers<void>();
  readonly #deps: LaneDeps;
  readonly #store: HookRedis;
  readonly #running: Promise<void>;

  constructor(hook: HookConfig, deps: LaneDeps) {
    this.#hook = hook;
    this.#deps = deps;
    this.#store = new HookRedis(deps.redis, hook);
    this.#running = this.#run();
  }

  get hook(): HookConfig {
    return this.#hook;
  }

  /** Items waiting in memory. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one item. */
  push(entry: LaneEntry): void {
    this.#queue.push(entry);
    if (this.#queue.length > this.#deps.settings.WEBHOOK_QUEUE_LIMIT) this.#overflow = true;
    this.#wakeUp();
  }

  /** New settings and state from Redis (the registry's periodic read). */
  update(hook: HookConfig, paused: boolean, parked: number): void {
    this.#hook = hook;
    if (this.#paused && !paused) this.#failures = 0; // resumed by a webhook-add
    this.#paused = paused;
    this.#parked = parked;
    this.#wakeUp();
  }

  /** Stops the lane; items still queued are left undone (redelivered from the last commit). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.resolve();
    await this.#running;
    await this.#store.releaseLock().catch(() => {});
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#step();
      } catch (err) {
        // Redis away: try again shortly; nothing was marked done that is not stored.
        this.#deps.log.warn("Webhook {id} lane failed (retrying): {error}", {
          id: this.#hook.id,
          error: (err as Error).message,
        });
        await this.#idle(1_000);
      }
    }
  }

  async #step(): Promise<void> {
    if (this.#paused || this.#parked > 0 || this.#overflow) {
      await this.#parkQueue();
      if (this.#paused) return await this.#idle();
      return await this.#drainParked();
    }
    if (this.#queue.length === 0) return await this.#idle();
    const batch = this.#queue.slice(0, this.#hook.batch_size);
    if (await this.#send(batch.map((e) => e.json))) {
      this.#queue.splice(0, batch.length);
      for (const entry of batch) entry.done();
    }
  }

  /** Moves every queued item, in order, behind the parked ones; they are done for offsets. */
  async #parkQueue(): Promise<void> {
    if (this.#queue.length === 0) return;
    const moving = this.#queue.slice();
    this.#parked = await this.#store.park(moving.map((e) => e.json));
    this.#queue.splice(0, moving.length);
    this.#overflow = false;
    for (const entry of moving) entry.done();
  }

  /** Sends the parked list's head if this process holds the drain lock. */
  async #drainParked(): Promise<void> {
    const s = this.#deps.settings;
    const lockMs = Math.round(Math.max(30, 3 * (s.WEBHOOK_TIMEOUT + s.WEBHOOK_RETRY_MAX)) * 1000);
    if (!(await this.#store.takeLock(lockMs))) return await this.#idle();
    const items = await this.#store.peek(this.#hook.batch_size);
    if (items.length === 0) {
      this.#parked = 0;
      await this.#store.releaseLock();
      return;
    }
    if (!(await this.#send(items))) return;
    const left = await this.#store.trim(items.length);
    this.#parked = left < 0 ? await this.#store.parkedCount() : left;
    if (this.#parked === 0) await this.#store.releaseLock();
  }

  /** One POST with rate limit, stats, state and backoff; true when delivered. */
  async #send(items: string[]): Promise<boolean> {
    const { settings, redis, guard, stats, log } = this.#deps;
    const hook = this.#hook;
    const intervalMs = 1000 / hook.max_per_sec;
    const slotWait = await this.#store.reserveSlot(intervalMs);
    const spacing = this.#lastEnd + intervalMs - Date.now();
    const wait = Math.max(slotWait, spacing);
    if (wait > 0) await this.#wait(wait, this.#stopping.promise);
    if (this.#stopped) return false;
    const result = await postBatch(guard, hook, items, settings.WEBHOOK_TIMEOUT * 1000);
    this.#lastEnd = Date.now();
    if (result.ok) {
      this.#failures = 0;
      stats.count("delivered", items.length);
      await recordDelivery(redis, hook, items.length);
      return true;
    }
    this.#failures++;
    stats.count("failed");
    const { failures, paused } = await recordFailure(
      redis,
      hook,
      result.error,
      settings.WEBHOOK_MAX_FAILURES,
    );
    if (paused) {
      this.#paused = true;
      stats.count("paused");
      log.warn("Webhook {id} of {appid} paused after {failures} failures: {error}", {
        id: hook.id,
        appid: hook.appid,
        failures,
        error: result.error,
      });
      return false;
    }
    log.info("Webhook {id} failed ({failures} in a row), will retry: {error}", {
      id: hook.id,
      failures,
      error: result.error,
    });
    // Not woken by new items: the backoff holds whatever arrives.
    const ms = backoffMs(this.#failures, settings.WEBHOOK_RETRY_MIN, settings.WEBHOOK_RETRY_MAX);
    await this.#wait(ms, this.#stopping.promise);
    return false;
  }

  /** Waits for a push, an update or a stop (at most `ms`, default WEBHOOK_REFRESH). */
  #idle(ms = this.#deps.settings.WEBHOOK_REFRESH * 1000): Promise<void> {
    return this.#wait(ms, this.#wake.promise);
  }

  /** Waits `ms`, or until `until` settles or the lane stops. */
  async #wait(ms: number, until: Promise<void>): Promise<void> {
    if (this.#stopped) return;
    const timer = Promise.withResolvers<void>();
    const id = setTimeout(timer.resolve, ms);
    await Promise.race([until, timer.promise, this.#stopping.promise]);
    clearTimeout(id);
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = Promise.withResolvers<void>();
    wake.resolve();
  }
}
