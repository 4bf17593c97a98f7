/**
 * Redis key names and ids of webhooks (`webhook-add`, `webhook-remove`, `webhook-list`).
 *
 * - `webhook:<add|remove|list>:<appid>:<uuid>` — the redis-monitor job the kafka-monitor writes
 *   (JSON of the request), answered on the outbound topic;
 * - `webhooks:apps` — set of the appids that have hooks, so webhook processes find every hook
 *   without SCAN; `webhooks:app:<appid>` — hash hook id → hook JSON;
 * - `webhook-hook:{<appid>:<id>}:<part>` — one hook's state hash, parked list, rate slot and
 *   drain lock, in one hash slot (a Lua script touches the list and the lock together on Redis
 *   Cluster).
 *
 * Hook ids are 16 hex digits of SHA-256 over url and crawlid: adding the same hook again
 * updates it (and resumes it) instead of adding a twin. Ids never contain `:`.
 *
 * @module
 */

/** The webhook actions and their job-key verbs. */
export const WEBHOOK_ACTIONS = {
  "webhook-add": "add",
  "webhook-remove": "remove",
  "webhook-list": "list",
} as const;

/** A webhook action name. */
export type WebhookAction = keyof typeof WEBHOOK_ACTIONS;

/** The redis-monitor job of one webhook request. */
export function webhookJobKey(action: WebhookAction, appid: string, uuid: string): string {
  return `webhook:${WEBHOOK_ACTIONS[action]}:${appid}:${uuid}`;
}

/** Set of appids with hooks. */
export const WEBHOOK_APPS_KEY = "webhooks:apps";

/** Hash hook id → hook JSON of one app. */
export function webhooksKey(appid: string): string {
  return `webhooks:app:${appid}`;
}

/** Which per-hook key: state hash, parked items, rate slot, drain lock. */
export type HookKeyPart = "state" | "parked" | "rate" | "lock";

/** One hook's key of `part`; every part of a hook shares a hash slot. */
export function hookKey(appid: string, id: string, part: HookKeyPart): string {
  return `webhook-hook:{${appid}:${id}}:${part}`;
}

/** The id of the hook of `url` (and `crawlid`): 16 hex digits, stable. */
export async function webhookId(url: string, crawlid?: string | null): Promise<string> {
  const data = new TextEncoder().encode(`${url}\n${crawlid ?? ""}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}
