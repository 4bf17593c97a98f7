/**
 * Webhook jobs (`webhook:<add|remove|list>:<appid>:<uuid>` = JSON of the request, written by
 * the kafka-monitor's webhook handler): changes or reads the registrations in Redis
 * (`lib/api/webhooks.ts`) and answers `{action, appid, uuid, server_time, …}`:
 *
 * - `webhook-add` → `hook` (its id, url, crawlid, batch_size, max_per_sec, `signed`, state);
 *   adding a hook that exists (same url and crawlid) updates it and resumes it if paused
 *   (`resumed: true`), its parked items then being delivered first;
 * - `webhook-remove` → `removed`: the ids removed (by `id`, or every hook of `url`);
 * - `webhook-list` → `hooks`: each hook with `state`, `failures`, `delivered`, `parked`,
 *   `last_error`.
 *
 * A request the handler found wrong (a refused url) or that lacks what its action needs is
 * answered with `error` and changes nothing. Secrets are never echoed.
 *
 * @module
 */

import {
  appHooks,
  deleteHook,
  type HookConfig,
  hookState,
  type HookStatus,
  hookStatus,
  saveHook,
} from "../../../lib/api/webhooks.ts";
import { webhookId } from "../../../lib/api/webhook_keys.ts";
import type { Answer, PluginFactory } from "../plugin.ts";

const webhookMonitor: PluginFactory = ({ redis, log }) => ({
  name: "WebhookMonitor",
  pattern: "webhook:*:*:*",
  async handle(_key, value, nowSec) {
    const job = JSON.parse(value) as Record<string, unknown>;
    const action = String(job.action);
    const appid = String(job.appid);
    const answer: Answer = { action, appid, uuid: job.uuid, server_time: Math.floor(nowSec) };
    const error = job.error ?? _missing(action, job);
    if (typeof error === "string") {
      log.warn("Refused {action} for {appid}: {error}", { action, appid, error });
      return { ...answer, error };
    }
    if (action === "webhook-list") {
      const hooks = await Promise.all(
        (await appHooks(redis, appid)).map((h) => hookStatus(redis, h)),
      );
      return { ...answer, hooks: hooks.map(_shown) };
    }
    if (action === "webhook-remove") {
      const removed = (await appHooks(redis, appid))
        .filter((h) => (job.id !== undefined ? h.id === job.id : h.url === job.url))
        .map((h) => h.id);
      for (const id of removed) await deleteHook(redis, appid, id);
      log.info("Removed webhooks {removed} of {appid}", { removed, appid });
      if (removed.length === 0) return { ...answer, removed, error: "no matching webhook" };
      return { ...answer, removed };
    }
    const url = String(job.url);
    const crawlid = typeof job.crawlid === "string" ? job.crawlid : null;
    const hook: HookConfig = {
      id: await webhookId(url, crawlid),
      appid,
      url,
      crawlid,
      batch_size: Number(job.batch_size ?? 10),
      max_per_sec: Number(job.max_per_sec ?? 1),
      secret: typeof job.secret === "string" ? job.secret : null,
      added: Math.floor(nowSec),
    };
    const before = await hookState(redis, appid, hook.id);
    await saveHook(redis, hook);
    const resumed = before.state === "paused";
    log.info("Webhook {id} of {appid} {what}: {url}", {
      id: hook.id,
      appid,
      url,
      what: resumed ? "resumed" : "saved",
    });
    const status = await hookStatus(redis, hook);
    return { ...answer, hook: _shown(status), ...(resumed && { resumed: true }) };
  },
});

export default webhookMonitor;

/** What the action needs and the request lacks (the schema cannot say it). */
function _missing(action: string, job: Record<string, unknown>): string | null {
  if (action === "webhook-add" && typeof job.url !== "string") return "'url' is required";
  if (action === "webhook-add" && job.id !== undefined) return "'id' is not allowed here";
  if (action === "webhook-remove" && job.url === undefined && job.id === undefined) {
    return "'url' or 'id' is required";
  }
  if (action === "webhook-remove" && job.url !== undefined && job.id !== undefined) {
    return "give 'url' or 'id', not both";
  }
  return null;
}

/** A hook as answers show it: no secret, only whether there is one. */
function _shown(hook: HookStatus): Record<string, unknown> {
  const { secret, added: _added, ...rest } = hook;
  return { ...rest, signed: secret !== null };
}
