/**
 * The crawler loop: pop as many requests as there are free slots (each under a lease naming
 * this crawler, the cluster-wide throttle applied inside the pop script), start each through
 * `processLease()`, wait for a slot or for work, repeat. Before a pop, when something failed
 * that may have left a lease of its own nobody works on (a pop whose reply was lost, an
 * acknowledgement that failed) — and every `Holdings` audit period anyway — it settles its own
 * leases (`holdings.ts`); after a page's output could not be delivered its pops pause a moment.
 * Beside it, every `min(LEASE_TIMEOUT / 4, HEARTBEAT_TIMEOUT / 3, 5 s)`, the stats are written
 * and requests are put back: those of crawlers whose heartbeat is gone (only while this
 * crawler's own beats have been reaching Redis for `HEARTBEAT_TIMEOUT`: after an outage every
 * key may have expired at once), and those whose lease deadline passed.
 *
 * On abort it stops popping, lets in-flight pages finish (up to `DOWNLOAD_TIMEOUT`, then their
 * downloads are aborted), acknowledges what finished, returns what did not to the queues,
 * writes the stats and flushes Kafka.
 *
 * @module
 */

import { sleep } from "../../../lib/async/mod.ts";
import { logRedisFailure } from "../../../lib/services/mod.ts";
import {
  type Lease,
  popLeased,
  reclaimDeadHolders,
  reclaimExpiredLeases,
  returnLeases,
} from "../../../lib/frontier/mod.ts";
import type { CrawlContext } from "./context.ts";
import { processLease } from "./process.ts";
import { Slots } from "./slots.ts";
import { subscribeToWork } from "./work_signal.ts";
import { urlOf } from "./steps/decode.ts";

/** Runs until `signal` aborts; resolves once in-flight work is finished or handed back. */
export async function runLoop(ctx: CrawlContext, signal: AbortSignal): Promise<void> {
  const { log, settings: s } = ctx;
  const slots = new Slots(s.CONCURRENT_REQUESTS, s.CONCURRENT_REQUESTS_PER_DOMAIN);
  const inFlight = new Map<Lease, Promise<void>>();
  const leaseMs = s.LEASE_TIMEOUT * 1000;
  const maintenance = setInterval(
    () => maintain(ctx),
    Math.min(leaseMs / 4, (s.HEARTBEAT_TIMEOUT * 1000) / 3, 5_000),
  );
  // An idle crawler pops as soon as new work is announced, not at its next poll.
  subscribeToWork(
    ctx.redis,
    ctx.spiderid,
    {
      onWork: () => slots.wake(),
      onCookie: (key) => ctx.emptyJars.forget(key),
    },
    log,
    signal,
  );
  log.info("Crawler {spider} started", { spider: ctx.spiderid, id: ctx.holder.id });
  try {
    while (!signal.aborted) {
      if (ctx.holdings.due && !(await settle(ctx, inFlight))) {
        await sleep(1_000, signal);
        continue;
      }
      const pause = ctx.delivery.waitMs;
      if (pause > 0) {
        await sleep(pause, signal);
        continue;
      }
      const free = slots.free;
      if (free <= 0) {
        await slots.wait(signal);
        continue;
      }
      const popped: Awaited<ReturnType<typeof popLeased>> = { leases: [], dropped: [] };
      try {
        // The spider type's own queues, and the tagged families this crawler's tags cover.
        for (const family of ctx.families.order()) {
          const got = await popLeased(ctx.redis, ctx.layout, ctx.spiderid, {
            max: free - popped.leases.length,
            perDomain: s.CONCURRENT_REQUESTS_PER_DOMAIN,
            leaseMs,
            skipDomains: slots.fullDomains(),
            throttle: ctx.throttle.spec,
            holder: ctx.holder,
            family,
            rests: ctx.families.rests(family),
          });
          popped.leases.push(...got.leases);
          popped.dropped.push(...got.dropped);
          if (popped.leases.length >= free) break;
        }
      } catch (err) {
        // It may have run on the server all the same: settle this crawler's leases first.
        ctx.holdings.markDirty();
        logRedisFailure(ctx.log, ctx.redis, "Cannot pop requests (retrying): {error}", err);
        await sleep(1_000, signal);
        continue;
      }
      for (const d of popped.dropped) {
        log.info("Dropped a {reason} request", { reason: d.reason, data: d.member.slice(0, 300) });
        ctx.onDone({ kind: "dropped", url: urlOf(d.member), reason: d.reason });
      }
      if (popped.leases.length === 0) {
        ctx.metrics.throttleWait();
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
  // The slot counts downloads (Scrapy's CONCURRENT_REQUESTS): once the page is in and parsed,
  // its delivery (Kafka, Redis) goes on holding only the lease (see Slots.delivering).
  let slotHeld = true;
  let delivering = false;
  const task = processLease(ctx, lease, {
    downloaded: () => {
      delivering = slots.delivering(lease.domain);
      slotHeld = !delivering;
    },
  }).catch((err) => {
    // A bug: keep the lease (not retried in a tight loop); it expires and the request comes back.
    ctx.holdings.park(lease.id, Date.now() + ctx.settings.LEASE_TIMEOUT * 1000);
    ctx.log.error("Request failed unexpectedly; it will be retried: {error}", {
      error: err,
      url: urlOf(lease.member),
    });
  }).finally(() => {
    inFlight.delete(lease);
    if (delivering) slots.delivered();
    if (slotHeld) slots.release(lease.domain);
  });
  inFlight.set(lease, task);
}

/**
 * Settles this crawler's own leases against what it is working on (in flight, or finished and
 * waiting for its acknowledgement); false when Redis did not answer (tried again later).
 */
async function settle(ctx: CrawlContext, inFlight: Map<Lease, Promise<void>>): Promise<boolean> {
  const dirty = ctx.holdings.dirty;
  // Acknowledgements queued before the settlement reach Redis before it (one connection).
  await ctx.acks.drain();
  const working = [...[...inFlight.keys()].map((l) => l.id), ...ctx.acks.waiting];
  try {
    const { returned, acked } = await ctx.holdings.settle(
      ctx.redis,
      ctx.layout,
      ctx.spiderid,
      working,
      ctx.families.list,
    );
    if (returned > 0 || acked > 0) {
      ctx.log.warn("Settled this crawler's leases: {returned} put back, {acked} acknowledged", {
        returned,
        acked,
      });
    }
    return true;
  } catch (err) {
    if (dirty) {
      logRedisFailure(
        ctx.log,
        ctx.redis,
        "Cannot settle this crawler's leases (retrying): {error}",
        err,
      );
    }
    return !dirty; // a routine audit that failed does not hold up the pops
  }
}

/** Periodic work: stats written, requests of crawlers that died put back. */
async function maintain(ctx: CrawlContext): Promise<void> {
  await ctx.stats.flush(); // never rejects: a failed write is logged and kept
  try {
    await ctx.families.refresh(ctx.redis);
    const families = ctx.families.list;
    if (ctx.heartbeat.steadyForMs() >= ctx.settings.HEARTBEAT_TIMEOUT * 1000) {
      const dead = await reclaimDeadHolders(ctx.redis, ctx.layout, ctx.spiderid, ctx.holder.id, {
        families,
      });
      ctx.metrics.reclaimed(dead.returned);
      if (dead.holders.length > 0) {
        ctx.log.warn("Put back {n} request(s) of crawler(s) whose heartbeat stopped: {ids}", {
          n: dead.returned,
          ids: dead.holders.join(", "),
        });
      }
    }
    const back = await reclaimExpiredLeases(ctx.redis, ctx.layout, ctx.spiderid, { families });
    ctx.metrics.reclaimed(back);
    if (back > 0) ctx.log.warn("Put back {n} request(s) whose lease expired", { n: back });
  } catch (err) {
    logRedisFailure(ctx.log, ctx.redis, "Maintenance failed (will retry): {error}", err);
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
  const back = await returnLeases(ctx.redis, ctx.layout, ctx.spiderid, leases).catch(() => 0);
  if (back > 0) log.info("Returned {n} unfinished request(s) to the queues", { n: back });
  await ctx.stats.flush();
  await ctx.producer.flush();
}
