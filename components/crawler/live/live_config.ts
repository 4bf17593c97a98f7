/**
 * What a running crawler keeps up to date: the cluster-wide domain config from ZooKeeper
 * (per-domain window/hits/scale and the blacklist, applied within moments, no restart) and its
 * public IP (refreshed every `SCHEDULER_IP_REFRESH` seconds). When ZooKeeper is away the last
 * good config stays in force; an unreadable config is logged and ignored.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { NetworkGuard } from "../../../lib/net/mod.ts";
import { type FrontierLayout, wakeDomains } from "../../../lib/frontier/mod.ts";
import { type DomainConfig, domainConfigPath, parseDomainConfig } from "../../../lib/api/mod.ts";
import { int, str } from "../../../lib/config/mod.ts";
import {
  OutageReporter,
  parseZookeeperAuth,
  ZOOKEEPER_AUTH_SETTINGS,
} from "../../../lib/services/mod.ts";
import { lookupPublicIp } from "./public_ip.ts";
import { BAD_CONNECTION, ZookeeperWatcher } from "./zookeeper_watcher.ts";
import type { CrawlerSettings } from "../settings.ts";
import type { CrawlerThrottle } from "./throttle.ts";
import type { RedisClient } from "../../../lib/services/redis.ts";

/** Where the domain config lives and how often the public IP is refreshed. */
export const LIVE_CONFIG_SETTINGS = {
  SCHEDULER_IP_REFRESH: int(60, "seconds between refreshes of the public IP", {
    min: 1,
  }),
  ZOOKEEPER_HOSTS: str("localhost:2181", "ZooKeeper servers, comma separated", { nonEmpty: true }),
  ZOOKEEPER_ASSIGN_PATH: str("/scrapy-cluster/crawler/", "ZooKeeper folder of the domain config", {
    nonEmpty: true,
  }),
  ZOOKEEPER_ID: str("all", "node name of the domain config under ZOOKEEPER_ASSIGN_PATH", {
    nonEmpty: true,
  }),
  ...ZOOKEEPER_AUTH_SETTINGS,
};

/**
 * Starts watching; everything stops when `signal` aborts. The public IP lookup goes through
 * `guard`.
 */
export async function startLiveConfig(
  throttle: CrawlerThrottle,
  settings: CrawlerSettings,
  redis: RedisClient,
  layout: FrontierLayout,
  log: Logger,
  signal: AbortSignal,
  guard: NetworkGuard,
): Promise<void> {
  const path = domainConfigPath(settings.ZOOKEEPER_ASSIGN_PATH, settings.ZOOKEEPER_ID);
  // Each ZooKeeper outage logged once, when it starts and when it ends.
  const zookeeper = new OutageReporter({
    log,
    component: "crawler",
    service: "ZooKeeper",
    where: settings.ZOOKEEPER_HOSTS,
    meanwhile: "crawling on with the last domain config, will reconnect",
  });
  const auth = parseZookeeperAuth(settings.ZOOKEEPER_AUTH);
  const watcher = new ZookeeperWatcher(settings.ZOOKEEPER_HOSTS, path, {
    // Secured, the node is the redis-monitor's to create (with its ACL), never a crawler's.
    ensure: auth === null,
    auth,
    log,
    onConfig: (content) => {
      try {
        const config = parseDomainConfig(content);
        const changed = changedDomains(throttle.domainConfig, config);
        throttle.setDomainConfig(config);
        // A domain waiting under its old budget is looked at again under the new one.
        wakeDomains(redis, layout, throttle.spiderid, changed).catch((err) =>
          log.warn("Cannot wake re-configured domains: {error}", { error: err })
        );
        log.info("Domain config applied: {domains} domain(s), {blacklisted} blacklisted", {
          domains: Object.keys(config.domains).length,
          blacklisted: config.blacklist.length,
        });
      } catch (err) {
        log.error("Domain config in ZooKeeper ignored (the last good one stays): {error}", {
          error: err,
          path,
        });
      }
    },
    onValid: (valid) => {
      if (!valid) zookeeper.down(new Error(`cannot watch ${path}`));
      else if (zookeeper.isDown) zookeeper.up();
      else log.info("Watching the domain config at {path}", { path });
    },
    // A lost connection is the outage reporter's to say, once; other problems are warnings.
    onError: (message) => {
      if (message === BAD_CONNECTION) log.debug("ZooKeeper: {message}", { message, path });
      else log.warn("ZooKeeper: {message}", { message, path });
    },
  });
  await watcher.start();
  signal.addEventListener("abort", () => watcher.stop().catch(() => {}), { once: true });

  const refreshIp = async () => {
    const ip = await lookupPublicIp({
      url: settings.PUBLIC_IP_URL,
      regex: settings.IP_ADDR_REGEX,
      guard,
    });
    if (ip === null) {
      if (settings.PUBLIC_IP_URL) log.warn("Could not reach out to get public ip");
      return;
    }
    if (ip !== throttle.ip) log.info("Public IP is now {ip}", { ip });
    throttle.setIp(ip);
  };
  // The first lookup runs in the background: a slow service must not delay the start.
  refreshIp();
  const timer = setInterval(refreshIp, settings.SCHEDULER_IP_REFRESH * 1000);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}

/** Domains whose throttle entry or blacklist status differs between two configs. */
export function changedDomains(before: DomainConfig, after: DomainConfig): string[] {
  const out = new Set<string>();
  for (const d of new Set([...Object.keys(before.domains), ...Object.keys(after.domains)])) {
    if (JSON.stringify(before.domains[d]) !== JSON.stringify(after.domains[d])) out.add(d);
  }
  const was = new Set(before.blacklist), now = new Set(after.blacklist);
  for (const d of was) if (!now.has(d)) out.add(d);
  for (const d of now) if (!was.has(d)) out.add(d);
  return [...out];
}
