/**
 * Statistics key names (`stats:<component>:…`), in Scrapy Cluster's formats, including the
 * heartbeats processes write to announce themselves.
 *
 * @module
 */

/** A statistics key: `stats:<component>:<part>:<part>…`. */
export function statsKey(component: string, ...parts: (string | number)[]): string {
  return ["stats", component, ...parts].join(":");
}

/** The heartbeat of one kafka-monitor, redis-monitor or rest process. */
export function heartbeatKey(component: string, host: string, id: string): string {
  return `stats:${component}:self:${host}:${id}`;
}

/** The heartbeat of one crawler process (Scrapy Cluster writes it without `self`). */
export function crawlerHeartbeatKey(host: string, spiderid: string, id: string): string {
  return `stats:crawler:${host}:${spiderid}:${id}`;
}
