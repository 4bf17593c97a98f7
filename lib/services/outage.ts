/**
 * Outages reported once, clearly: an {@linkcode OutageReporter} logs ONE warning when a
 * component loses a service ("kafka-monitor: Redis unreachable at 127.0.0.1:6379/0; pausing
 * intake, will retry") and ONE info line when it is back ("kafka-monitor: Redis back at
 * 127.0.0.1:6379/0 after 7.2 s"), however many errors the client library raises in between.
 * {@linkcode RepeatFilter} collapses a flood of identical lines (kafkajs logs each failed
 * reconnect) into the first one and then one summary per interval.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { OutageReporter } from "./outage.ts";
 *
 * let t = 0;
 * const redis = new OutageReporter({
 *   log: getLogger(["crawl-cluster", "example"]),
 *   component: "kafka-monitor",
 *   service: "Redis",
 *   where: "127.0.0.1:6379/0",
 *   meanwhile: "pausing intake, will retry",
 *   now: () => t,
 * });
 * redis.down(new Error("connect ECONNREFUSED")); // one warning
 * redis.down(new Error("connect ECONNREFUSED")); // nothing
 * t = 7_200;
 * const seconds = redis.up(); // one info: "... back ... after 7.2 s"
 * if (seconds !== 7.2 || redis.isDown) throw new Error("unexpected");
 * ```
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";

/** Options of {@linkcode OutageReporter}. */
export interface OutageReporterOptions {
  /** Where the two lines go. */
  log: Logger;
  /** Who loses the service ("kafka-monitor"). */
  component: string;
  /** The service ("Redis", "Kafka", "ZooKeeper"). */
  service: string;
  /** Its address, never with a password ("127.0.0.1:6379/0"). */
  where: string;
  /**
   * What the component does meanwhile ("pausing intake, will retry").
   * @default {"will retry"}
   */
  meanwhile?: string;
  /**
   * The clock in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
}

/** One service as one component sees it: up until {@linkcode down}, then up again. */
export class OutageReporter {
  readonly #opts: OutageReporterOptions;
  readonly #now: () => number;
  #downSince: number | null = null;
  #listeners = new Set<(down: boolean) => void>();

  constructor(opts: OutageReporterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Whether the service is lost now. */
  get isDown(): boolean {
    return this.#downSince !== null;
  }

  /**
   * The service is unreachable: the first call after it was up logs one warning (with the
   * first error's message); further calls do nothing until {@linkcode up}.
   */
  down(cause?: unknown): void {
    if (this.#downSince !== null) return;
    this.#downSince = this.#now();
    const { log, component, service, where } = this.#opts;
    const reason = cause === undefined ? "" : ` (${_message(cause)})`;
    log.warn(`{component}: {service} unreachable at {where}{reason}; {meanwhile}`, {
      component,
      service,
      where,
      reason,
      meanwhile: this.#opts.meanwhile ?? "will retry",
    });
    for (const listener of this.#listeners) listener(true);
  }

  /**
   * The service answers again: after a {@linkcode down}, logs one info line with the outage's
   * duration and returns it in seconds (one decimal); otherwise does nothing and returns null.
   */
  up(): number | null {
    if (this.#downSince === null) return null;
    const seconds = Math.round((this.#now() - this.#downSince) / 100) / 10;
    this.#downSince = null;
    const { log, component, service, where } = this.#opts;
    log.info("{component}: {service} back at {where} after {seconds} s", {
      component,
      service,
      where,
      seconds: seconds.toFixed(1),
    });
    for (const listener of this.#listeners) listener(false);
    return seconds;
  }

  /** Calls `listener(true)` on each outage's start and `listener(false)` at its end. */
  onChange(listener: (down: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Options of {@linkcode RepeatFilter}. */
export interface RepeatFilterOptions {
  /**
   * After the first line of a kind, at most one summary line per this many milliseconds.
   * @default {10_000}
   */
  intervalMs?: number;
  /**
   * The clock in milliseconds.
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Kinds remembered at most (the oldest is forgotten first).
   * @default {100}
   */
  maxKeys?: number;
}

/**
 * Rate-limits repeated log lines: the first line of a kind passes, then one line per
 * `intervalMs` that carries how many were suppressed since the last one passed.
 */
export class RepeatFilter {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #seen = new Map<string, { last: number; suppressed: number }>();

  constructor(opts: RepeatFilterOptions = {}) {
    this.#intervalMs = opts.intervalMs ?? 10_000;
    this.#now = opts.now ?? Date.now;
    this.#maxKeys = opts.maxKeys ?? 100;
  }

  /**
   * Whether a line of kind `key` should be logged now: `null` when it is suppressed, else the
   * number of lines of that kind suppressed since the last one logged (0 for the first).
   */
  admit(key: string): number | null {
    const t = this.#now();
    const entry = this.#seen.get(key);
    if (entry !== undefined && t - entry.last < this.#intervalMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.#seen.delete(key); // re-inserted last: the map's order is least recently logged first
    this.#seen.set(key, { last: t, suppressed: 0 });
    if (this.#seen.size > this.#maxKeys) {
      this.#seen.delete(this.#seen.keys().next().value as string);
    }
    return suppressed;
  }
}

function _message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
