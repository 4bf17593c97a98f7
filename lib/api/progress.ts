/**
 * How far a crawl got, for the dashboard (`components/rest/ui_*`) and `feed --watch`: pages
 * done and errors from the per-crawl counters the crawlers keep (`progress_recorder.ts` writes
 * them), requests refused from the refusal counters (`backlog:<spiderid>:<appid>:refused`),
 * and what is pending from the frontier's backlog counters (`lib/frontier/backlog.ts`). Nothing
 * here reads a queue or scans the key space: one HGETALL per hash, one per pending domain.
 *
 * | key | type | what |
 * |---|---|---|
 * | `progress:<spiderid>:<appid>` | hash: `<crawlid>\tdone` / `<crawlid>\terrors` → count | downloads of the crawl: `done` got a response below 400, `errors` got none or 400 and up (each retry is a download); TTL `DUPEFILTER_TIMEOUT`, renewed by each write |
 *
 * The rate is not stored: it comes from two readings (pass the previous one, or keep a
 * {@linkcode RateMeter}), so a poller computes it for itself.
 *
 * @example
 * ```ts ignore
 * const layout = await openFrontierLayout(redis);
 * let last = await crawlProgress(redis, layout, "link", "testapp", "abc123");
 * // … a second later:
 * last = await crawlProgress(redis, layout, "link", "testapp", "abc123", last);
 * console.log(`${last.done} done, ${last.pending} pending, ${last.ratePerSec.toFixed(1)}/s`);
 * ```
 *
 * @module
 */

import { readBacklog } from "../frontier/backlog.ts";
import { refusedKey } from "../frontier/keys.ts";
import type { FrontierLayout } from "../frontier/layout.ts";
import type { RedisClient } from "../services/redis.ts";

/** The outcomes counted per crawl. */
export type ProgressOutcome = "done" | "errors";

/** The hash of an application's per-crawl counters. */
export function progressKey(spiderid: string, appid: string): string {
  return `progress:${spiderid}:${appid}`;
}

/** The field of {@linkcode progressKey} for one crawl and outcome. */
export function progressField(crawlid: string, outcome: ProgressOutcome): string {
  return `${crawlid}\t${outcome}`;
}

/** The counters of one crawl at one moment. */
export interface CrawlProgress {
  /** Downloads that got a response below 400. */
  readonly done: number;
  /** Downloads that got no response, or 400 and up. */
  readonly errors: number;
  /** Requests the network guard or robots.txt refused. */
  readonly refused: number;
  /** Requests queued and not yet taken by a crawler. */
  readonly pending: number;
  /** Pages done per second since the previous reading (0 without one). */
  readonly ratePerSec: number;
  /** When this was read, epoch milliseconds. */
  readonly at: number;
}

/** Per crawl id: done and errors, from an application's progress hash. */
export function parseProgress(
  hash: Readonly<Record<string, string>>,
): Map<string, { done: number; errors: number }> {
  const out = new Map<string, { done: number; errors: number }>();
  for (const [field, value] of Object.entries(hash)) {
    const tab = field.lastIndexOf("\t");
    const outcome = field.slice(tab + 1);
    if (tab <= 0 || (outcome !== "done" && outcome !== "errors")) continue;
    const crawlid = field.slice(0, tab);
    const entry = out.get(crawlid) ?? { done: 0, errors: 0 };
    entry[outcome] += Number(value) || 0;
    out.set(crawlid, entry);
  }
  return out;
}

/** Per crawl id: refusals summed over reasons, from an application's refusal hash. */
export function parseRefused(hash: Readonly<Record<string, string>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [field, value] of Object.entries(hash)) {
    const crawlid = field.slice(0, field.lastIndexOf("\t"));
    if (crawlid !== "") out.set(crawlid, (out.get(crawlid) ?? 0) + (Number(value) || 0));
  }
  return out;
}

/**
 * The progress of one crawl. With `previous` (an earlier reading of the same crawl) the rate
 * is the pages done between the two per second.
 */
export async function crawlProgress(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  appid: string,
  crawlid: string,
  previous?: CrawlProgress,
  now: () => number = Date.now,
): Promise<CrawlProgress> {
  const [counts, refusals, backlog] = await Promise.all([
    redis.hmget(
      progressKey(spiderid, appid),
      progressField(crawlid, "done"),
      progressField(crawlid, "errors"),
    ),
    redis.hgetall(refusedKey(spiderid, appid)),
    readBacklog(redis, layout, spiderid, appid, crawlid),
  ]);
  const at = now();
  const done = Number(counts[0] ?? 0) || 0;
  return {
    done,
    errors: Number(counts[1] ?? 0) || 0,
    refused: parseRefused(refusals).get(crawlid) ?? 0,
    pending: backlog.reduce((sum, entry) => sum + entry.count, 0),
    ratePerSec: previous ? rateBetween(previous.done, previous.at, done, at) : 0,
    at,
  };
}

/** Events per second from `a` at `aMs` to `b` at `bMs`; 0 when no time passed or it fell. */
export function rateBetween(a: number, aMs: number, b: number, bMs: number): number {
  return bMs > aMs && b > a ? ((b - a) * 1000) / (bMs - aMs) : 0;
}

/**
 * Rates of many counters from readings taken now and then: each rate is the change over the
 * readings of the last `windowMs` (default 10 s), so a counter written every few seconds gives
 * a steady rate rather than bursts and zeros. Counters not read for two windows are forgotten.
 */
export class RateMeter {
  readonly #windowMs: number;
  readonly #samples = new Map<string, { at: number; value: number }[]>();

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs;
  }

  /** Records `value` of counter `name` at `at` and gives its rate per second. */
  observe(name: string, value: number, at: number): number {
    const samples = this.#samples.get(name) ?? [];
    samples.push({ at, value });
    // Keep one sample at or before the window's start: the rate spans the whole window.
    while (samples.length > 2 && samples[1].at <= at - this.#windowMs) samples.shift();
    this.#samples.set(name, samples);
    const first = samples[0];
    return rateBetween(first.value, first.at, value, at);
  }

  /** Forgets counters last read before `at − 2 windows`. */
  prune(at: number): void {
    for (const [name, samples] of this.#samples) {
      if (samples[samples.length - 1].at < at - 2 * this.#windowMs) this.#samples.delete(name);
    }
  }
}
