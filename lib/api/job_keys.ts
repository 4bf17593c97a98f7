/**
 * Key names of the redis-monitor jobs, in Scrapy Cluster's formats (`info:…`, `stop:…`,
 * `statsrequest:…`, `zk:…`), plus our index `jobs:index` and the per-job locks
 * (`lock:<jobkey>`, `lock:<jobkey>:failures`).
 *
 * @module
 */

/** Job keys for the redis-monitors, scored by when each is due (epoch seconds). */
export const JOBS_INDEX_KEY = "jobs:index";

/** An info or stop job for the redis-monitor (per app, or per crawl with `crawlid`). */
export function actionKey(
  action: "info" | "stop",
  spiderid: string,
  appid: string,
  crawlid?: string,
): string {
  return crawlid === undefined
    ? `${action}:${spiderid}:${appid}`
    : `${action}:${spiderid}:${appid}:${crawlid}`;
}

/** A stats job for the redis-monitor. */
export function statsRequestKey(stats: string, appid: string): string {
  return `statsrequest:${stats}:${appid}`;
}

/** A ZooKeeper job for the redis-monitor. */
export function zookeeperJobKey(action: string, domain: string, appid: string): string {
  return `zk:${action}:${domain}:${appid}`;
}

/** The lock guarding one redis-monitor job. */
export function lockKey(jobKey: string): string {
  return `lock:${jobKey}`;
}

/** How often handling one redis-monitor job failed. */
export function lockFailuresKey(jobKey: string): string {
  return `lock:${jobKey}:failures`;
}
