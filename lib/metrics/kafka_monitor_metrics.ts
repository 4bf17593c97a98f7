/**
 * The kafka-monitor's metrics: requests accepted, by the plugin that took them, and rejected,
 * by a reason from a small fixed set ({@linkcode REJECT_REASONS}). Counted once per batch that
 * Redis took, so a batch retried during an outage is not counted twice.
 *
 * @module
 */

import { Counter } from "prom-client";
import type { Unclassified } from "../api/mod.ts";
import { METRIC_PREFIX, metricGroup } from "./registry.ts";

/** Why a request was rejected. */
export const REJECT_REASONS = [
  "too_large", // over MAX_REQUEST_BYTES
  "unparseable", // not JSON, or not a JSON object
  "invalid", // no loaded schema accepts it
  "no_handler", // a known kind whose plugin is not in PLUGINS
  "plugin_refused", // the plugin refused it (e.g. a blocked seed)
  "redis_refused", // Redis answered the write with an error
] as const;

/** One of {@linkcode REJECT_REASONS}. */
export type RejectReason = typeof REJECT_REASONS[number];

/** The kafka-monitor's metric definitions (built once per registry). */
export const kafkaMonitorMetrics = metricGroup((registry) => ({
  accepted: new Counter({
    name: `${METRIC_PREFIX}kafka_monitor_accepted_total`,
    help: "Requests accepted and written to Redis, by the plugin that handled them.",
    labelNames: ["plugin"] as const,
    registers: [registry],
  }),
  rejected: new Counter({
    name: `${METRIC_PREFIX}kafka_monitor_rejected_total`,
    help: `Requests rejected, by reason (${REJECT_REASONS.join(", ")}).`,
    labelNames: ["reason"] as const,
    registers: [registry],
  }),
}));

/** What happened to one message (the kafka-monitor's `Outcome`). */
export type CountedOutcome =
  | { status: "handled"; plugin: string }
  | { status: "failed"; reason: string; plugin?: string };

/** The reason label of a failed outcome, given the classifier's verdict when it had one. */
export function rejectReason(
  outcome: Extract<CountedOutcome, { status: "failed" }>,
  match: Unclassified | null,
): RejectReason {
  if (match === null) return outcome.plugin ? "plugin_refused" : "redis_refused";
  if (match.tooLarge) return "too_large";
  if (!match.parsed) return "unparseable";
  return match.unhandledKind ? "no_handler" : "invalid";
}

/**
 * Counts a batch's outcomes; `matches[i]` is the classifier's verdict on message i when it
 * refused it (null when a plugin was chosen).
 */
export function countIntake(
  outcomes: readonly CountedOutcome[],
  matches: readonly (Unclassified | null)[],
): void {
  const m = kafkaMonitorMetrics();
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "handled") m.accepted.labels(outcome.plugin).inc();
    else m.rejected.labels(rejectReason(outcome, matches[i] ?? null)).inc();
  });
}
