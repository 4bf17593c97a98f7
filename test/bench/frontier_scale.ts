/**
 * The frontier's scale figure: throttled, leased pops per second on a plain Redis (1 shard) and
 * on a 3-master Redis Cluster (16 shards), the same workload on both, each started here with the
 * same persistence (append-only file, fsync every second), so the figures are of the frontier
 * alone. The workload is the crawler's: many domains, several poppers (each with its own
 * connection, as crawler processes have), each pop taking up to a crawler's free slots under the
 * default throttle style (moderated, per spider type and IP) and a lease naming its holder, and
 * acknowledging what it took. It also reports the Redis CPU time per pop (INFO cpu, every
 * master), the bench process's CPU (so the bottleneck shows: client or Redis), and the memory
 * one pending request takes (INFO memory used_memory before and after the fill, every master).
 *
 * @module
 */

import { Redis } from "ioredis";
import {
  ackLeases,
  type EnqueueEntry,
  enqueueRequests,
  type FrontierLayout,
  openFrontierLayout,
  popLeased,
  type ThrottleSpec,
} from "../../lib/frontier/mod.ts";
import {
  closeRedis,
  connectRedis,
  isRedisCluster,
  type RedisClient,
} from "../../lib/services/redis.ts";
import { startRedisCluster } from "../../lib/services/local/redis_cluster.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { requestFingerprint } from "../../lib/web/url.ts";
import { crawlRequest } from "../requests.ts";
import { cpuSeconds, systemCpu, systemCpuDelta } from "./proc.ts";

const SPIDER = "link";

/** The workload (the same on both targets). */
export interface ScaleWorkload {
  /** Requests filled before the pops (also the memory measurement). */
  pending: number;
  /** Domains they spread over. */
  domains: number;
  /** Concurrent poppers, each with its own connection. */
  poppers: number;
  /** Requests one pop may take (a crawler's free slots; CONCURRENT_REQUESTS is 16). */
  batch: number;
  /** Seconds of popping. */
  seconds: number;
  /** Frontier shard counts run on the cluster (the first is the default, 16). */
  clusterShards: number[];
  /** The throttle: `hits` per `windowSec` per domain, moderated. */
  hits: number;
  windowSec: number;
}

/** The defaults: QUEUE_HITS 10 per QUEUE_WINDOW 60, sped up 60× so a short run reaches them. */
export const SCALE_WORKLOAD: ScaleWorkload = {
  pending: 200_000,
  domains: 10_000,
  poppers: 16,
  batch: 16,
  seconds: 6,
  clusterShards: [16, 64],
  hits: 10,
  windowSec: 1,
};

/** The figures of one target. */
export interface ScaleRun {
  target: "plain Redis" | "Redis Cluster";
  masters: number;
  shards: number;
  /** Requests popped (and acknowledged) during the run. */
  pops: number;
  popCalls: number;
  seconds: number;
  popsPerSec: number;
  /** Redis CPU seconds (user + system, every master) during the pops. */
  redisCpuSec: number;
  redisCpuUsPerPop: number;
  /**
   * The pops/s one fully busy master core serves: 1 s / Redis CPU per pop (the CPU of every
   * master a pop touches, summed); a cluster of M such masters serves M times that.
   */
  popsPerSecPerMasterCore: number;
  /** The bench process's CPU seconds (all threads) during the pops. */
  clientCpuSec: number;
  clientCpuUsPerPop: number;
  /** Idle CPU seconds of the machine during the pops (over all CPUs). */
  machineIdleSec: number;
  /** CPU seconds of everything else on the machine meanwhile (busy − Redis − bench). */
  othersCpuSec: number;
  /** used_memory (every master) added by the fill, per request. */
  bytesPerPending: number;
  /** Of which the dupefilter's fingerprint (kept after the pop, for DUPEFILTER_TIMEOUT). */
  dupefilterBytesPerRequest: number;
  /** Seconds the fill took. */
  fillSec: number;
  /** Redis CPU per request enqueued by the fill (new requests, 40 of one domain per call). */
  enqueueRedisUsPerRequest: number;
  /** Redis CPU per link the dupefilter refuses (the same requests sent again). */
  duplicateRedisUsPerLink: number;
}

/** Every figure of {@linkcode frontierScaleBench}. */
export interface ScaleFigures {
  workload: ScaleWorkload;
  cpus: number;
  memberBytes: number;
  runs: ScaleRun[];
}

/** Sums an INFO field over every master (a cluster) or the one server. */
async function infoSum(redis: RedisClient, section: string, fields: string[]): Promise<number> {
  const nodes: Redis[] = isRedisCluster(redis) ? redis.nodes("master") : [redis];
  let total = 0;
  for (const node of nodes) {
    const text = await node.info(section);
    for (const field of fields) {
      const m = new RegExp(`^${field}:([\\d.]+)`, "m").exec(text);
      if (m) total += Number(m[1]);
    }
  }
  return total;
}

const redisCpu = (redis: RedisClient) => infoSum(redis, "cpu", ["used_cpu_user", "used_cpu_sys"]);
const usedMemory = (redis: RedisClient) => infoSum(redis, "memory", ["used_memory"]);

/** A realistic request member of domain `d`, page `i` (crawlRequest() defaults). */
function requestEntry(d: number, i: number): EnqueueEntry {
  const domain = `www.site${d}.com`;
  const url = `http://${domain}/section/page-${i}.html`;
  return {
    fingerprint: requestFingerprint({ url }),
    spiderid: SPIDER,
    domain,
    priority: 1,
    member: JSON.stringify(crawlRequest({ url, spiderid: SPIDER })),
  };
}

/**
 * Enqueues the workload's requests as crawlers do: one call per page's links (40, one domain),
 * 8 calls at a time.
 */
async function fill(redis: RedisClient, layout: FrontierLayout, w: ScaleWorkload, count: number) {
  const perCall = 40;
  const crawl = {
    spiderid: SPIDER,
    appid: "testapp",
    crawlid: "crawl1",
    expires: 0,
    dupefilterTtlSec: 600,
  };
  const calls: Promise<unknown>[] = [];
  for (let done = 0; done < count; done += perCall) {
    const n = Math.min(perCall, count - done);
    const domain = (done / perCall) % w.domains;
    const entries = Array.from({ length: n }, (_, j) => requestEntry(domain, done + j));
    calls.push(enqueueRequests(redis, layout, crawl, entries));
    if (calls.length >= 8) await Promise.all(calls.splice(0));
  }
  await Promise.all(calls);
}

/** The crawler's default throttle (moderated, per spider type and IP), at the workload's rate. */
function throttleOf(w: ScaleWorkload): ThrottleSpec {
  return {
    enabled: true,
    windowSec: w.windowSec,
    hits: w.hits,
    moderated: true,
    keyPrefix: `${SPIDER}:203.0.113.7:`,
    scheduleAhead: false,
    domains: {},
    blocked: [],
  };
}

/** One popper: pops, acknowledges, repeats until `until`; returns [requests, calls]. */
async function popper(
  redis: RedisClient,
  layout: FrontierLayout,
  w: ScaleWorkload,
  id: number,
  until: number,
): Promise<[number, number]> {
  const throttle = throttleOf(w);
  const holder = { id: `bench-${id}`, heartbeatKey: `stats:crawler:bench:${SPIDER}:bench-${id}` };
  let pops = 0;
  let calls = 0;
  while (performance.now() < until) {
    const { leases } = await popLeased(redis, layout, SPIDER, {
      max: w.batch,
      perDomain: 8,
      leaseMs: 60_000,
      throttle,
      holder,
    });
    calls++;
    if (leases.length === 0) {
      // Every domain waits for its throttle slot: as a crawler does (IDLE_POLL_MS is 200).
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    await ackLeases(redis, layout, SPIDER, leases.map((l) => l.id));
    pops += leases.length;
  }
  return [pops, calls];
}

async function measure(
  target: ScaleRun["target"],
  connect: () => Promise<RedisClient>,
  masters: number,
  w: ScaleWorkload,
  say: (line: string) => void,
  shards = 0,
): Promise<ScaleRun> {
  const admin = await connect();
  const clients: RedisClient[] = [];
  try {
    const layout = await openFrontierLayout(admin, shards);
    const memBefore = await usedMemory(admin);
    say(`${target}: filling ${w.pending} requests over ${w.domains} domains`);
    const fillCpu0 = await redisCpu(admin);
    const t0 = performance.now();
    await fill(admin, layout, w, w.pending);
    const fillSec = (performance.now() - t0) / 1000;
    const enqueueRedisUsPerRequest = (await redisCpu(admin) - fillCpu0) * 1e6 / w.pending;
    const bytesPerPending = (await usedMemory(admin) - memBefore) / w.pending;
    // Of which the dupefilter, which keeps each fingerprint after the pop (DUPEFILTER_TIMEOUT).
    let dupefilterBytes = 0;
    for (const shard of layout.shards) {
      const key = shard.dupefilter(SPIDER, "crawl1");
      dupefilterBytes += Number(await admin.call("MEMORY", "USAGE", key, "SAMPLES", "0")) || 0;
    }
    // The same links again: every one refused by the dupefilter.
    const dupes = Math.min(w.pending, 50_000);
    const dupeCpu0 = await redisCpu(admin);
    await fill(admin, layout, w, dupes);
    const duplicateRedisUsPerLink = (await redisCpu(admin) - dupeCpu0) * 1e6 / dupes;
    for (let i = 0; i < w.poppers; i++) clients.push(await connect());
    await Promise.all(clients.map((c) => openFrontierLayout(c, layout.count)));
    say(`${target}: ${w.poppers} poppers for ${w.seconds} s`);
    const cpu0 = await redisCpu(admin);
    const self0 = cpuSeconds("self");
    const sys0 = systemCpu();
    const start = performance.now();
    const until = start + w.seconds * 1000;
    const results = await Promise.all(clients.map((c, i) => popper(c, layout, w, i, until)));
    const seconds = (performance.now() - start) / 1000;
    const clientCpuSec = cpuSeconds("self") - self0;
    const machine = systemCpuDelta(sys0, systemCpu());
    const redisCpuSec = await redisCpu(admin) - cpu0;
    const pops = results.reduce((a, [p]) => a + p, 0);
    const popCalls = results.reduce((a, [, c]) => a + c, 0);
    const redisCpuUsPerPop = (redisCpuSec * 1e6) / pops;
    return {
      target,
      masters,
      shards: layout.count,
      pops,
      popCalls,
      seconds,
      popsPerSec: pops / seconds,
      redisCpuSec,
      redisCpuUsPerPop,
      popsPerSecPerMasterCore: 1e6 / redisCpuUsPerPop,
      clientCpuSec,
      clientCpuUsPerPop: (clientCpuSec * 1e6) / pops,
      machineIdleSec: machine.idle,
      othersCpuSec: machine.busy - redisCpuSec - clientCpuSec,
      bytesPerPending,
      dupefilterBytesPerRequest: dupefilterBytes / w.pending,
      fillSec,
      enqueueRedisUsPerRequest,
      duplicateRedisUsPerLink,
    };
  } finally {
    await Promise.all([admin, ...clients].map(closeRedis));
  }
}

async function eachMaster(ports: readonly number[], fn: (node: Redis) => Promise<unknown>) {
  for (const port of ports) {
    const node = new Redis(port, "127.0.0.1");
    try {
      await fn(node);
    } finally {
      await node.quit();
    }
  }
}

/** Empties every master (the next run records its own shard count). */
const flushMasters = (ports: readonly number[]) => eachMaster(ports, (node) => node.flushall());

const settingsOf = (url: string | null, nodes: string | null) => ({
  REDIS_HOST: "127.0.0.1",
  REDIS_PORT: 6379,
  REDIS_DB: 0,
  REDIS_PASSWORD: null,
  REDIS_URL: url,
  REDIS_SOCKET_TIMEOUT: 30,
  REDIS_CLUSTER_NODES: nodes,
});

/** Runs the workload on a plain Redis, then on a 3-master Redis Cluster, both started here. */
export async function frontierScaleBench(
  opts: { workload?: Partial<ScaleWorkload>; say?: (line: string) => void } = {},
): Promise<ScaleFigures> {
  const say = opts.say ?? (() => {});
  const w = { ...SCALE_WORKLOAD, ...opts.workload };
  const runs: ScaleRun[] = [];
  const dir = await Deno.makeTempDir({ prefix: "crawl-bench-scale-" });
  try {
    const port = freePort();
    const plain = await startRedis(port, `${dir}/plain`, {
      appendOnly: true,
      appendFsync: "everysec",
    });
    try {
      const url = `redis://127.0.0.1:${port}/0`;
      runs.push(
        await measure("plain Redis", () => connectRedis(settingsOf(url, null), "bench"), 1, w, say),
      );
    } finally {
      await plain.stop();
    }
    say("starting a 3-master Redis Cluster");
    const cluster = await startRedisCluster({ masters: 3, dir: `${dir}/cluster` });
    try {
      // Its masters fsync every write (for the tests' restart); the same persistence as above.
      await eachMaster(cluster.ports, (node) => node.config("SET", "appendfsync", "everysec"));
      const connect = () => connectRedis(settingsOf(null, cluster.nodes), "bench");
      for (const shards of w.clusterShards) {
        runs.push(await measure("Redis Cluster", connect, 3, w, say, shards));
        await flushMasters(cluster.ports);
      }
    } finally {
      await cluster.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return {
    workload: w,
    cpus: navigator.hardwareConcurrency,
    memberBytes: requestEntry(0, 123456).member.length,
    runs,
  };
}

/** The report lines. */
export function formatScale(f: ScaleFigures): string {
  const w = f.workload;
  const out = [
    `frontier scale: ${w.pending} pending requests (${f.memberBytes}-byte members) over ` +
    `${w.domains} domains; ${w.poppers} poppers of up to ${w.batch} requests, throttle ` +
    `${w.hits} hits / ${w.windowSec} s per domain (moderated, per spider type and IP; ceiling ` +
    `${(w.domains * w.hits / w.windowSec).toFixed(0)} pops/s), leases acknowledged; AOF ` +
    `fsync every second; ` +
    `${f.cpus} CPU(s), servers and poppers on this machine`,
  ];
  for (const r of f.runs) {
    const f0 = (n: number) => n.toFixed(0);
    const f1 = (n: number) => n.toFixed(1);
    const f2 = (n: number) => n.toFixed(2);
    out.push(
      `  ${r.target}, ${r.masters} master(s), ${r.shards} shard(s): ${f0(r.popsPerSec)} pops/s ` +
        `(${f1(r.pops / r.popCalls)} per call) over ${f1(r.seconds)} s; CPU s: Redis ` +
        `${f2(r.redisCpuSec)}, bench process ${f2(r.clientCpuSec)}, other processes ` +
        `${f2(r.othersCpuSec)}, idle ${f2(r.machineIdleSec)}`,
      `    Redis CPU ${f1(r.redisCpuUsPerPop)} µs/pop = ${f0(r.popsPerSecPerMasterCore)} pops/s ` +
        `per fully busy master core; bench process ${f1(r.clientCpuUsPerPop)} µs/pop`,
      `    ${f0(r.bytesPerPending)} bytes per pending request (of which the dupefilter's ` +
        `fingerprint ${f0(r.dupefilterBytesPerRequest)}); Redis CPU per enqueued link: new ` +
        `${f1(r.enqueueRedisUsPerRequest)} µs, duplicate ${f1(r.duplicateRedisUsPerLink)} µs ` +
        `(fill ${f1(r.fillSec)} s)`,
    );
  }
  return out.join("\n");
}

if (import.meta.main) {
  // `deno run -A test/bench/frontier_scale.ts [poppers] [batch]`: this part alone.
  const [poppers, batch] = Deno.args.map(Number);
  const workload: Partial<ScaleWorkload> = {};
  if (poppers > 0) workload.poppers = poppers;
  if (batch > 0) workload.batch = batch;
  const figures = await frontierScaleBench({
    workload,
    say: (l) => console.error(`[bench] ${l}`),
  });
  console.log(formatScale(figures));
  console.log(JSON.stringify(figures));
}
