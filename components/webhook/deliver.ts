/**
 * One POST of a batch of result items to a hook, through the network guard (so a hook whose
 * host is or resolves to a private address is refused unless `ALLOW_PRIVATE_ADDRESSES` /
 * `ALLOWED_PRIVATE_NETWORKS` open it), bounded by `WEBHOOK_TIMEOUT`, signed when the hook has
 * a secret. Only a 2xx counts as delivered; redirects are not followed (a failure).
 *
 * @module
 */

import type { NetworkGuard } from "../../lib/net/mod.ts";
import type { HookConfig } from "../../lib/api/webhooks.ts";
import { SIGNATURE_HEADER, signBody } from "./signature.ts";

/** How a POST ended: delivered, or why not. */
export type DeliveryResult = { ok: true } | { ok: false; error: string };

/** POSTs `items` (raw JSON texts of result items) as one JSON array. */
export async function postBatch(
  guard: NetworkGuard,
  hook: HookConfig,
  items: readonly string[],
  timeoutMs: number,
): Promise<DeliveryResult> {
  // The items are joined as they came from Kafka: the receiver gets each byte the crawler wrote.
  const body = new TextEncoder().encode(`[${items.join(",")}]`);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "crawl-cluster-webhook",
    "x-crawl-cluster-hook": hook.id,
  };
  if (hook.secret !== null) headers[SIGNATURE_HEADER] = await signBody(hook.secret, body);
  try {
    const res = await guard.fetch(hook.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") return { ok: false, error: `no answer in ${timeoutMs} ms` };
    return { ok: false, error: e.message || String(err) };
  }
}
