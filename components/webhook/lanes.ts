/**
 * The lanes of every registered hook in this process, kept in step with Redis: every
 * `WEBHOOK_REFRESH` seconds the registrations and each hook's state and parked count are read
 * again, lanes are created for new hooks, updated (settings, paused or resumed) and stopped for
 * removed ones. {@linkcode Lanes.match} gives the lanes an item goes to: the hooks of its
 * `appid`, and of its `crawlid` when the hook names one.
 *
 * @module
 */

import { allHooks, type HookConfig, hookState } from "../../lib/api/webhooks.ts";
import { hookKey } from "../../lib/api/webhook_keys.ts";
import { HookLane, type LaneDeps } from "./lane.ts";

/** Every hook's lane. */
export class Lanes {
  readonly #deps: LaneDeps;
  readonly #lanes = new Map<string, HookLane>();
  #byApp = new Map<string, HookLane[]>();

  constructor(deps: LaneDeps) {
    this.#deps = deps;
  }

  /** Reads the hooks from Redis and brings the lanes in line. */
  async refresh(): Promise<void> {
    const { redis } = this.#deps;
    const hooks = await allHooks(redis);
    const seen = new Set<string>();
    for (const hook of hooks) {
      const key = `${hook.appid}:${hook.id}`;
      seen.add(key);
      const [state, parked] = await Promise.all([
        hookState(redis, hook.appid, hook.id),
        redis.llen(hookKey(hook.appid, hook.id, "parked")),
      ]);
      let lane = this.#lanes.get(key);
      if (!lane) {
        lane = new HookLane(hook, this.#deps);
        this.#lanes.set(key, lane);
        this.#deps.log.info("Webhook {id} of {appid} registered: {url}", {
          id: hook.id,
          appid: hook.appid,
          url: hook.url,
        });
      }
      lane.update(hook, state.state === "paused", parked);
    }
    for (const [key, lane] of this.#lanes) {
      if (seen.has(key)) continue;
      this.#lanes.delete(key);
      this.#deps.log.info("Webhook {id} of {appid} removed", { ...lane.hook, secret: null });
      await lane.stop();
    }
    const byApp = new Map<string, HookLane[]>();
    for (const lane of this.#lanes.values()) {
      const list = byApp.get(lane.hook.appid) ?? [];
      list.push(lane);
      byApp.set(lane.hook.appid, list);
    }
    this.#byApp = byApp;
  }

  /** The lanes an item of `appid` and `crawlid` goes to. */
  match(appid: unknown, crawlid: unknown): HookLane[] {
    if (typeof appid !== "string") return [];
    return (this.#byApp.get(appid) ?? []).filter((lane) => matches(lane.hook, crawlid));
  }

  /** Items waiting in memory over every lane. */
  queued(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.queued;
    return n;
  }

  /** Stops every lane. */
  async stop(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((lane) => lane.stop()));
    this.#lanes.clear();
    this.#byApp = new Map();
  }
}

/** Whether a hook wants an item of `crawlid`. */
export function matches(hook: Pick<HookConfig, "crawlid">, crawlid: unknown): boolean {
  return hook.crawlid === null || hook.crawlid === crawlid;
}
