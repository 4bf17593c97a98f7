/**
 * One Kafka batch of the kafka-monitor: validates each message against the loaded plugins'
 * schemas in rank order, lets the first plugin that accepts it write, and sends the whole
 * batch to Redis in one pipeline: each message's own writes, then what the plugins deferred to
 * `flush()` (the scraper's one enqueue per crawl), then the stats counters, one increment per
 * name. Per request, a command of its own cost more than everything else the monitor does.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type ChainableCommander, ReplyError } from "ioredis";
import type { StatsCollector } from "../../lib/stats/mod.ts";
import { commandBatch, type RedisClient } from "../../lib/services/mod.ts";
import {
  type Classification,
  type Classified,
  createIntakeClassifier,
  type Unclassified,
} from "../../lib/api/mod.ts";
import { type KafkaMonitorPlugin, type RankedPlugin, RequestRejected } from "./plugin.ts";
import type { KafkaMonitorSettings } from "./settings.ts";
import { countIntake } from "../../lib/metrics/mod.ts";

/** What happened to one message. */
export type Outcome =
  | { status: "handled"; plugin: string }
  | { status: "failed"; reason: string; plugin?: string };

/** Everything {@linkcode processMessages} needs. */
export interface ProcessDeps {
  readonly settings: KafkaMonitorSettings;
  readonly redis: RedisClient;
  readonly plugins: readonly RankedPlugin[];
  readonly log: Logger;
  readonly stats: StatsCollector;
}

const LOGGED_DATA_CHARS = 500;

/** A message shortened for a log line. */
function preview(text: string): string {
  return text.length > LOGGED_DATA_CHARS ? `${text.slice(0, LOGGED_DATA_CHARS)}…` : text;
}

/**
 * Redis could not be reached for a batch (the pipeline, or one of its commands, failed for
 * want of a connection): none of its requests may be taken as stored; retry the whole batch.
 */
export class RedisUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Cannot store the batch: Redis unreachable (${(cause as Error)?.message ?? cause})`, {
      cause,
    });
    this.name = "RedisUnavailableError";
  }
}

/**
 * Validates and handles a batch of raw messages, writing everything to Redis in one pipeline
 * (`commandBatch()`): each message's own writes, then what the plugins deferred to `flush()`
 * (one enqueue per crawl), then the batch's stats counters, one increment per name.
 * Resolves with one outcome per message once Redis holds the writes (refusals are logged only
 * then, so a retried batch logs them once); rejects with {@linkcode RedisUnavailableError} (so
 * the batch is retried) when Redis itself cannot be reached.
 */
export async function processMessages(
  messages: readonly (string | null)[],
  deps: ProcessDeps,
): Promise<Outcome[]> {
  const { settings, redis, plugins, log, stats } = deps;
  // One pipeline; on Redis Cluster single commands batched per node (keys span the slots).
  const pipeline = commandBatch(redis);
  const now = Date.now();
  const outcomes: Outcome[] = [];
  // The commands each message's handle() added, to map command errors back to messages.
  const commandRanges: number[] = [];
  const matches: Classification<KafkaMonitorPlugin>[] = [];
  // Messages each deferring plugin handled, by index (their writes come with its flush()).
  const deferred = new Map<KafkaMonitorPlugin, number[]>();
  const handledBy = new Map<string, number>(); // plugin name → requests, for the stats
  let failures = 0;
  // Validators are compiled once and cached, so building this per batch costs little.
  // The intake contract REST `/feed` shares (lib/api/classify.ts).
  const classifier = createIntakeClassifier(plugins, settings);

  for (let i = 0; i < messages.length; i++) {
    const before = pipeline.length;
    const match = classifier.classifyMessage(messages[i] ?? "");
    let outcome: Outcome;
    if (match.ok) {
      const handling = handleOne(match, pipeline, now);
      outcome = handling instanceof Promise ? await handling : handling;
    } else outcome = { status: "failed", reason: _reason(match) };
    if (outcome.status === "handled") {
      handledBy.set(outcome.plugin, (handledBy.get(outcome.plugin) ?? 0) + 1);
      if (match.ok && match.plugin.flush) {
        const list = deferred.get(match.plugin);
        if (list) list.push(i);
        else deferred.set(match.plugin, [i]);
      }
    } else failures++;
    outcomes.push(outcome);
    matches.push(match);
    commandRanges.push(before, pipeline.length);
  }
  // The deferred writes, plugin by plugin in rank order.
  const flushes: { plugin: KafkaMonitorPlugin; from: number; to: number }[] = [];
  for (const { plugin } of plugins) {
    if (!deferred.has(plugin)) continue;
    const from = pipeline.length;
    await plugin.flush!(pipeline);
    flushes.push({ plugin, from, to: pipeline.length });
  }
  if (settings.STATS_TOTAL) {
    stats.increment(pipeline, "total", now, messages.length);
    stats.increment(pipeline, "fail", now, failures);
  }
  if (settings.STATS_PLUGINS) {
    for (const [name, count] of handledBy) stats.increment(pipeline, name, now, count);
  }

  const results = await _exec(pipeline);
  // A flushed command Redis refused (e.g. a key of the wrong type) holds many requests, some
  // perhaps stored before the error: each is written again alone, to fail only its own.
  const refused = new Map<number, Error>();
  for (const { plugin, from, to } of flushes) {
    if (_firstError(results, from, to) === null) continue;
    const requests = deferred.get(plugin)!.map((i) => {
      const match = matches[i] as Classified<KafkaMonitorPlugin>;
      return [i, match.request] as const;
    });
    for (const [i, err] of await _writeAlone(plugin, requests, redis)) refused.set(i, err);
  }
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i];
    const match = matches[i];
    if (outcome.status === "failed") {
      logFailure(log, outcome, messages[i] ?? "", match.ok ? null : match);
    }
  }
  // A command error Redis answered fails that message only; retrying the batch would fail the
  // same way forever.
  for (let i = 0; i < outcomes.length; i++) {
    const err = refused.get(i) ??
      _firstError(results, commandRanges[2 * i], commandRanges[2 * i + 1]);
    if (err && outcomes[i].status === "handled") {
      outcomes[i] = { status: "failed", reason: `Redis refused the write: ${err.message}` };
      log.error("Redis refused the write for a request: {reason}", {
        reason: err.message,
        data: preview(messages[i] ?? ""),
      });
    }
  }
  if (log.isEnabledFor("debug")) {
    for (const outcome of outcomes) {
      if (outcome.status === "handled") {
        log.debug("Request handled by {plugin}", {
          plugin: outcome.plugin,
          parsed: true,
          valid: true,
        });
      }
    }
  }
  countIntake(outcomes, matches.map((match) => match.ok ? null : match));
  return outcomes;
}

type _Results = [Error | null, unknown][];

/**
 * Runs a batch; without a connection ("Stream isn't writeable", "Command timed out",
 * connection closed) a command was not stored, or not known to be: the whole batch is retried.
 */
async function _exec(batch: ChainableCommander): Promise<_Results> {
  const results = await batch.exec().catch((err) => {
    throw new RedisUnavailableError(err);
  });
  if (results === null) throw new RedisUnavailableError("pipeline discarded");
  const unreachable = results.find(([e]) => e !== null && !(e instanceof ReplyError))?.[0];
  if (unreachable) throw new RedisUnavailableError(unreachable);
  return results;
}

function _firstError(results: _Results, from: number, to: number): Error | null {
  for (let c = from; c < to; c++) if (results[c][0] !== null) return results[c][0];
  return null;
}

/**
 * Writes a deferring plugin's requests one by one (handle, then flush) in one pipeline: the
 * error Redis gave each, by message index. Requests stored by the refused batch write meet
 * themselves in the dupefilter and stay as they are.
 */
async function _writeAlone(
  plugin: KafkaMonitorPlugin,
  requests: readonly (readonly [number, Record<string, unknown>])[],
  redis: RedisClient,
): Promise<Map<number, Error>> {
  const batch = commandBatch(redis);
  const errors = new Map<number, Error>();
  const ranges: [number, number, number][] = [];
  for (const [i, request] of requests) {
    const from = batch.length;
    try {
      await plugin.handle(request, batch);
      await plugin.flush!(batch);
    } catch (err) {
      // It accepted the request a moment ago; should it not now, it is refused all the same.
      errors.set(i, err instanceof Error ? err : new Error(String(err)));
    }
    ranges.push([i, from, batch.length]);
  }
  const results = await _exec(batch);
  for (const [i, from, to] of ranges) {
    const err = _firstError(results, from, to);
    if (err) errors.set(i, err);
  }
  return errors;
}

/** Runs the plugin the classifier chose; a plugin's refusal fails this message only. */
function handleOne(
  match: Classified<KafkaMonitorPlugin>,
  pipeline: ChainableCommander,
  now: number,
): Outcome | Promise<Outcome> {
  const { plugin, request } = match;
  // Scrapy Cluster stamps accepted requests with the time they were received.
  request.ts = now / 1000;
  const mark = pipeline.length;
  const refused = (err: unknown): Outcome => {
    if (pipeline.length !== mark) {
      // A plugin must not leave half its writes behind; ours never do.
      throw new Error(`plugin ${plugin.name} failed after queueing writes: ${err}`);
    }
    const reason = err instanceof RequestRejected ? err.message : `plugin error: ${err}`;
    return { status: "failed", reason, plugin: plugin.name };
  };
  const handled: Outcome = { status: "handled", plugin: plugin.name };
  try {
    const done = plugin.handle(request, pipeline);
    // Most plugins write synchronously: no promise to wait for per request.
    return done instanceof Promise ? done.then(() => handled, refused) : handled;
  } catch (err) {
    return refused(err);
  }
}

/** The parse error, or what every loaded plugin's schema said. */
function _reason(match: Unclassified): string {
  if (!match.parsed) return match.cause;
  return match.rejections
    .map(({ schema, errors }) => `${schema}: ${errors.slice(0, 3).join("; ")}`)
    .join(" | ") || "no plugin loaded";
}

function logFailure(
  log: Logger,
  outcome: Extract<Outcome, { status: "failed" }>,
  raw: string,
  match: Unclassified | null,
): void {
  const data = preview(raw);
  if (match?.tooLarge) {
    log.warn("Request too large: {reason}", {
      reason: outcome.reason,
      parsed: false,
      valid: false,
    });
    return;
  }
  if (match?.parsed === false) {
    log.warn("Unparseable JSON Received: {reason}", {
      reason: outcome.reason,
      data,
      parsed: false,
      valid: false,
    });
    return;
  }
  if (outcome.plugin) {
    log.error("Plugin {plugin} rejected the request: {reason}", { ...outcome, data });
    return;
  }
  if (match?.unhandledKind) {
    log.warn("No handler loaded for {kind} requests; enable one in PLUGINS", {
      kind: match.unhandledKind,
      data,
      parsed: true,
      valid: true,
    });
    return;
  }
  log.warn("Did not find schema to validate request: {reason}", {
    reason: outcome.reason,
    data,
    parsed: true,
    valid: false,
  });
}
