/**
 * The `memory` bench: Redis bytes per pending request with 1,000,000 queued (issue 15's target:
 * ≤ 400 B). A redis-server of its own (no persistence, nothing else in it) receives crawl
 * requests as the kafka-monitor stores them — validated with every schema default, stamped
 * with `ts`, recorded in their crawl's dupefilter — through the real `enqueueRequests`, a batch
 * of one crawl per call. URLs are realistic (https, a path of a few words, a query on some;
 * ~70 characters) over 1,000 registered domains and 10 crawls whose settings differ as real
 * crawls' do (priority, maxdepth, allowed_domains, attrs, a user agent, an expiry).
 *
 * `used_memory` is read before and after the fill; the split comes from deleting one kind of key
 * at a time and reading it again: the queue sorted sets (members and their scores), the
 * dupefilter sets (one fingerprint per request, kept after the pop for DUPEFILTER_TIMEOUT), then
 * the rest (the domain index, the per-domain backlog counters, the FIFO counter). Each format
 * runs on a fresh server: `compact` (the stored form since issue 15: no schema defaults, see
 * `lib/api/compact_request.ts`) and `full` (every default, as stored before it and by Scrapy
 * Cluster), the same requests in both.
 *
 * ```sh
 * deno task bench --only memory                 # 1,000,000 requests
 * deno run -A test/bench/memory_bench.ts 200000 # this part alone, fewer requests
 * ```
 *
 * @module
 */

import { Redis } from "ioredis";
import { encodeRequest } from "../../lib/api/mod.ts";
import {
  dupefilterKey,
  type EnqueueCrawl,
  type EnqueueEntry,
  enqueueRequests,
  type FrontierLayout,
  openFrontierLayout,
} from "../../lib/frontier/mod.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { registeredDomain, requestFingerprint } from "../../lib/web/mod.ts";
import { crawlRequest } from "../requests.ts";

const SPIDER = "link";

/** The workload. */
export interface MemoryWorkload {
  /** Pending requests filled. */
  requests: number;
  /** Registered domains they spread over. */
  domains: number;
  /** Crawls they belong to. */
  crawls: number;
  /** Requests of one crawl per enqueue call. */
  batch: number;
}

export const MEMORY_WORKLOAD: MemoryWorkload = {
  requests: 1_000_000,
  domains: 1_000,
  crawls: 10,
  batch: 500,
};

/** Issue 15's target, bytes per pending request (reported, never enforced). */
export const MEMORY_TARGET_BYTES = 400;

/** The figures of one stored format. */
export interface MemoryRun {
  format: "compact" | "full";
  /** Average length of a stored member (bytes of JSON). */
  memberBytes: number;
  /** Growth of `used_memory` per pending request, every key of the frontier. */
  bytesPerPending: number;
  /** Of which the queue sorted sets (members, scores, their entries), per request. */
  queueBytes: number;
  /** Of which the dupefilter sets, per request. */
  dupefilterBytes: number;
  /** Of which the domain index, backlog counters and FIFO counter, per request. */
  indexAndCounterBytes: number;
  /** Seconds the fill took (client and server on this machine). */
  fillSec: number;
}

/** Every figure of {@linkcode memoryBench}. */
export interface MemoryFigures {
  workload: MemoryWorkload;
  redisVersion: string;
  /** `bytesPerPending` of the stored form in use (compact). */
  bytesPerPending: number;
  target: number;
  runs: MemoryRun[];
}

/** A small deterministic generator (mulberry32), so both formats store the same requests. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "news",
  "shop",
  "blog",
  "products",
  "category",
  "article",
  "review",
  "winter-sale",
  "garden",
  "kitchen",
  "outdoor",
  "electronics",
  "about",
  "support",
  "2025",
  "local",
  "world",
  "sports",
];
const TLDS = ["com", "com", "com", "org", "net", "de", "co.uk", "fr", "io"];

/** The registered domain of domain number `d` and the host its pages are on. */
function domainOf(d: number): { domain: string; host: string } {
  const domain = `${WORDS[d % WORDS.length]}-site${d}.${TLDS[d % TLDS.length]}`;
  return { domain, host: d % 3 === 0 ? domain : `www.${domain}` };
}

/** A page URL of host `host`: a path of 1–3 words and a slug, a query on one in four. */
function urlOf(host: string, n: number, rnd: () => number): string {
  const pick = () => WORDS[Math.floor(rnd() * WORDS.length)];
  const dirs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, pick).join("/");
  const query = rnd() < 0.25 ? `?page=${1 + Math.floor(rnd() * 20)}&sort=price` : "";
  return `https://${host}/${dirs}/${pick()}-${n}.html${query}`;
}

/** The 10 (or `crawls`) crawls' own fields: as different as real crawls are. */
function crawlFields(c: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    appid: ["shopwatch", "newsdesk", "seo-audit", "archive"][c % 4],
    crawlid: `crawl-${(0x5f3a0 + c * 7919).toString(16)}`,
  };
  if (c % 2 === 1) fields.priority = 5 + c;
  if (c % 3 !== 0) fields.maxdepth = 1 + (c % 3);
  if (c % 5 === 1) fields.allowed_domains = ["example.com"];
  if (c % 5 === 2) fields.attrs = { customer: `cust-${c}` };
  if (c % 7 === 3) fields.useragent = "Mozilla/5.0 (compatible; ShopWatchBot/2.1)";
  if (c % 4 === 0) fields.expires = 1_900_000_000 + c;
  return fields;
}

/** One enqueue call's entries and crawl: requests `from`..`from + n` of crawl `c`. */
function batchOf(
  w: MemoryWorkload,
  c: number,
  from: number,
  n: number,
  format: MemoryRun["format"],
  rnd: () => number,
): { crawl: EnqueueCrawl; entries: EnqueueEntry[]; memberBytes: number } {
  const fields = crawlFields(c);
  const entries: EnqueueEntry[] = [];
  const utf8 = new TextEncoder();
  let memberBytes = 0;
  for (let i = from; i < from + n; i++) {
    const { host } = domainOf(Math.floor(rnd() * w.domains));
    const url = urlOf(host, i, rnd);
    // As the kafka-monitor stores a request: validated, every default, stamped on arrival.
    const req = { ...crawlRequest({ ...fields, url }), ts: 1764482400 + i / 1000 };
    const member = format === "compact" ? encodeRequest(req) : JSON.stringify(req);
    memberBytes += utf8.encode(member).length;
    entries.push({
      fingerprint: requestFingerprint({ url }),
      spiderid: SPIDER,
      domain: registeredDomain(url)!,
      priority: req.priority,
      member,
    });
  }
  const crawl: EnqueueCrawl = {
    spiderid: SPIDER,
    appid: String(fields.appid),
    crawlid: String(fields.crawlid),
    expires: 0,
    dupefilterTtlSec: 3600,
  };
  return { crawl, entries, memberBytes };
}

/** Fills the workload, 4 enqueue calls in flight; resolves with the total member bytes. */
async function fill(
  redis: Redis,
  layout: FrontierLayout,
  w: MemoryWorkload,
  format: MemoryRun["format"],
): Promise<number> {
  const rnd = random(15);
  let memberBytes = 0;
  const calls: Promise<unknown>[] = [];
  for (let from = 0, b = 0; from < w.requests; from += w.batch, b++) {
    const batch = batchOf(w, b % w.crawls, from, Math.min(w.batch, w.requests - from), format, rnd);
    memberBytes += batch.memberBytes;
    calls.push(enqueueRequests(redis, layout, batch.crawl, batch.entries));
    if (calls.length >= 4) await Promise.all(calls.splice(0));
  }
  await Promise.all(calls);
  return memberBytes;
}

async function usedMemory(redis: Redis): Promise<number> {
  const m = /^used_memory:(\d+)/m.exec(await redis.info("memory"));
  if (!m) throw new Error("INFO memory has no used_memory");
  return Number(m[1]);
}

async function allKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  return keys;
}

/** Deletes every key `match` selects (DEL, not UNLINK: freed before it answers). */
async function deleteKeys(redis: Redis, match: (key: string) => boolean): Promise<void> {
  const keys = (await allKeys(redis)).filter(match);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** One format on a fresh server. */
async function measure(
  w: MemoryWorkload,
  format: MemoryRun["format"],
  dir: string,
  say: (line: string) => void,
): Promise<MemoryRun & { redisVersion: string }> {
  const port = freePort();
  // No persistence; DEL frees at once (lazyfree off), so used_memory after a DEL is exact.
  const server = await startRedis(port, `${dir}/${format}`, {
    extraArgs: ["--lazyfree-lazy-user-del", "no", "--maxmemory", "0"],
  });
  const redis = new Redis(port, "127.0.0.1", { lazyConnect: true });
  try {
    await redis.connect();
    const redisVersion = /^redis_version:(\S+)/m.exec(await redis.info("server"))?.[1] ?? "?";
    const layout = await openFrontierLayout(redis, 0);
    const before = new Set(await allKeys(redis));
    // One request first, then deleted: the script cache is not a request's cost.
    const warm = batchOf(w, 0, 0, 1, format, random(1));
    await enqueueRequests(redis, layout, warm.crawl, warm.entries);
    await deleteKeys(redis, (k) => !before.has(k));
    const mem0 = await usedMemory(redis);
    say(`memory (${format}): filling ${w.requests} requests over ${w.domains} domains`);
    const t0 = performance.now();
    const memberBytes = await fill(redis, layout, w, format);
    const fillSec = (performance.now() - t0) / 1000;
    const queued = Number(
      await redis.eval(
        "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do " +
          "n = n + redis.call('ZCARD', k) end return n",
        0,
        `${SPIDER}:*:queue`,
      ),
    );
    if (queued !== w.requests) throw new Error(`memory: ${queued} of ${w.requests} queued`);
    const mem1 = await usedMemory(redis);
    const dupefilters = new Set(
      Array.from(
        { length: w.crawls },
        (_, c) => dupefilterKey(SPIDER, String(crawlFields(c).crawlid)),
      ),
    );
    await deleteKeys(redis, (k) => dupefilters.has(k));
    const mem2 = await usedMemory(redis);
    await deleteKeys(redis, (k) => k.startsWith(`${SPIDER}:`) && k.endsWith(":queue"));
    const mem3 = await usedMemory(redis);
    await deleteKeys(redis, (k) => !before.has(k));
    const mem4 = await usedMemory(redis);
    const per = (bytes: number) => bytes / w.requests;
    return {
      format,
      redisVersion,
      memberBytes: memberBytes / w.requests,
      bytesPerPending: per(mem1 - mem0),
      queueBytes: per(mem2 - mem3),
      dupefilterBytes: per(mem1 - mem2),
      indexAndCounterBytes: per(mem3 - mem4),
      fillSec,
    };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** Runs both formats, each on a redis-server started here. */
export async function memoryBench(
  opts: { workload?: Partial<MemoryWorkload>; say?: (line: string) => void } = {},
): Promise<MemoryFigures> {
  const say = opts.say ?? (() => {});
  const w = { ...MEMORY_WORKLOAD, ...opts.workload };
  const dir = await Deno.makeTempDir({ prefix: "crawl-bench-memory-" });
  try {
    const runs: MemoryRun[] = [];
    let redisVersion = "?";
    for (const format of ["compact", "full"] as const) {
      const { redisVersion: version, ...run } = await measure(w, format, dir, say);
      redisVersion = version;
      runs.push(run);
    }
    return {
      workload: w,
      redisVersion,
      bytesPerPending: runs[0].bytesPerPending,
      target: MEMORY_TARGET_BYTES,
      runs,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The report table. */
export function formatMemory(f: MemoryFigures): string {
  const w = f.workload;
  const head = ["stored form", "member B", "B/request", "queues", "dupefilter", "index+counters"];
  const rows = f.runs.map((r) => [
    r.format === "compact" ? "compact (now)" : "full (before)",
    r.memberBytes.toFixed(0),
    r.bytesPerPending.toFixed(0),
    r.queueBytes.toFixed(0),
    r.dupefilterBytes.toFixed(0),
    r.indexAndCounterBytes.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  const met = f.bytesPerPending <= f.target ? "met" : "MISSED";
  return [
    `memory: ${w.requests} pending requests over ${w.domains} domains and ${w.crawls} crawls, ` +
    `Redis ${f.redisVersion} (its own server, no persistence); bytes per request of used_memory`,
    line(head),
    widths.map((n) => "-".repeat(n)).join("  "),
    ...rows.map(line),
    `target ≤ ${f.target} B per pending request: ${met} (${f.bytesPerPending.toFixed(0)} B)`,
  ].join("\n");
}

if (import.meta.main) {
  const requests = Number(Deno.args[0]) || MEMORY_WORKLOAD.requests;
  const figures = await memoryBench({
    workload: { requests },
    say: (l) => console.error(`[bench] ${l}`),
  });
  console.log(formatMemory(figures));
  console.log(JSON.stringify({ bench: "memory", ...figures }));
}
