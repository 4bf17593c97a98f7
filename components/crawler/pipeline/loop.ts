/**
 * The crawler loop: pop as many requests as there are free slots (each under a lease, the
 * cluster-wide throttle applied inside the pop script), start each through `processLease()`,
 * wait for a slot or for work, repeat. Beside it, every `min(LEASE_TIMEOUT / 4, 5 s)`, the
 * stats are written and the leases of crawlers that died are put back.
 *
 * On abort it stops popping, lets in-flight pages finish (up to `DOWNLOAD_TIMEOUT`, then their
 * downloads are aborted), acknowledges what finished, returns what did not to the queues,
 * writes the stats and flushes Kafka.
 *
 * @module
 */

import { sleep } from "../../../lib/async/mod.ts";
import {
  type Lease,
  popLeased,
  reclaimExpiredLeases,
  returnLeases,
} from "../../../lib/frontier/mod.ts";
import type { CrawlContext } from "./context.ts";
import { processLease } from "./process.ts";
import { Slots } from "./slots.ts";
import { urlOf } from "./steps/decode.ts";

/** Runs until `signal` aborts; resolves once in-flight work is finished or handed back. */
export async function runLoop(ctx: CrawlContext, signal: AbortSignal): Promise<void> {
  const { log, settings: s } = ctx;
  const slots = new Slots(s.CONCURRENT_REQUESTS, s.CONCURRENT_REQUESTS_PER_DOMAIN);
  const inFlight = new Map<Lease, Promise<void>>();
  const leaseMs = s.LEASE_TIMEOUT * 1000;
  const maintenance = setInterval(() => maintain(ctx), Math.min(leaseMs / 4, 5_000));
  log.info("Crawler {spider} started", { spider: ctx.spiderid });
  try {
    while (!signal.aborted) {
      const free = slots.free;
      if (free <= 0) {
        await slots.wait(signal);
        continue;
      }
      let popped;
      try {
        popped = await popLeased(ctx.redis, ctx.spiderid, {
          max: free,
          perDomain: s.CONCURRENT_REQUESTS_PER_DOMAIN,
          leaseMs,
          skipDomains: slots.fullDomains(),
          throttle: ctx.throttle.spec,
        });
      } catch (err) {
        log.warn("Cannot pop requests (retrying): {error}", { error: err });
        await sleep(1_000, signal);
        continue;
      }
      for (const d of popped.dropped) {
        log.info("Dropped a {reason} request", { reason: d.reason, data: d.member.slice(0, 300) });
        ctx.onDone({ kind: "dropped", url: urlOf(d.member), reason: d.reason });
      }
      if (popped.leases.length === 0) {
        await slots.wait(signal, s.IDLE_POLL_MS);
        continue;
      }
      for (const lease of popped.leases) start(ctx, slots, inFlight, lease);
    }
  } finally {
    clearInterval(maintenance);
    await shutdown(ctx, inFlight);
  }
}

function start(
  ctx: CrawlContext,
  slots: Slots,
  inFlight: Map<Lease, Promise<void>>,
  lease: Lease,
): void {
  slots.take(lease.domain);
  const task = processLease(ctx, lease).catch((err) => {
    // A bug or Redis outage: keep the lease; it expires and the request comes back.
    ctx.log.error("Request failed unexpectedly; it will be retried: {error}", {
      error: err,
      url: urlOf(lease.member),
    });
  }).finally(() => {
    inFlight.delete(lease);
    slots.release(lease.domain);
  });
  inFlight.set(lease, task);
}

/** Periodic work: stats written, requests of crawlers that died put back. */
async function maintain(ctx: CrawlContext): Promise<void> {
  await ctx.stats.flush(); // never rejects: a failed write is logged and kept
  try {
    const back = await reclaimExpiredLeases(ctx.redis, ctx.spiderid);
    if (back > 0) ctx.log.warn("Put back {n} request(s) of a crawler that stopped", { n: back });
  } catch (err) {
    ctx.log.warn("Maintenance failed (will retry): {error}", { error: err });
  }
}

async function shutdown(ctx: CrawlContext, inFlight: Map<Lease, Promise<void>>): Promise<void> {
  const { log } = ctx;
  const grace = ctx.settings.DOWNLOAD_TIMEOUT * 1000 + 1000;
  log.info("Crawler stopping: finishing {n} request(s)", { n: inFlight.size });
  const leases = [...inFlight.keys()];
  const timer = setTimeout(() => ctx.fetchAbort.abort(), grace);
  await Promise.allSettled([...inFlight.values()]);
  clearTimeout(timer);
  // Requests whose fetch was aborted were neither acknowledged nor retried: hand them back.
  await ctx.acks.drain();
  const back = await returnLeases(ctx.redis, ctx.spiderid, leases).catch(() => 0);
  if (back > 0) log.info("Returned {n} unfinished request(s) to the queues", { n: back });
  await ctx.stats.flush();
  await ctx.producer.flush();
}
