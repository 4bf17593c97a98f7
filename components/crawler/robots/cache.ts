/**
 * The robots.txt cache every crawler shares: one Redis key per origin
 * (`robots:<scheme>:<host:port>`, JSON, with a TTL), a short lock so that only one crawler
 * process fetches an origin's robots.txt at a time (`robots:lock:…`, SET NX PX), a counter of
 * consecutive unreachable fetches (`robots:failures:…`), and in front of it a bounded
 * in-process copy of the parsed files, kept no longer than the Redis key lives.
 *
 * @module
 */

import { robotsFailuresKey, robotsKey, robotsLockKey } from "../../../lib/frontier/mod.ts";
import { parseRobots, type RobotsOrigin, type RobotsPolicy } from "./policy.ts";
import { commandBatch, isRedisCluster, type RedisClient } from "../../../lib/services/mod.ts";

/** What the cache holds for an origin. */
export type RobotsEntry =
  /** Its robots.txt (a 2xx answer). */
  | { kind: "rules"; status: number; text: string }
  /** Everything allowed: a 4xx, too many redirects, or unreachable too often. */
  | { kind: "allow"; status: number | null; reason: string }
  /** Ask again when the entry expires (5xx, 429, unreachable): the domain waits. */
  | { kind: "retry"; status: number | null; reason: string };

/** An entry as a crawler uses it. */
export interface KnownRobots {
  readonly entry: RobotsEntry;
  /** The parsed rules of a `rules` entry; null for the others. */
  readonly policy: RobotsPolicy | null;
  /** When the entry expires, by this process's clock (`Date.now()` ms). */
  readonly expiresAt: number;
}

/** Options of {@linkcode RobotsCache}. */
export interface RobotsCacheOptions {
  /**
   * Origins kept parsed in this process.
   * @default {2000}
   */
  localEntries?: number;
  /**
   * Characters of robots.txt text kept parsed in this process.
   * @default {33554432}
   */
  localChars?: number;
  /**
   * The clock.
   * @default {Date.now}
   */
  now?: () => number;
}

/** The shared robots.txt cache of one crawler process. */
export class RobotsCache {
  readonly #redis: RedisClient;
  readonly #local = new Map<string, KnownRobots>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  readonly #now: () => number;
  #chars = 0;

  constructor(redis: RedisClient, opts: RobotsCacheOptions = {}) {
    this.#redis = redis;
    this.#maxEntries = opts.localEntries ?? 2000;
    this.#maxChars = opts.localChars ?? 32 * 1024 * 1024;
    this.#now = opts.now ?? Date.now;
  }

  /** The entry of `origin`, from this process or from Redis; null when nobody has it. */
  async get(origin: RobotsOrigin): Promise<KnownRobots | null> {
    const id = originId(origin);
    const local = this.#local.get(id);
    if (local !== undefined) {
      if (local.expiresAt > this.#now()) return local;
      this.#drop(id);
    }
    const key = robotsKey(origin.scheme, origin.hostPort);
    const [[, json], [, pttl]] = (await this.#redis.multi().get(key).pttl(key).exec()) as [
      [unknown, string | null],
      [unknown, number],
    ];
    if (json === null || pttl === -2) return null;
    const entry = decodeEntry(json);
    if (entry === null) return null; // not ours: fetched again, and overwritten
    const ttlMs = pttl > 0 ? pttl : 1000;
    return this.#keep(id, origin, entry, ttlMs);
  }

  /** Takes the fetch lock of `origin` for `ms`; false when another crawler holds it. */
  async lock(origin: RobotsOrigin, ms: number): Promise<boolean> {
    const key = robotsLockKey(origin.scheme, origin.hostPort);
    return (await this.#redis.set(key, "1", "PX", Math.max(1, Math.ceil(ms)), "NX")) === "OK";
  }

  /** Gives the fetch lock of `origin` up. */
  async unlock(origin: RobotsOrigin): Promise<void> {
    await this.#redis.del(robotsLockKey(origin.scheme, origin.hostPort));
  }

  /**
   * Stores the entry of `origin` for `ttlSec` seconds, for every crawler. An entry from a
   * response (not `retry`) also resets the origin's unreachable count.
   */
  async store(origin: RobotsOrigin, entry: RobotsEntry, ttlSec: number): Promise<KnownRobots> {
    const key = robotsKey(origin.scheme, origin.hostPort);
    // The entry and the reset count need not change at once: on Redis Cluster (two slots) they
    // go as two commands.
    const tx = (isRedisCluster(this.#redis) ? commandBatch(this.#redis) : this.#redis.multi())
      .set(key, JSON.stringify(entry), "EX", Math.max(1, ttlSec));
    if (entry.kind !== "retry") tx.del(robotsFailuresKey(origin.scheme, origin.hostPort));
    await tx.exec();
    return this.#keep(originId(origin), origin, entry, ttlSec * 1000);
  }

  /** Counts one more unreachable fetch of `origin` in a row (kept `ttlSec`); the new count. */
  async countFailure(origin: RobotsOrigin, ttlSec: number): Promise<number> {
    const key = robotsFailuresKey(origin.scheme, origin.hostPort);
    const [[, count]] = (await this.#redis.multi().incr(key).expire(key, ttlSec).exec()) as [
      [unknown, number],
    ];
    return count;
  }

  /** Resets the unreachable count of `origin`. */
  async clearFailures(origin: RobotsOrigin): Promise<void> {
    await this.#redis.del(robotsFailuresKey(origin.scheme, origin.hostPort));
  }

  #keep(id: string, origin: RobotsOrigin, entry: RobotsEntry, ttlMs: number): KnownRobots {
    const known: KnownRobots = {
      entry,
      policy: entry.kind === "rules" ? parseRobots(origin.robotsUrl, entry.text) : null,
      expiresAt: this.#now() + ttlMs,
    };
    this.#drop(id);
    this.#local.set(id, known);
    this.#chars += textLength(known);
    while (
      this.#local.size > this.#maxEntries || (this.#chars > this.#maxChars && this.#local.size > 1)
    ) {
      this.#drop(this.#local.keys().next().value!);
    }
    return known;
  }

  #drop(id: string): void {
    const known = this.#local.get(id);
    if (known === undefined) return;
    this.#chars -= textLength(known);
    this.#local.delete(id);
  }
}

/** `<scheme>:<host:port>`: the origin as one string. */
export function originId(origin: RobotsOrigin): string {
  return `${origin.scheme}:${origin.hostPort}`;
}

function textLength(known: KnownRobots): number {
  return known.entry.kind === "rules" ? known.entry.text.length : 0;
}

/** A stored entry, or null when the value is not one. */
export function decodeEntry(json: string): RobotsEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  const status = typeof v.status === "number" ? v.status : null;
  if (v.kind === "rules" && typeof v.text === "string" && status !== null) {
    return { kind: "rules", status, text: v.text };
  }
  if ((v.kind === "allow" || v.kind === "retry") && typeof v.reason === "string") {
    return { kind: v.kind, status, reason: v.reason };
  }
  return null;
}
