/**
 * Key names of the redis-monitor jobs, in Scrapy Cluster's formats (`info:…`, `stop:…`,
 * `statsrequest:…`, `zk:…`), plus our index `jobs:index`, the per-job locks
 * (`lock:<jobkey>`, `lock:<jobkey>:failures`) and the uuids waiting for a job's answer
 * (`waiting:<jobkey>`).
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

/**
 * The uuids waiting for the answer to one job (a set): a second info/stop/stats request for the
 * same job overwrites the job key's uuid (Scrapy Cluster's format) but adds its uuid here, and
 * the monitor answers every uuid of the set. Prefixed (not suffixed) so no job pattern such as
 * `info:*:*` ever matches it.
 *
 * On Redis Cluster (`cluster`) it lives in the job key's slot, so one script can compare and
 * delete both: `waiting:{<jobkey>}` (the job key is the hash tag), or `waiting:<jobkey>` when
 * the job key carries a hash tag of its own.
 */
export function jobWaitersKey(jobKey: string, cluster = false): string {
  return cluster ? `waiting:${_inSlotOf(jobKey)}` : `waiting:${jobKey}`;
}

/** `key` written so that, after a brace-free prefix, it hashes to `key`'s own slot. */
function _inSlotOf(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  // Redis hashes only the first non-empty {…} of a key, when there is one.
  if (close > open + 1) return key;
  return `{${key}}`;
}

/** How often handling one redis-monitor job failed. */
export function lockFailuresKey(jobKey: string): string {
  return `lock:${jobKey}:failures`;
}
