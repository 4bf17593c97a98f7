/**
 * Webhook requests (`webhook-add`, `webhook-remove`, `webhook-list`): written as the
 * redis-monitor job `webhook:<add|remove|list>:<appid>:<uuid>` = JSON of the request, which the
 * redis-monitor's webhook plugin carries out and answers on the outbound topic.
 *
 * A `webhook-add` URL is checked here by the network guard (`ALLOW_PRIVATE_ADDRESSES`,
 * `ALLOWED_PRIVATE_NETWORKS`), its host name resolved: a refused or unresolvable host is written
 * into the job as `error`, so the caller gets an error answer instead of silence. (A URL whose
 * host is a refused address literal never gets here: the classifier refuses it at intake, as
 * for crawl seeds — REST answers 400 with the cause, the Kafka path logs and counts it.)
 *
 * @module
 */

import { type WebhookAction, webhookJobKey } from "../../../lib/api/webhook_keys.ts";
import { addJob } from "../../../lib/api/mod.ts";
import { HostLookupError, NetworkGuard, NetworkRefusedError } from "../../../lib/net/mod.ts";
import type { PluginFactory } from "../plugin.ts";

/** Bound of the DNS lookup of a hook's host. */
const LOOKUP_TIMEOUT_MS = 5_000;

const webhookHandler: PluginFactory = ({ settings }) => {
  let guard: NetworkGuard | null = null;
  return {
    name: "WebhookHandler",
    schema: "webhook",
    async handle(request, batch) {
      const { action, appid, uuid, url } = request as Record<string, string>;
      const job: Record<string, unknown> = { ...request };
      if (action === "webhook-add" && typeof url === "string") {
        guard ??= NetworkGuard.fromSettings(settings);
        const error = await refusal(guard, url);
        if (error) job.error = error;
      }
      addJob(batch, webhookJobKey(action as WebhookAction, appid, uuid), JSON.stringify(job));
    },
    close: () => guard?.close(),
  };
};

export default webhookHandler;

/** Why the guard refuses `url`, or null when it passes. */
async function refusal(guard: NetworkGuard, url: string): Promise<string | null> {
  try {
    await guard.check(url, AbortSignal.timeout(LOOKUP_TIMEOUT_MS));
    return null;
  } catch (err) {
    if (err instanceof NetworkRefusedError || err instanceof HostLookupError) {
      return `url refused: ${err.message}`;
    }
    return `url refused: cannot check its host: ${(err as Error).message}`;
  }
}
