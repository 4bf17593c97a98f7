/**
 * The crawler's view of the cluster-wide throttle: the defaults from settings (`QUEUE_HITS`,
 * `QUEUE_WINDOW`, `QUEUE_MODERATED`), per-domain entries and the domain blacklist from the
 * ZooKeeper config (applied live), robots.txt `Crawl-delay` floors, and the throttle key style
 * (`SCHEDULER_TYPE_ENABLED`, `SCHEDULER_IP_ENABLED` with the public IP). Every change builds a
 * new immutable {@linkcode ThrottleSpec}, so a change of IP applies to every domain at once.
 *
 * A `Crawl-delay` of d seconds on a domain whose budget is `[window, hits]` makes it
 * `[max(d, window / hits), 1]`: at most one pop per d seconds (and never more than the budget),
 * in every crawler that learnt it from the shared robots.txt cache. A paused domain (hits 0)
 * stays paused.
 *
 * @module
 */

import { type ThrottleSpec } from "../../../lib/frontier/mod.ts";
import { type DomainConfig, effectiveHits } from "../../../lib/api/mod.ts";
import { bool, float, int } from "../../../lib/config/mod.ts";
import type { CrawlerSettings } from "../settings.ts";

/** The throttle's settings (Scrapy Cluster's names; `THROTTLE_ENABLED` is ours). */
export const THROTTLE_SETTINGS = {
  THROTTLE_ENABLED: bool(
    true,
    "throttle pops per domain cluster-wide (false: no budget; for benchmarks and your own sites)",
  ),
  QUEUE_HITS: int(10, "pops per QUEUE_WINDOW per domain (per throttle key), cluster-wide", {
    min: 0,
  }),
  QUEUE_WINDOW: float(60, "seconds of the throttle window", { exclusiveMin: 0 }),
  QUEUE_MODERATED: bool(true, "spread a domain's pops evenly, one per QUEUE_WINDOW/QUEUE_HITS"),
  SCHEDULER_TYPE_ENABLED: bool(true, "separate throttle budgets per spider type"),
  SCHEDULER_IP_ENABLED: bool(true, "separate throttle budgets per crawler public IP"),
  SCHEDULER_BACKLOG_BLACKLIST: bool(
    true,
    "keep requests of ZooKeeper-blacklisted domains queued (true) or drop them (false)",
  ),
};

/** Domains whose Crawl-delay floors one crawler keeps (the oldest is forgotten first). */
const MAX_FLOORS = 1000;

/** The throttle of one spider type, updated by the ZooKeeper watcher and the IP refresh. */
export class CrawlerThrottle {
  #spec: ThrottleSpec;
  #config: DomainConfig = { blacklist: [], domains: {} };
  #ip: string;
  /** Crawl-delay floors: domain → origin → seconds, and the generation that raised each. */
  #floors = new Map<string, { origins: Map<string, number>; since: number }>();
  /** Counts the specs built; `#poppedWith` is the one the loop read last. */
  #generation = 0;
  #poppedWith = 0;

  constructor(
    private readonly settings: CrawlerSettings,
    readonly spiderid: string,
  ) {
    this.#ip = settings.PUBLIC_IP;
    this.#spec = this.#build();
  }

  /**
   * The spec to pop with (a new object after every change). The crawler loop reads it for each
   * pop; reading it marks it as the spec the leases started next were popped with
   * ({@linkcode CrawlerThrottle.popGeneration}).
   */
  get spec(): ThrottleSpec {
    this.#poppedWith = this.#generation;
    return this.#spec;
  }

  /**
   * The generation of the spec read last, i.e. of the pop whose leases are being started: the
   * loop starts each popped lease synchronously, before it reads the spec again. Read it in the
   * synchronous part of a step and pass it to {@linkcode CrawlerThrottle.hasFloor}.
   */
  get popGeneration(): number {
    return this.#poppedWith;
  }

  /**
   * Sets the `Crawl-delay` of `origin` (scheme, host and port) on its queue `domain`; null
   * removes it. The domain's floor is the largest delay of its origins.
   */
  setCrawlDelay(domain: string, origin: string, delaySec: number | null): void {
    const floor = this.#floors.get(domain);
    const before = floor ? Math.max(...floor.origins.values()) : 0;
    if (delaySec === null || delaySec <= 0) {
      if (!floor?.origins.delete(origin)) return;
      if (floor.origins.size === 0) this.#floors.delete(domain);
    } else if (floor === undefined) {
      // Bounded: a floor forgotten is learnt again (and its request handed back) on next use.
      if (this.#floors.size >= MAX_FLOORS) {
        this.#floors.delete(this.#floors.keys().next().value!);
      }
      this.#floors.set(domain, { origins: new Map([[origin, delaySec]]), since: 0 });
    } else if (floor.origins.get(origin) === delaySec) return;
    else floor.origins.set(origin, delaySec);
    const now = this.#floors.get(domain);
    const after = now ? Math.max(...now.origins.values()) : 0;
    if (after === before) return;
    this.#spec = this.#build();
    if (now && after > before) now.since = this.#generation;
  }

  /** The Crawl-delay floor of `domain` in seconds (0: none). */
  crawlDelay(domain: string): number {
    const floor = this.#floors.get(domain);
    return floor ? Math.max(...floor.origins.values()) : 0;
  }

  /**
   * Whether a request of `domain` popped with the spec of `generation` was held to the
   * domain's current Crawl-delay floor (true when throttling is off: nothing to hold to).
   */
  hasFloor(domain: string, generation: number): boolean {
    if (!this.settings.THROTTLE_ENABLED) return true;
    const floor = this.#floors.get(domain);
    return floor === undefined || floor.since <= generation;
  }

  /** The domain config in force. */
  get domainConfig(): DomainConfig {
    return this.#config;
  }

  /** The public IP in use. */
  get ip(): string {
    return this.#ip;
  }

  /** Domains whose new requests are dropped (blacklisted, and the backlog not kept). */
  get droppedDomains(): readonly string[] {
    return this.settings.SCHEDULER_BACKLOG_BLACKLIST ? [] : this.#config.blacklist;
  }

  /** Applies a new domain config (an empty one reverts every domain to the defaults). */
  setDomainConfig(config: DomainConfig): void {
    this.#config = config;
    this.#spec = this.#build();
  }

  /** Applies a new public IP (every throttle key changes with it). */
  setIp(ip: string): void {
    if (ip === this.#ip) return;
    this.#ip = ip;
    this.#spec = this.#build();
  }

  #build(): ThrottleSpec {
    const s = this.settings;
    const domains: Record<string, [number, number]> = {};
    for (const [domain, entry] of Object.entries(this.#config.domains)) {
      domains[domain] = [entry.window, effectiveHits(entry)];
    }
    for (const [domain, floor] of this.#floors) {
      const [window, hits] = domains[domain] ?? [s.QUEUE_WINDOW, s.QUEUE_HITS];
      if (hits <= 0) continue; // paused stays paused
      domains[domain] = [Math.max(Math.max(...floor.origins.values()), window / hits), 1];
    }
    this.#generation++;
    const prefix = (s.SCHEDULER_TYPE_ENABLED ? `${this.spiderid}:` : "") +
      (s.SCHEDULER_IP_ENABLED ? `${this.#ip}:` : "");
    return Object.freeze({
      enabled: s.THROTTLE_ENABLED,
      windowSec: s.QUEUE_WINDOW,
      hits: s.QUEUE_HITS,
      moderated: s.QUEUE_MODERATED,
      keyPrefix: prefix,
      // With per-IP budgets another crawler may be allowed when this one is not.
      scheduleAhead: !s.SCHEDULER_IP_ENABLED,
      domains,
      blocked: [...this.#config.blacklist],
    });
  }
}
