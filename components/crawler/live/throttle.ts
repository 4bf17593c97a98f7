/**
 * The crawler's view of the cluster-wide throttle: the defaults from settings (`QUEUE_HITS`,
 * `QUEUE_WINDOW`, `QUEUE_MODERATED`), per-domain entries and the domain blacklist from the
 * ZooKeeper config (applied live), and the throttle key style (`SCHEDULER_TYPE_ENABLED`,
 * `SCHEDULER_IP_ENABLED` with the public IP). Every change builds a new immutable
 * {@linkcode ThrottleSpec}, so a change of IP applies to every domain at once.
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

/** The throttle of one spider type, updated by the ZooKeeper watcher and the IP refresh. */
export class CrawlerThrottle {
  #spec: ThrottleSpec;
  #config: DomainConfig = { blacklist: [], domains: {} };
  #ip: string;

  constructor(
    private readonly settings: CrawlerSettings,
    readonly spiderid: string,
  ) {
    this.#ip = settings.PUBLIC_IP;
    this.#spec = this.#build();
  }

  /** The spec to pop with (a new object after every change). */
  get spec(): ThrottleSpec {
    return this.#spec;
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
