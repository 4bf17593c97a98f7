/**
 * What the dashboard (`/ui/`) shows, read from Redis at most once a second however many pages
 * are open: crawls in progress (pages done, errors, refused, pending, pages/s), the backlog of
 * each spider type with its top domains, live nodes (heartbeats, tags, pages/s), and the recent
 * failed downloads.
 *
 * Reads are cheap by construction: the frontier's indexes and backlog counters (one HGETALL per
 * pending domain, never a queue), the per-crawl progress and refusal hashes (one per
 * application), the heartbeat keys (GET each) and each crawler's smallest-window status
 * counters (HGETALL each). Which keys exist — heartbeats, spider types, crawler counters — is
 * learnt by a SCAN of `stats:*` and of `*:queue_index` at most every `discoveryMs` (10 s), not
 * per request. A crawl stays listed for `keepIdleMs` (5 min) after its last pending request
 * went, so a finished or stopped crawl shows its final counts.
 *
 * @module
 */

import { queueIndexKey, refusedKey } from "../../lib/frontier/keys.ts";
import { familiesOf } from "../../lib/frontier/families.ts";
import { type FrontierLayout, openFrontierLayout } from "../../lib/frontier/layout.ts";
import { parseProgress, parseRefused, progressKey, RateMeter } from "../../lib/api/progress.ts";
import { RECENT_FAILURES_KEY, type RecentFailure } from "../../lib/api/progress_recorder.ts";
import type { RedisClient } from "../../lib/services/redis.ts";
import { getKeys } from "../../lib/services/redis_batch.ts";
import { scanKeys } from "../../lib/stats/reader.ts";

/** One crawl's row. */
export interface CrawlRow {
  spiderid: string;
  appid: string;
  crawlid: string;
  done: number;
  errors: number;
  refused: number;
  pending: number;
  ratePerSec: number;
}

/** One spider type's backlog. */
export interface SpiderRow {
  spiderid: string;
  backlog: number;
  domains: number;
  /** The domains with the most pending requests, most first (up to 10). */
  top: { domain: string; backlog: number }[];
  /** Live crawlers of this type. */
  crawlers: number;
}

/** One live process. */
export interface NodeRow {
  component: string;
  host: string;
  id: string;
  /** Crawlers only. */
  spiderid?: string;
  /** Seconds since its last heartbeat. */
  beatAgeSec: number | null;
  tags: string[];
  /** Crawlers: responses per second over about the last minute. */
  pagesPerSec?: number;
}

/** The dashboard's data. */
export interface DashboardSnapshot {
  /** When it was read, epoch milliseconds. */
  time: number;
  crawls: CrawlRow[];
  spiders: SpiderRow[];
  nodes: NodeRow[];
  failures: RecentFailure[];
}

/** Options of {@linkcode DashboardState}. */
export interface DashboardStateOptions {
  /** @default {1000} how long one reading serves every request */
  cacheMs?: number;
  /** @default {10_000} how often the key space is scanned for heartbeats and spider types */
  discoveryMs?: number;
  /** @default {300_000} how long a crawl without pending requests stays listed */
  keepIdleMs?: number;
  /** @default {Date.now} */
  now?: () => number;
}

/** A heartbeat key found by discovery. */
interface _Beat {
  key: string;
  component: string;
  host: string;
  id: string;
  spiderid?: string;
}

/** What discovery found. */
interface _Discovered {
  at: number;
  /** A live crawler has no status counters yet: look again soon. */
  incomplete: boolean;
  beats: _Beat[];
  spiders: string[];
  /** The smallest-window status counter of each crawler host, spider type and code. */
  counters: string[];
}

/** The reader behind `GET /ui/api/state`. */
export class DashboardState {
  readonly #redis: RedisClient;
  readonly #cacheMs: number;
  readonly #discoveryMs: number;
  readonly #keepIdleMs: number;
  readonly #now: () => number;
  readonly #rates = new RateMeter();
  #layout: FrontierLayout | null = null;
  #discovered: _Discovered | null = null;
  /** `spiderid\tappid\tcrawlid` → when it last had pending requests (or was first seen). */
  readonly #crawls = new Map<string, number>();
  #last: { at: number; snapshot: Promise<DashboardSnapshot> } | null = null;

  constructor(redis: RedisClient, opts: DashboardStateOptions = {}) {
    this.#redis = redis;
    this.#cacheMs = opts.cacheMs ?? 1000;
    this.#discoveryMs = opts.discoveryMs ?? 10_000;
    this.#keepIdleMs = opts.keepIdleMs ?? 300_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The current snapshot: one Redis reading per `cacheMs`, shared by concurrent callers. */
  read(): Promise<DashboardSnapshot> {
    const now = this.#now();
    if (this.#last !== null && now - this.#last.at < this.#cacheMs) return this.#last.snapshot;
    const snapshot = this.#read(now);
    this.#last = { at: now, snapshot };
    // A failed reading is not kept: the next request tries again.
    snapshot.catch(() => {
      if (this.#last?.snapshot === snapshot) this.#last = null;
    });
    return snapshot;
  }

  async #read(now: number): Promise<DashboardSnapshot> {
    const found = await this.#discover(now);
    this.#layout ??= await openFrontierLayout(this.#redis);
    const backlog = await Promise.all(found.spiders.map((id) => this.#spiderBacklog(id)));
    for (const { pending } of backlog) {
      for (const [crawl, n] of pending) if (n > 0) this.#crawls.set(crawl, now);
    }
    for (const [crawl, seen] of this.#crawls) {
      if (now - seen > this.#keepIdleMs) this.#crawls.delete(crawl);
    }
    const [crawls, nodes, failures] = await Promise.all([
      this.#crawlRows(backlog.map((b) => b.pending), now),
      this.#nodeRows(found.beats, found.counters, now),
      this.#redis.lrange(RECENT_FAILURES_KEY, 0, 19),
    ]);
    this.#rates.prune(now);
    const crawlers = (id: string) => nodes.filter((n) => n.spiderid === id).length;
    return {
      time: now,
      crawls,
      spiders: backlog.map((b) => ({ ...b.row, crawlers: crawlers(b.row.spiderid) }))
        .filter((s) => s.backlog > 0 || s.crawlers > 0),
      nodes,
      failures: failures.flatMap((json) => {
        try {
          return [JSON.parse(json) as RecentFailure];
        } catch {
          return [];
        }
      }),
    };
  }

  /** Heartbeat keys, spider types and crawler counters, by SCAN at most every `discoveryMs`. */
  async #discover(now: number): Promise<_Discovered> {
    const found = this.#discovered;
    // Sooner while a crawler's counters are not known yet (a crawler that just started).
    const every = found?.incomplete ? Math.min(2_000, this.#discoveryMs) : this.#discoveryMs;
    if (found !== null && now - found.at < every) return found;
    const [statsKeys, indexKeys] = await Promise.all([
      scanKeys(this.#redis, "stats:*"),
      scanKeys(this.#redis, `*${queueIndexKey("*")}`),
    ]);
    this.#layout ??= await openFrontierLayout(this.#redis);
    const beats: _Beat[] = [];
    const spiders = new Set<string>();
    // Per crawler (host, spider, status code): its smallest window's key.
    const counters = new Map<string, { key: string; window: number }>();
    for (const key of statsKeys) {
      const parts = key.split(":");
      if (parts[2] === "self" && parts.length === 5) {
        beats.push({ key, component: parts[1], host: parts[3], id: parts[4] });
      } else if (parts[1] === "crawler" && parts.length === 5) {
        beats.push({ key, component: "crawler", host: parts[2], spiderid: parts[3], id: parts[4] });
        spiders.add(parts[3]);
      } else if (parts[1] === "crawler" && parts.length === 6 && /^\d{3}$/.test(parts[4])) {
        const window = Number(parts[5]);
        if (!(window > 0)) continue;
        const name = parts.slice(2, 5).join(":");
        const known = counters.get(name);
        if (known === undefined || window < known.window) counters.set(name, { key, window });
      }
    }
    for (const key of indexKeys) {
      const name = this.#layout.untag(key)?.name ?? "";
      const id = name.slice(0, -":queue_index".length);
      // Tagged families (`link@gpu`) are read through their spider type.
      if (name.endsWith(":queue_index") && id !== "" && !id.includes(":") && !id.includes("@")) {
        spiders.add(id);
      }
    }
    beats.sort((a, b) =>
      `${a.component}${a.host}${a.id}`.localeCompare(`${b.component}${b.host}${b.id}`)
    );
    const counted = new Set([...counters.keys()].map((name) => name.split(":", 2).join(":")));
    this.#discovered = {
      at: now,
      incomplete: beats.some((b) => b.spiderid && !counted.has(`${b.host}:${b.spiderid}`)),
      beats,
      spiders: [...spiders].sort(),
      counters: [...counters.values()].map((c) => c.key),
    };
    return this.#discovered;
  }

  /** A spider type's backlog per domain and per crawl, from the frontier's counters. */
  async #spiderBacklog(spiderid: string) {
    const layout = this.#layout!;
    const families = await familiesOf(this.#redis, spiderid);
    const places = families.flatMap((family) => layout.shards.map((shard) => ({ shard, family })));
    const perDomain = new Map<string, number>();
    const pending = new Map<string, number>();
    await Promise.all(places.map(async ({ shard, family }) => {
      const domains = await this.#redis.zrange(shard.index(family), "0", "-1");
      const hashes = await Promise.all(
        domains.map((d) => this.#redis.hgetall(shard.backlog(family, d))),
      );
      hashes.forEach((counts, i) => {
        for (const [field, value] of Object.entries(counts)) {
          const [appid, crawlid] = field.split("\t");
          const n = Number(value) || 0;
          if (n <= 0 || crawlid === undefined) continue;
          perDomain.set(domains[i], (perDomain.get(domains[i]) ?? 0) + n);
          const crawl = `${spiderid}\t${appid}\t${crawlid}`;
          pending.set(crawl, (pending.get(crawl) ?? 0) + n);
        }
      });
    }));
    const top = [...perDomain].map(([domain, backlog]) => ({ domain, backlog }))
      .sort((a, b) => b.backlog - a.backlog || a.domain.localeCompare(b.domain));
    const row = {
      spiderid,
      backlog: top.reduce((sum, d) => sum + d.backlog, 0),
      domains: top.length,
      top: top.slice(0, 10),
    };
    return { row, pending };
  }

  /** The listed crawls with their counters: one HGETALL of each application's two hashes. */
  async #crawlRows(pendingBySpider: Map<string, number>[], now: number): Promise<CrawlRow[]> {
    const pending = new Map(pendingBySpider.flatMap((m) => [...m]));
    const crawls = [...this.#crawls.keys()].map((c) => c.split("\t"));
    const apps = [...new Set(crawls.map(([s, a]) => `${s}\t${a}`))].map((sa) => sa.split("\t"));
    const hashes = await Promise.all(apps.map(async ([spiderid, appid]) => {
      const [progress, refused] = await Promise.all([
        this.#redis.hgetall(progressKey(spiderid, appid)),
        this.#redis.hgetall(refusedKey(spiderid, appid)),
      ]);
      return [`${spiderid}\t${appid}`, {
        progress: parseProgress(progress),
        refused: parseRefused(refused),
      }] as const;
    }));
    const byApp = new Map(hashes);
    return crawls.map(([spiderid, appid, crawlid]) => {
      const app = byApp.get(`${spiderid}\t${appid}`);
      const counts = app?.progress.get(crawlid) ?? { done: 0, errors: 0 };
      const key = `${spiderid}\t${appid}\t${crawlid}`;
      return {
        spiderid,
        appid,
        crawlid,
        done: counts.done,
        errors: counts.errors,
        refused: app?.refused.get(crawlid) ?? 0,
        pending: pending.get(key) ?? 0,
        ratePerSec: this.#rates.observe(key, counts.done, now),
      };
    }).sort((a, b) => b.pending - a.pending || a.crawlid.localeCompare(b.crawlid));
  }

  /** Live processes: heartbeat values (age, tags) and crawlers' recent responses per second. */
  async #nodeRows(beats: _Beat[], counterKeys: string[], now: number): Promise<NodeRow[]> {
    const [values, counters] = await Promise.all([
      getKeys(this.#redis, beats.map((b) => b.key)),
      Promise.all(counterKeys.map((key) => this.#redis.hgetall(key))),
    ]);
    // Responses per host and spider over the last minute, from the buckets' start times.
    const perCrawler = new Map<string, number>();
    const nowSec = now / 1000;
    counterKeys.forEach((key, i) => {
      const [, , host, spiderid] = key.split(":");
      const rate = _recentRate(counters[i], nowSec, 60);
      const name = `${host}:${spiderid}`;
      perCrawler.set(name, (perCrawler.get(name) ?? 0) + rate);
    });
    const rows: NodeRow[] = [];
    beats.forEach((beat, i) => {
      const value = values[i];
      if (value === null) return; // gone since discovery
      const { time, tags } = _beatValue(value);
      const row: NodeRow = {
        component: beat.component,
        host: beat.host,
        id: beat.id,
        beatAgeSec: time === null ? null : Math.max(0, Math.round(nowSec - time)),
        tags,
      };
      if (beat.spiderid !== undefined) {
        row.spiderid = beat.spiderid;
        // Counters are per host and spider type: crawlers sharing both share the rate.
        const peers = beats.filter((b) => b.host === beat.host && b.spiderid === beat.spiderid);
        row.pagesPerSec = (perCrawler.get(`${beat.host}:${beat.spiderid}`) ?? 0) / peers.length;
      }
      rows.push(row);
    });
    return rows;
  }
}

/**
 * Events per second in a window-bucket hash (field = bucket start, epoch seconds) over about
 * the last `spanSec`: the buckets starting within it, divided by the time since the first.
 */
function _recentRate(hash: Record<string, string>, nowSec: number, spanSec: number): number {
  let sum = 0;
  let first = Infinity;
  for (const [field, value] of Object.entries(hash)) {
    const start = Number(field);
    if (!(start >= nowSec - spanSec) || start > nowSec) continue;
    sum += Number(value) || 0;
    first = Math.min(first, start);
  }
  const elapsed = nowSec - first;
  return sum > 0 && elapsed > 0 ? sum / Math.max(elapsed, 1) : 0;
}

/** A heartbeat's time and tags: epoch seconds, or `{"time", "tags"}` JSON. */
function _beatValue(value: string): { time: number | null; tags: string[] } {
  if (value.startsWith("{")) {
    try {
      const parsed = JSON.parse(value);
      const tags = Array.isArray(parsed.tags) ? parsed.tags.map(String) : [];
      return { time: Number(parsed.time) || null, tags };
    } catch {
      return { time: null, tags: [] };
    }
  }
  return { time: Number(value) || null, tags: [] };
}
