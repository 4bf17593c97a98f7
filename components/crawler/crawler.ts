/**
 * The crawler loop: pop → fetch → parse → (enqueue follow-ups ∥ produce the item) → ack.
 *
 * - It pops only as many requests as it has free slots (`CONCURRENT_REQUESTS`, at most
 *   `CONCURRENT_REQUESTS_PER_DOMAIN` per domain), each under a lease, in one Lua call.
 * - A lease is acknowledged only after the page's result is in Kafka and its follow-ups are in
 *   Redis; a crawler that dies leaves leases that another crawler puts back when they expire.
 * - Timeouts, connection errors and retryable statuses go back to the shared queue with
 *   priority − 10, up to `RETRY_TIMES`.
 * - On abort it stops popping, lets in-flight pages finish (up to `DOWNLOAD_TIMEOUT`), returns
 *   what it could not finish to the queues and flushes Kafka.
 *
 * The cluster-wide throttle (hits per window per domain, live ZooKeeper config) is checked and
 * recorded inside the pop script.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Redis } from "ioredis";
import { sleep } from "../../lib/async/sleep.ts";
import { registeredDomain } from "../../lib/web/domain.ts";
import {
  ackLeases,
  type EnqueueEntry,
  enqueueRequests,
  type Lease,
  popLeased,
  reclaimExpiredLeases,
  returnLeases,
} from "../../lib/frontier/mod.ts";
import type { BatchingProducer } from "../../lib/services/kafka.ts";
import { StatsCollector, windowsFromNames } from "../../lib/stats/collector.ts";
import { crawledAppTopic, crawledFirehose } from "../../lib/api/topics.ts";
import { ensureScheme, requestFingerprint } from "../../lib/web/url.ts";
import { FetchError, fetchPage } from "./fetcher.ts";
import { ItemTooLargeError, serializeItem } from "./result_item.ts";
import type { CrawlerSettings } from "./settings.ts";
import type { FetchedPage, QueuedRequest, Spider } from "./spider.ts";
import { CrawlerThrottle } from "./throttle.ts";
import { RecentlySent } from "./recently_sent.ts";

/** What {@linkcode runCrawler} needs. */
export interface CrawlerDeps {
  readonly settings: CrawlerSettings;
  readonly redis: Redis;
  readonly producer: BatchingProducer;
  readonly spider: Spider;
  readonly log: Logger;
  /** Host name in stats keys. */
  readonly host: string;
  /** The throttle (live domain config and IP); default: the settings' defaults only. */
  readonly throttle?: CrawlerThrottle;
  /** Called after each finished request (tests and benchmarks count with it). */
  readonly onDone?: (event: CrawlEvent) => void;
}

/** How one request ended. */
export type CrawlEvent =
  | { kind: "page"; url: string; status: number; children: number; truncated: boolean }
  | { kind: "retry"; url: string; reason: string; attempt: number }
  | { kind: "gave_up"; url: string; reason: string }
  | { kind: "dropped"; url: string; reason: string };

/** Runs until `signal` aborts; resolves once in-flight work is finished or handed back. */
export async function runCrawler(deps: CrawlerDeps, opts: { signal: AbortSignal }): Promise<void> {
  const crawler = new Crawler(deps);
  await crawler.run(opts.signal);
}

class Crawler {
  readonly #d: CrawlerDeps;
  readonly #s: CrawlerSettings;
  readonly #spiderid: string;
  readonly #throttle: CrawlerThrottle;
  readonly #inFlight = new Map<Lease, Promise<void>>();
  readonly #perDomain = new Map<string, number>();
  readonly #fetchAbort = new AbortController();
  readonly #retryCodes: Set<number>;
  readonly #statsCodes: Set<number>;
  readonly #stats: StatsCollector;
  readonly #statCounts = new Map<string, number>();
  #pendingAcks: string[] = [];
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #acksInFlight = new Set<Promise<void>>();
  #wake: (() => void) | null = null;
  readonly #recentlySent: RecentlySent;

  constructor(deps: CrawlerDeps) {
    this.#d = deps;
    this.#s = deps.settings;
    this.#spiderid = deps.spider.name;
    this.#throttle = deps.throttle ?? new CrawlerThrottle(deps.settings, deps.spider.name);
    // Half the dupefilter's lifetime: Redis surely still holds what was sent within it.
    this.#recentlySent = new RecentlySent(200_000, this.#s.DUPEFILTER_TIMEOUT * 500);
    this.#retryCodes = new Set(this.#s.RETRY_HTTP_CODES.map(Number));
    this.#statsCodes = new Set(this.#s.STATS_RESPONSE_CODES.map(Number));
    this.#stats = new StatsCollector(
      "crawler",
      windowsFromNames(this.#s.STATS_TIMES, (n) => deps.log.warn("Unknown STATS_TIMES {n}", { n })),
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.#d;
    const leaseMs = this.#s.LEASE_TIMEOUT * 1000;
    const maintenance = setInterval(() => this.#maintain(), Math.min(leaseMs / 4, 5_000));
    log.info("Crawler {spider} started", { spider: this.#spiderid });
    try {
      while (!signal.aborted) {
        const free = this.#s.CONCURRENT_REQUESTS - this.#inFlight.size;
        if (free <= 0) {
          await this.#waitForSlot(signal);
          continue;
        }
        const skip = [...this.#perDomain].filter(([, n]) =>
          n >= this.#s.CONCURRENT_REQUESTS_PER_DOMAIN
        ).map(([d]) => d);
        let popped;
        try {
          popped = await popLeased(this.#d.redis, this.#spiderid, {
            max: free,
            perDomain: this.#s.CONCURRENT_REQUESTS_PER_DOMAIN,
            leaseMs,
            skipDomains: skip,
            throttle: this.#throttle.spec,
          });
        } catch (err) {
          log.warn("Cannot pop requests (retrying): {error}", { error: err });
          await sleep(1_000, signal);
          continue;
        }
        for (const d of popped.dropped) {
          log.info("Dropped a {reason} request", {
            reason: d.reason,
            data: d.member.slice(0, 300),
          });
          this.#d.onDone?.({ kind: "dropped", url: urlOf(d.member), reason: d.reason });
        }
        if (popped.leases.length === 0) {
          await this.#waitForSlot(signal, this.#s.IDLE_POLL_MS);
          continue;
        }
        for (const lease of popped.leases) this.#start(lease);
      }
    } finally {
      clearInterval(maintenance);
      await this.#shutdown();
    }
  }

  /** Waits until a request finishes (or `timeoutMs`, or abort). */
  async #waitForSlot(signal: AbortSignal, timeoutMs = 60_000): Promise<void> {
    const woken = new Promise<void>((resolve) => this.#wake = resolve);
    await Promise.race([woken, sleep(timeoutMs, signal)]);
    this.#wake = null;
  }

  #start(lease: Lease): void {
    this.#perDomain.set(lease.domain, (this.#perDomain.get(lease.domain) ?? 0) + 1);
    const task = this.#process(lease).catch((err) => {
      // A bug or Redis outage: keep the lease; it expires and the request comes back.
      this.#d.log.error("Request failed unexpectedly; it will be retried: {error}", {
        error: err,
        url: urlOf(lease.member),
      });
    }).finally(() => {
      this.#inFlight.delete(lease);
      const left = (this.#perDomain.get(lease.domain) ?? 1) - 1;
      if (left > 0) this.#perDomain.set(lease.domain, left);
      else this.#perDomain.delete(lease.domain);
      this.#wake?.();
    });
    this.#inFlight.set(lease, task);
  }

  async #process(lease: Lease): Promise<void> {
    const { log, spider } = this.#d;
    let req: QueuedRequest;
    try {
      req = JSON.parse(lease.member);
      if (typeof req !== "object" || req === null || typeof req.url !== "string") throw 0;
    } catch {
      log.error("Dropped a request that is not a JSON request object", {
        data: lease.member.slice(0, 300),
      });
      return this.#ack(lease);
    }
    let page: FetchedPage;
    try {
      page = await fetchPage(ensureScheme(req.url), {
        timeoutMs: this.#s.DOWNLOAD_TIMEOUT * 1000,
        maxBytes: this.#s.DOWNLOAD_MAXSIZE,
        userAgent: req.useragent ?? this.#s.USER_AGENT,
        cookie: req.cookie,
        signal: this.#fetchAbort.signal,
      });
    } catch (err) {
      if (err instanceof FetchError && err.kind === "aborted") return; // shutdown: lease returned
      const reason = err instanceof Error ? err.message : String(err);
      const retryable = err instanceof FetchError ? err.retryable : false;
      // Scrapy Cluster counts download failures as 504 (LogRetryMiddleware).
      this.#count(504);
      return await this.#retryOrGiveUp(lease, req, reason, retryable);
    }
    if (this.#retryCodes.has(page.status) && (req.retry_times ?? 0) < this.#s.RETRY_TIMES) {
      this.#count(page.status);
      return await this.#retryOrGiveUp(lease, req, `HTTP ${page.status}`, true);
    }
    this.#count(page.status);
    const output = await spider.parse(page, req);
    const children = output.requests ?? [];
    const work: Promise<unknown>[] = [this.#enqueueChildren(req, children)];
    let truncated = page.truncated;
    if (output.item) {
      try {
        const serialized = serializeItem(output.item, page, {
          base64: this.#s.KAFKA_BASE_64_ENCODE,
          maxBytes: this.#s.KAFKA_PRODUCER_MAX_REQUEST_SIZE,
        });
        truncated ||= serialized.truncated;
        if (serialized.truncated) {
          log.warn("Page body cut to fit the Kafka message size limit", { url: req.url });
        }
        work.push(this.#produce(serialized.json, req.appid));
      } catch (err) {
        if (!(err instanceof ItemTooLargeError)) throw err;
        log.error("{message}", { message: err.message, url: req.url });
        this.#count("fail");
      }
    }
    await Promise.all(work);
    log.debug("Crawled {url}", { url: req.url, status: page.status, children: children.length });
    await this.#ack(lease);
    this.#d.onDone?.({
      kind: "page",
      url: req.url,
      status: page.status,
      children: children.length,
      truncated,
    });
  }

  async #retryOrGiveUp(lease: Lease, req: QueuedRequest, reason: string, retryable: boolean) {
    const attempt = (req.retry_times ?? 0) + 1;
    if (!retryable || attempt > this.#s.RETRY_TIMES) {
      this.#d.log.error("Gave up on {url} after {attempts} attempt(s): {reason}", {
        url: req.url,
        attempts: attempt,
        reason,
        appid: req.appid,
        crawlid: req.crawlid,
      });
      this.#count("fail");
      await this.#ack(lease);
      this.#d.onDone?.({ kind: "gave_up", url: req.url, reason });
      return;
    }
    this.#d.log.info("Scraper Retry {url} ({attempt}/{max}): {reason}", {
      url: req.url,
      attempt,
      max: this.#s.RETRY_TIMES,
      reason,
    });
    const retry: QueuedRequest = {
      ...req,
      retry_times: attempt,
      priority: req.priority - 10,
      dont_filter: true,
    };
    await enqueueRequests(this.#d.redis, this.#crawlOf(req), [{
      fingerprint: null,
      spiderid: req.spiderid,
      domain: lease.domain,
      priority: retry.priority,
      member: JSON.stringify(retry),
    }]);
    await this.#ack(lease);
    this.#d.onDone?.({ kind: "retry", url: req.url, reason, attempt });
  }

  #crawlOf(req: QueuedRequest) {
    return {
      spiderid: this.#spiderid,
      appid: req.appid,
      crawlid: req.crawlid,
      expires: Number(req.expires) || 0,
      dupefilterTtlSec: this.#s.DUPEFILTER_TIMEOUT,
      domainMaxPages: req.domain_max_pages,
      domainMaxPagesTtlSec: this.#s.DOMAIN_MAX_PAGE_TIMEOUT,
      globalPageLimit: this.#s.GLOBAL_PAGE_PER_DOMAIN_LIMIT,
      globalPageLimitTtlSec: this.#s.GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT,
      blockedDomains: this.#throttle.droppedDomains,
    };
  }

  async #enqueueChildren(parent: QueuedRequest, children: QueuedRequest[]): Promise<void> {
    if (children.length === 0) return;
    const entries: EnqueueEntry[] = [];
    const sent: string[] = [];
    for (const child of children) {
      const memo = child.dont_filter ? null : `${parent.crawlid}\t${child.url}`;
      if (memo !== null && this.#recentlySent.has(memo)) continue; // Redis has it already
      const domain = registeredDomain(child.url);
      if (domain === null) continue;
      let fingerprint: string | null = null;
      if (!child.dont_filter) {
        try {
          fingerprint = requestFingerprint({ url: child.url });
        } catch {
          continue; // not a URL: nothing to crawl
        }
      }
      entries.push({
        fingerprint,
        spiderid: child.spiderid ?? parent.spiderid,
        domain,
        priority: child.priority,
        member: JSON.stringify(child),
      });
      if (memo !== null) sent.push(memo);
    }
    await enqueueRequests(this.#d.redis, this.#crawlOf(parent), entries);
    for (const memo of sent) this.#recentlySent.add(memo);
  }

  async #produce(json: string, appid: string): Promise<void> {
    const prefix = this.#s.KAFKA_TOPIC_PREFIX;
    const sends = [this.#d.producer.send(crawledFirehose(prefix), json)];
    if (this.#s.KAFKA_APPID_TOPICS) {
      sends.push(this.#d.producer.send(crawledAppTopic(prefix, appid), json));
    }
    await Promise.all(sends);
  }

  /** Acknowledgements are batched: one ZREM for all leases finished within 20 ms. */
  #ack(lease: Lease): Promise<void> {
    this.#pendingAcks.push(lease.id);
    if (this.#pendingAcks.length >= 200) return this.#flushAcks();
    this.#ackTimer ??= setTimeout(() => this.#flushAcks(), 20);
    return Promise.resolve();
  }

  #flushAcks(): Promise<void> {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    const ids = this.#pendingAcks;
    this.#pendingAcks = [];
    const done = ackLeases(this.#d.redis, this.#spiderid, ids).catch((err) => {
      // Unacknowledged leases only mean a page may be crawled again after LEASE_TIMEOUT.
      this.#d.log.warn("Cannot acknowledge {n} lease(s): {error}", { n: ids.length, error: err });
    });
    this.#acksInFlight.add(done);
    done.finally(() => this.#acksInFlight.delete(done));
    return done;
  }

  #count(status: number | "fail"): void {
    if (status !== "fail" && (!this.#s.STATS_STATUS_CODES || !this.#statsCodes.has(status))) return;
    const name = `${this.#d.host}:${this.#spiderid}:${status}`;
    this.#statCounts.set(name, (this.#statCounts.get(name) ?? 0) + 1);
  }

  /** Periodic work: stats flush and putting back requests of crawlers that died. */
  async #maintain(): Promise<void> {
    try {
      await this.#flushStats();
      const back = await reclaimExpiredLeases(this.#d.redis, this.#spiderid);
      if (back > 0) {
        this.#d.log.warn("Put back {n} request(s) of a crawler that stopped", { n: back });
      }
    } catch (err) {
      this.#d.log.warn("Maintenance failed (will retry): {error}", { error: err });
    }
  }

  async #flushStats(): Promise<void> {
    if (this.#statCounts.size === 0) return;
    const pipeline = this.#d.redis.pipeline();
    const now = Date.now();
    for (const [name, count] of this.#statCounts) this.#stats.increment(pipeline, name, now, count);
    this.#statCounts.clear();
    await pipeline.exec();
  }

  async #shutdown(): Promise<void> {
    const { log } = this.#d;
    const grace = this.#s.DOWNLOAD_TIMEOUT * 1000 + 1000;
    log.info("Crawler stopping: finishing {n} request(s)", { n: this.#inFlight.size });
    const leases = [...this.#inFlight.keys()];
    const timer = setTimeout(() => this.#fetchAbort.abort(), grace);
    await Promise.allSettled([...this.#inFlight.values()]);
    clearTimeout(timer);
    // Requests whose fetch was aborted were neither acknowledged nor retried: hand them back.
    await this.#flushAcks();
    await Promise.allSettled([...this.#acksInFlight]);
    const back = await returnLeases(this.#d.redis, this.#spiderid, leases).catch(() => 0);
    if (back > 0) log.info("Returned {n} unfinished request(s) to the queues", { n: back });
    await this.#flushStats().catch(() => {});
    await this.#d.producer.flush();
  }
}

function urlOf(member: string): string {
  try {
    return String(JSON.parse(member).url ?? "");
  } catch {
    return "";
  }
}
