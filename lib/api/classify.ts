/**
 * The one answer to "which plugin handles this request?", shared by the kafka-monitor (which
 * then runs that plugin) and the rest service (which only refuses what the kafka-monitor would
 * refuse before it feeds Kafka). The loaded plugins are tried in rank order and the first whose
 * schema accepts the request handles it, so custom `PLUGINS` and `MAXDEPTH_LIMIT` mean the same
 * on both paths.
 *
 * An accepted request with a `url` whose host is a refused address literal (any spelling of
 * an IP the network guard refuses, or `localhost`) is refused here, with the reason as its
 * cause, unless the guard settings (`ALLOW_PRIVATE_ADDRESSES`, `ALLOWED_PRIVATE_NETWORKS`) open
 * it. No DNS is asked: names are checked by the crawler's guard when fetched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "./classify.ts";
 *
 * const classifier = createClassifier([
 *   { rank: 200, key: "stats_handler", plugin: { name: "StatsHandler", schema: "stats" } },
 *   { rank: 100, key: "scraper_handler", plugin: { name: "ScraperHandler", schema: "scraper" } },
 * ], { maxDepthLimit: 1 });
 * const crawl = classifier.classify({ url: "http://a.com", appid: "app", crawlid: "c" });
 * assert.ok(crawl.ok && crawl.plugin.name === "ScraperHandler");
 * const deep = classifier.classify({ url: "http://a.com", appid: "app", crawlid: "c", maxdepth: 2 });
 * assert.ok(!deep.ok && deep.cause === "scraper request: /maxdepth must be <= 1");
 * ```
 *
 * @module
 */

import type { Ranked } from "../config/plugin_loader.ts";
import { type NetworkGuardSettings, policyFromSettings, urlRefusal } from "../net/mod.ts";
import {
  createValidator,
  parseJsonMessage,
  REQUEST_KINDS,
  type RequestKind,
  type ValidationResult,
} from "./validation.ts";

/** What classifying needs of a plugin (the kafka-monitor's plugins have more). */
export interface RequestPlugin {
  /** Name in logs and stats keys, e.g. `ScraperHandler`. */
  readonly name: string;
  /** Schema in `schemas/` (file name without `.json`) a request must satisfy. */
  readonly schema: string;
}

/** Options of {@linkcode createClassifier}. */
export interface ClassifierOptions {
  /**
   * Highest `maxdepth` a crawl request may ask for (`MAXDEPTH_LIMIT`).
   *
   * @default {3}
   */
  maxDepthLimit?: number;
  /**
   * Largest message {@linkcode Classifier.classifyMessage} parses, in UTF-8 bytes.
   *
   * @default {Infinity}
   */
  maxBytes?: number;
  /**
   * The network guard settings seeds are judged by (pass the component's settings).
   *
   * @default {{ ALLOW_PRIVATE_ADDRESSES: false, ALLOWED_PRIVATE_NETWORKS: [] }}
   */
  network?: NetworkGuardSettings;
}

/** What one plugin's schema said about a request it refused. */
export interface Rejection {
  readonly schema: string;
  readonly errors: readonly string[];
}

/** A request a plugin accepts; `request` is a copy with the schema defaults filled in. */
export interface Classified<P> {
  readonly ok: true;
  readonly plugin: P;
  readonly request: Record<string, unknown>;
}

/** A request no loaded plugin accepts. */
export interface Unclassified {
  readonly ok: false;
  /**
   * Why, in one line for an answer or a log: the parse error, `the request must be a JSON
   * object`, the disabled kind, or the errors of the schema that came closest (fewest errors,
   * then lowest rank), e.g. `scraper request: /maxdepth must be <= 3`.
   */
  readonly cause: string;
  /** False when the message was not JSON or too large. */
  readonly parsed: boolean;
  /** True when the message was refused for its size, before parsing (`maxBytes`). */
  readonly tooLarge?: true;
  /** Every loaded plugin's refusal, in rank order (empty when not parsed). */
  readonly rejections: readonly Rejection[];
  /** A built-in request kind whose schema accepts the request although no plugin has it. */
  readonly unhandledKind?: RequestKind;
}

/** The outcome of classifying one request. */
export type Classification<P> = Classified<P> | Unclassified;

/** Classifies requests for one list of loaded plugins. */
export interface Classifier<P> {
  /** Classifies a parsed request. */
  classify(value: unknown): Classification<P>;
  /** Parses a raw message (refusing more than `maxBytes`), then classifies it. */
  classifyMessage(raw: string): Classification<P>;
}

// Only to recognise a disabled kind: any depth is that kind, whatever MAXDEPTH_LIMIT says.
const ANY_DEPTH = 1_000_000;

/**
 * Builds a classifier over `plugins` (as `loadRankedPlugins` returns them), tried by rank, ties
 * by key. Every schema is compiled here, so a plugin naming a missing schema fails at start.
 */
export function createClassifier<P extends RequestPlugin>(
  plugins: readonly Ranked<P>[],
  opts: ClassifierOptions = {},
): Classifier<P> {
  const maxBytes = opts.maxBytes ?? Infinity;
  const policy = policyFromSettings(
    opts.network ?? { ALLOW_PRIVATE_ADDRESSES: false, ALLOWED_PRIVATE_NETWORKS: [] },
  );
  const ordered = [...plugins]
    .sort((a, b) => a.rank - b.rank || a.key.localeCompare(b.key))
    .map(({ plugin }) => ({
      plugin,
      validate: createValidator(plugin.schema, { maxDepthLimit: opts.maxDepthLimit ?? 3 }),
    }));
  const loaded = new Set(ordered.map(({ plugin }) => plugin.schema));
  const unloaded = REQUEST_KINDS.filter((kind) => !loaded.has(kind)).map((kind) => ({
    kind,
    validate: createValidator(kind, { maxDepthLimit: ANY_DEPTH }),
  }));

  const classify = (value: unknown): Classification<P> => {
    const rejections: Rejection[] = [];
    for (const { plugin, validate } of ordered) {
      const result: ValidationResult = validate(value);
      if (result.ok) {
        const url = result.value.url;
        const refusal = typeof url === "string" ? urlRefusal(url, policy) : null;
        if (refusal === null) return { ok: true, plugin, request: result.value };
        const cause = `url: ${refusal.message}`;
        return {
          ok: false,
          cause,
          parsed: true,
          rejections: [{ schema: plugin.schema, errors: [cause] }],
        };
      }
      rejections.push({ schema: plugin.schema, errors: result.errors });
    }
    const unhandledKind = unloaded.find(({ validate }) => validate(value).ok)?.kind;
    return {
      ok: false,
      cause: _cause(value, rejections, unhandledKind),
      parsed: true,
      rejections,
      ...(unhandledKind && { unhandledKind }),
    };
  };

  return {
    classify,
    classifyMessage(raw) {
      const parsed = parseJsonMessage(raw, { maxBytes });
      if (!parsed.ok) {
        return {
          ok: false,
          cause: parsed.error,
          parsed: false,
          rejections: [],
          ...(parsed.tooLarge && { tooLarge: true as const }),
        };
      }
      return classify(parsed.value);
    },
  };
}

/** The settings that decide which requests are accepted, shared by both intake paths. */
export interface IntakeSettings extends Partial<NetworkGuardSettings> {
  /** Highest `maxdepth` a crawl request may ask for. */
  readonly MAXDEPTH_LIMIT: number;
  /** Largest request in UTF-8 bytes (the kafka-monitor's `MAX_REQUEST_BYTES`). */
  readonly MAX_REQUEST_BYTES: number;
}

/**
 * The one intake contract: the classifier both the kafka-monitor and REST `/feed` build from
 * their settings, so they accept and refuse exactly the same messages for the same causes
 * (size, JSON, schemas — http/https URLs with a host, `expires` >= 0 — and address literals).
 * Give it the raw message text ({@linkcode Classifier.classifyMessage}); a leading BOM is
 * dropped on both paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createIntakeClassifier } from "./classify.ts";
 *
 * const intake = createIntakeClassifier([
 *   { rank: 100, key: "scraper_handler", plugin: { name: "ScraperHandler", schema: "scraper" } },
 * ], { MAXDEPTH_LIMIT: 3, MAX_REQUEST_BYTES: 64 });
 * const big = intake.classifyMessage(JSON.stringify({ url: "a.com/" + "x".repeat(64) }));
 * assert.ok(!big.ok && big.tooLarge);
 * ```
 */
export function createIntakeClassifier<P extends RequestPlugin>(
  plugins: readonly Ranked<P>[],
  settings: IntakeSettings,
): Classifier<P> {
  return createClassifier(plugins, {
    maxDepthLimit: settings.MAXDEPTH_LIMIT,
    maxBytes: settings.MAX_REQUEST_BYTES,
    network: {
      ALLOW_PRIVATE_ADDRESSES: settings.ALLOW_PRIVATE_ADDRESSES ?? false,
      ALLOWED_PRIVATE_NETWORKS: settings.ALLOWED_PRIVATE_NETWORKS ?? [],
    },
  });
}

function _cause(
  value: unknown,
  rejections: readonly Rejection[],
  unhandledKind: RequestKind | undefined,
): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "the request must be a JSON object";
  }
  if (unhandledKind) return `no loaded plugin handles ${unhandledKind} requests (see PLUGINS)`;
  if (rejections.length === 0) return "no plugin loaded";
  const closest = rejections.reduce((best, r) => r.errors.length < best.errors.length ? r : best);
  return `${closest.schema} request: ${closest.errors.slice(0, 3).join("; ")}`;
}
