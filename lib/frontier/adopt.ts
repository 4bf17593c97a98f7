/**
 * Adopting queues others wrote: Scrapy Cluster's kafka-monitor and scheduler (or any script)
 * write requests straight into `<spiderid>:<domain>:queue` with score `-priority`, never touch
 * our index or counters, and Scrapy Cluster's crawlers pop ours without updating them. A
 * periodic, incremental sweep (the redis-monitor's, every `QUEUE_SCAN_INTERVAL`; and
 * `deno task migrate`) SCANs the queue keys and runs `lua/queue_adopt.lua` on each: foreign
 * requests get our score for their priority (FIFO order kept) and are counted, the domain joins
 * the index, and counters that drifted from their queue are rebuilt. Until the sweep reaches a
 * foreign request, pops already read its priority from its score and leave the counters alone.
 *
 * @module
 */

import { scanKeys } from "../services/redis.ts";
import type { RedisClient } from "../services/redis.ts";
import { parseQueueKey } from "./keys.ts";
import type { FrontierLayout, FrontierShard } from "./layout.ts";
import { scripts } from "./scripts.ts";

/** Options of {@linkcode adoptQueues}. */
export interface AdoptOptions {
  /** At most this many requests rescored per script call (bounds Redis latency). @default 1000 */
  chunk?: number;
  /** Counters are checked (and rebuilt) for queues of at most this many requests. @default 10000 */
  recountMax?: number;
  /** Count what would change, change nothing. */
  dryRun?: boolean;
  /** Called after each queue (progress). */
  onQueue?: (queue: QueueAdoption) => void;
  /** Stops the sweep between two queues. */
  signal?: AbortSignal;
}

/** What adoption did to one queue. */
export interface QueueAdoption {
  readonly spiderid: string;
  readonly domain: string;
  /** Foreign requests rescored and counted (dry run: that would be). */
  readonly rescored: number;
  /** Requests in the queue now. */
  readonly size: number;
  /** Whether its counters were rebuilt from the queue. */
  readonly repaired: boolean;
}

/** Totals of one sweep. */
export interface AdoptSummary {
  queues: number;
  rescored: number;
  repaired: number;
  /** Queue keys of another layout (e.g. untagged on a sharded frontier): left alone. */
  misplaced: number;
}

/** Adopts one queue (all its foreign requests, chunk by chunk). */
export async function adoptQueue(
  redis: RedisClient,
  shard: FrontierShard,
  spiderid: string,
  domain: string,
  opts: AdoptOptions = {},
): Promise<QueueAdoption> {
  const run = scripts<number[]>(redis);
  let rescored = 0;
  for (;;) {
    const [done, left, size, repaired] = await run.queue_adopt(
      shard.queue(spiderid, domain),
      shard.backlog(spiderid, domain),
      shard.index(spiderid),
      shard.seq(spiderid),
      domain,
      opts.chunk ?? 1000,
      opts.recountMax ?? 10_000,
      opts.dryRun ? "1" : "0",
    );
    rescored += done;
    if (opts.dryRun) return { spiderid, domain, rescored: rescored + left, size, repaired: false };
    if (left === 0 || done === 0) {
      return { spiderid, domain, rescored, size, repaired: repaired === 1 };
    }
  }
}

/** Sweeps every queue key of the frontier once (every master of a cluster). */
export async function adoptQueues(
  redis: RedisClient,
  layout: FrontierLayout,
  opts: AdoptOptions = {},
): Promise<AdoptSummary> {
  const summary: AdoptSummary = { queues: 0, rescored: 0, repaired: 0, misplaced: 0 };
  for await (const keys of scanKeys(redis, "*:queue")) {
    for (const key of keys) {
      if (opts.signal?.aborted) return summary;
      const untagged = layout.untag(key);
      const parsed = untagged && parseQueueKey(untagged.name);
      if (!untagged || !parsed) continue;
      if (layout.of(parsed.domain) !== untagged.shard) {
        summary.misplaced++;
        continue;
      }
      const result = await adoptQueue(redis, untagged.shard, parsed.spiderid, parsed.domain, opts);
      summary.queues++;
      summary.rescored += result.rescored;
      if (result.repaired) summary.repaired++;
      opts.onQueue?.(result);
    }
  }
  return summary;
}
