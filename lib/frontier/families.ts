/**
 * Node tags: a request may carry `tags` (["gpu", "eu"]), and only a crawler whose
 * `CRAWLER_TAGS` include every one of them takes it; untagged requests go to any crawler.
 * Each tag set has a queue family of its own — the spider type's queues, index, leases and
 * counters under the name `<spiderid>@<tag>+<tag>` (tags sorted) instead of `<spiderid>` — so a
 * crawler pops only from the families its tags cover and never meets a request it may not take.
 * What is per spider type stays so: the blacklist, the dupefilters and page limits, and the
 * throttle keys (a domain's budget is shared by every family). Untagged requests keep Scrapy
 * Cluster's names. Families in use are listed in `<spiderid>:tag_families`, so info, stop and
 * crawlers find them without scanning.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";

/** A tag: letters, digits, `_`, `.` and `-` (the request schema checks it). */
export const TAG_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** The queue family of a spider type and tag set (the spider id itself when untagged). */
export function queueFamily(spiderid: string, tags?: readonly string[] | null): string {
  if (!tags || tags.length === 0) return spiderid;
  return `${spiderid}@${[...new Set(tags)].sort().join("+")}`;
}

/** The spider type and tags of a queue family. */
export function parseFamily(family: string): { spiderid: string; tags: string[] } {
  const at = family.indexOf("@");
  if (at < 0) return { spiderid: family, tags: [] };
  return { spiderid: family.slice(0, at), tags: family.slice(at + 1).split("+") };
}

/** The set of a spider type's tagged families in use. */
export function tagFamiliesKey(spiderid: string): string {
  return `${spiderid}:tag_families`;
}

const registered = new Set<string>();

/**
 * Records a tagged family before requests are written into it (once per process; a member that
 * is already there costs nothing). Untagged families need no record.
 */
export async function registerFamily(redis: RedisClient, family: string): Promise<void> {
  if (registered.has(family)) return;
  const { spiderid, tags } = parseFamily(family);
  if (tags.length === 0) return;
  await redis.sadd(tagFamiliesKey(spiderid), family);
  registered.add(family);
}

/** Every family of a spider type: its own, then the tagged ones in use. */
export async function familiesOf(redis: RedisClient, spiderid: string): Promise<string[]> {
  return [spiderid, ...(await redis.smembers(tagFamiliesKey(spiderid))).sort()];
}

/** The families a crawler with `tags` may pop from: those whose tags are a subset of its own. */
export async function familiesFor(
  redis: RedisClient,
  spiderid: string,
  tags: readonly string[],
): Promise<string[]> {
  const own = new Set(tags);
  return (await familiesOf(redis, spiderid)).filter((family) =>
    parseFamily(family).tags.every((tag) => own.has(tag))
  );
}
