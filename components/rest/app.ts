/**
 * The rest service as one `(Request) => Promise<Response>` handler (Scrapy Cluster's
 * rest_service.py endpoints): `GET|POST /` health, `POST /feed` (a Kafka Monitor API request,
 * answered inline when it expects an answer, or with a `poll_id`), `POST /poll`. The routes are
 * wrapped in small middleware (`middleware/`: CORS, counters, errors → envelope, the `Host`
 * check without API keys, methods, API key, deadline, body limit), stacked in one place
 * below. `/feed` classifies a request with the kafka-monitor's plugins (`lib/api/classify.ts`),
 * so it refuses exactly what the kafka-monitor would. `main.ts` serves the handler with
 * `Deno.serve`; tests call it directly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 *
 * const app = createApp({
 *   settings: {
 *     WAIT_FOR_RESPONSE_TIME: 5,
 *     MAX_BODY_BYTES: 1024,
 *     REQUEST_TIMEOUT: 30,
 *     CORS_ALLOWED_ORIGINS: [],
 *     REST_API_KEYS: [],
 *     MAXDEPTH_LIMIT: 3,
 *     REST_HOST: "127.0.0.1",
 *     REST_PORT: 5343,
 *   },
 *   plugins: [{ rank: 100, key: "scraper_handler", plugin: { name: "Scraper", schema: "scraper" } }],
 *   feeder: { connected: true, send: () => Promise.resolve() },
 *   answers: { connected: true, expect: () => ({ answer: new Promise(() => {}), cancel() {} }) },
 *   polls: { connected: false, take: () => Promise.resolve(null) },
 * });
 * const health = await (await app(new Request("http://localhost:5343/"))).json();
 * assert.equal(health.node_health, "YELLOW");
 * ```
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { PROCESS_ID } from "../../lib/stats/mod.ts";
import { MessageTooLargeError } from "../../lib/services/mod.ts";
import { getLog, type Ranked } from "../../lib/config/mod.ts";
import { createIntakeClassifier, createValidator, type RequestPlugin } from "../../lib/api/mod.ts";
import type { AnswerSource, Expectation } from "./answers.ts";
import { scopeForRequest } from "./auth.ts";
import { readJsonBody, readJsonText } from "./body.ts";
import { HttpError, MESSAGES, successResponse } from "./errors.ts";
import { type Feeder, KafkaUnavailableError } from "./feeder.ts";
import {
  allowMethods,
  bodyLimit,
  CATCH_ALL_METHODS,
  catchErrors,
  checkScope,
  compose,
  type Context,
  cors,
  countRequests,
  deadline,
  type Handler,
  hostCheck,
  type Middleware,
  newContext,
  passThrough,
  requireApiKey,
  requireScope,
  router,
} from "./middleware/mod.ts";
import type { PollStore } from "./polls.ts";
import type { RequestCounter } from "./stats.ts";
import { countRouteMetrics, metricsRoutes } from "./metrics_route.ts";
import type { DashboardState } from "./ui_state.ts";
import { uiRoutes } from "./ui_routes.ts";

/** The settings the handler reads (see `REST_SETTINGS`). */
export interface AppSettings {
  readonly WAIT_FOR_RESPONSE_TIME: number;
  readonly MAX_BODY_BYTES: number;
  readonly REQUEST_TIMEOUT: number;
  readonly CORS_ALLOWED_ORIGINS: readonly string[];
  readonly REST_API_KEYS: readonly string[];
  readonly MAXDEPTH_LIMIT: number;
  /**
   * Largest `/feed` request in bytes, the kafka-monitor's limit (refused with 413 and its cause).
   *
   * @default {262144}
   */
  readonly MAX_REQUEST_BYTES?: number;
  /** With `REST_PORT`: the address requests must name in `Host` when there are no API keys. */
  readonly REST_HOST: string;
  readonly REST_PORT: number;
  /** Seeds whose host is a refused address literal are rejected unless this is true. */
  readonly ALLOW_PRIVATE_ADDRESSES?: boolean;
  /** CIDRs such seeds may name all the same. */
  readonly ALLOWED_PRIVATE_NETWORKS?: readonly string[];
}

/** What {@linkcode createApp} needs: the outside world behind small interfaces. */
export interface RestDeps {
  readonly settings: AppSettings;
  /** The kafka-monitor's plugins (`PLUGINS`) `/feed` classifies with; never run here. */
  readonly plugins: readonly Ranked<RequestPlugin>[];
  /** Puts `/feed` requests on Kafka. */
  readonly feeder: Feeder;
  /** Answers of the redis-monitor. */
  readonly answers: AnswerSource;
  /** Late answers for `/poll`. */
  readonly polls: PollStore;
  /** Counts requests for the Stats API. */
  readonly stats?: RequestCounter;
  /** The dashboard's data (`/ui/api/state`); without it that route answers 404. */
  readonly dashboard?: DashboardState;
  /** @default {getLog("rest")} */
  readonly log?: Logger;
  /**
   * Live connection state for the health answer (`kafka_connected`, `redis_connected`): the
   * service passes its probes. @default {the feeder, answer consumer and poll store's own state}
   */
  readonly health?: { readonly kafka: boolean; readonly redis: boolean };
  /** `my_id` of the health answer. @default {PROCESS_ID} */
  readonly id?: string;
  /** The clock in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/** The rest service's HTTP handler. */
export type RestHandler = (req: Request) => Promise<Response>;

/** Builds the handler. */
export function createApp(deps: RestDeps): RestHandler {
  const { settings, feeder, answers, polls } = deps;
  const log = deps.log ?? getLog("rest");
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const myId = deps.id ?? PROCESS_ID;
  // The intake contract the kafka-monitor shares (lib/api/classify.ts).
  const classifier = createIntakeClassifier(deps.plugins, {
    ...settings,
    MAX_REQUEST_BYTES: settings.MAX_REQUEST_BYTES ?? 256 * 1024,
  });
  const validatePoll = createValidator("poll");

  const readBody = async (req: Request, ctx: Context) => {
    const body = await readJsonBody(req, { signal: ctx.signal });
    ctx.phase = "process";
    return body;
  };

  const index: Handler = (req) => {
    const kafka = deps.health ? deps.health.kafka : feeder.connected && answers.connected;
    const redis = deps.health ? deps.health.redis : polls.connected;
    const health = {
      kafka_connected: kafka,
      my_id: myId,
      node_health: kafka && redis ? "GREEN" : kafka || redis ? "YELLOW" : "RED",
      redis_connected: redis,
      uptime_sec: Math.floor((now() - startedAt) / 1000),
    };
    return Promise.resolve(
      req.method === "HEAD"
        ? new Response(null, { headers: { "content-type": "application/json" } })
        : Response.json(health),
    );
  };

  const feed: Handler = async (req, ctx) => {
    const text = await readJsonText(req, { signal: ctx.signal });
    ctx.phase = "process";
    // The raw text, classified exactly as the kafka-monitor will classify it.
    const match = classifier.classifyMessage(text);
    if (!match.ok) {
      if (match.tooLarge) throw new HttpError(413, MESSAGES.tooLarge, { detail: match.cause });
      if (!match.parsed) throw new HttpError(400, MESSAGES.invalidJson, { detail: match.cause });
      throw new HttpError(400, MESSAGES.schema, { detail: match.cause });
    }
    // The key's scopes (REST_API_KEYS): a poll-only dashboard key cannot stop a crawl.
    const { schema } = match.plugin;
    checkScope(ctx, scopeForRequest(schema, match.request), _describe(schema, match.request));
    // Only crawl requests go unanswered; every other kind is answered by the redis-monitor.
    const uuid = match.plugin.schema !== "scraper" ? match.request.uuid : undefined;
    // Registered before producing: an answer faster than the acknowledgement is not missed.
    const expectation = typeof uuid === "string" ? answers.expect(uuid) : null;
    try {
      // The request as it came: the kafka-monitor fills the defaults itself.
      await feeder.send(text);
    } catch (err) {
      expectation?.cancel();
      if (err instanceof MessageTooLargeError) {
        throw new HttpError(413, MESSAGES.tooLarge, { detail: err.message });
      }
      // The failure that marked Kafka down was logged by the feeder; these would only repeat it.
      if (!(err instanceof KafkaUnavailableError)) {
        log.warn("Cannot feed a request to Kafka: {error}", { error: _message(err) });
      }
      throw new HttpError(500, MESSAGES.kafka);
    }
    if (expectation === null) return successResponse("null");
    const answer = await _waitFor(
      expectation,
      settings.WAIT_FOR_RESPONSE_TIME * 1000,
      ctx.signal,
    );
    if (answer !== undefined) return successResponse(answer);
    log.debug("No answer for {uuid} in time; answering with a poll_id", { uuid });
    return successResponse(JSON.stringify({ poll_id: uuid }));
  };

  const poll: Handler = async (req, ctx) => {
    const { value } = await readBody(req, ctx);
    const result = validatePoll(value);
    if (!result.ok) {
      throw new HttpError(400, MESSAGES.schema, { detail: result.errors.join("; ") });
    }
    const pollId = result.value.poll_id as string;
    if (!polls.connected) throw new HttpError(500, MESSAGES.redis);
    let stored: string | null;
    try {
      stored = await polls.take(pollId);
    } catch (err) {
      log.warn("Cannot read poll {pollId} from Redis: {error}", { pollId, error: _message(err) });
      throw new HttpError(500, MESSAGES.redis);
    }
    if (stored === null) throw new HttpError(404, MESSAGES.pollNotFound);
    try {
      JSON.parse(stored);
    } catch {
      // GETDEL already removed it.
      log.warn("Unparseable JSON in Redis for poll {pollId}", { pollId });
      throw new HttpError(500, MESSAGES.unparseable);
    }
    return successResponse(stored);
  };

  // Every wrapper in one place: outermost first.
  // `/feed` checks its scope once it knows what the request is (`scopeForRequest`).
  const route = (name: string, methods: string[], auth: Middleware | null, handler: Handler) => ({
    name,
    handler: compose(
      // Scrapy Cluster's catch-all serves GET/POST on every path: `GET /feed` is 404 there.
      allowMethods(methods, { notFoundFor: CATCH_ALL_METHODS }),
      auth ? compose(requireApiKey(settings.REST_API_KEYS), auth) : passThrough,
      _logCall(log, name),
      deadline(settings.REQUEST_TIMEOUT * 1000),
      bodyLimit(settings.MAX_BODY_BYTES),
    )(handler),
  });
  const handler = compose(
    cors(settings.CORS_ALLOWED_ORIGINS),
    countRequests(deps.stats),
    countRouteMetrics(), // Prometheus: answers by route and code
    catchErrors(log),
    // Without API keys, only requests addressed to this server (DNS rebinding defeated).
    hostCheck(
      settings.REST_API_KEYS.length === 0
        ? { hostname: settings.REST_HOST, port: settings.REST_PORT }
        : null,
    ),
  )(router({
    "/": route("index", ["GET", "HEAD", "POST"], null, index),
    "/feed": route("feed", ["POST"], passThrough, feed),
    "/poll": route("poll", ["POST"], requireScope("poll", "POST /poll"), poll),
    ...metricsRoutes(route), // GET /metrics (Prometheus)
    ...uiRoutes(route, deps.dashboard), // the dashboard: /ui/, its files and its data
  }));
  return (req) => handler(req, newContext());
}

/** How a 403 names a `/feed` request: its action, or its kind. */
function _describe(schema: string, request: Readonly<Record<string, unknown>>): string {
  if (typeof request.action === "string") return `action '${request.action}'`;
  return schema === "scraper" ? "a crawl request" : `a ${schema} request`;
}

/** Logs each call that passed the method and key checks. */
function _logCall(log: Logger, endpoint: string): Middleware {
  return (next) => (req, ctx) => {
    log.debug("'{endpoint}' endpoint called", { endpoint });
    return next(req, ctx);
  };
}

/** The answer, or undefined once `ms` passed or `signal` aborted (the wait is then cancelled). */
function _waitFor(
  expectation: Expectation,
  ms: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (answer === undefined) expectation.cancel();
      resolve(answer);
    };
    const onAbort = () => done(undefined);
    const timer = setTimeout(onAbort, ms);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    expectation.answer.then(done);
  });
}

function _message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
