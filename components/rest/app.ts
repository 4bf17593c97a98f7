/**
 * The rest service as one `(Request) => Promise<Response>` handler (Scrapy Cluster's
 * rest_service.py endpoints): `GET|POST /` health, `POST /feed` (a Kafka Monitor API request,
 * answered inline when it expects an answer, or with a `poll_id`), `POST /poll`. Handlers throw
 * {@linkcode HttpError}; this module turns every error into the envelope in one place, never
 * showing a stack trace. `main.ts` serves it with `Deno.serve`; tests call it directly.
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
 *   },
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
import { PROCESS_ID } from "../../lib/stats/heartbeat.ts";
import { MessageTooLargeError } from "../../lib/services/kafka.ts";
import { getLog } from "../../lib/config/log.ts";
import { createValidator, REQUEST_KINDS, type RequestKind } from "../../lib/api/validation.ts";
import type { AnswerSource, Expectation } from "./answers.ts";
import { apiKeyCheck } from "./auth.ts";
import { readJsonBody } from "./body.ts";
import { createCors } from "./cors.ts";
import { errorResponse, HttpError, MESSAGES, successResponse } from "./errors.ts";
import { type Feeder, KafkaUnavailableError } from "./feeder.ts";
import type { PollStore } from "./polls.ts";
import type { RequestCounter } from "./stats.ts";

/** The settings the handler reads (see `REST_SETTINGS`). */
export interface AppSettings {
  readonly WAIT_FOR_RESPONSE_TIME: number;
  readonly MAX_BODY_BYTES: number;
  readonly REQUEST_TIMEOUT: number;
  readonly CORS_ALLOWED_ORIGINS: readonly string[];
  readonly REST_API_KEYS: readonly string[];
  readonly MAXDEPTH_LIMIT: number;
}

/** What {@linkcode createApp} needs: the outside world behind small interfaces. */
export interface RestDeps {
  readonly settings: AppSettings;
  /** Puts `/feed` requests on Kafka. */
  readonly feeder: Feeder;
  /** Answers of the redis-monitor. */
  readonly answers: AnswerSource;
  /** Late answers for `/poll`. */
  readonly polls: PollStore;
  /** Counts requests for the Stats API. */
  readonly stats?: RequestCounter;
  /** @default {getLog("rest")} */
  readonly log?: Logger;
  /** `my_id` of the health answer. @default {PROCESS_ID} */
  readonly id?: string;
  /** The clock in epoch milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/** The rest service's HTTP handler. */
export type RestHandler = (req: Request) => Promise<Response>;

interface Context {
  readonly req: Request;
  /** Aborts when the request timeout passes. */
  readonly signal: AbortSignal;
  /** Where the request is, to tell a slow body (408) from slow processing (503). */
  phase: "body" | "process";
}

interface Route {
  readonly name: string;
  readonly methods: readonly string[];
  readonly auth: boolean;
  readonly handle: (ctx: Context) => Promise<Response> | Response;
}

/** Builds the handler. */
export function createApp(deps: RestDeps): RestHandler {
  const { settings, feeder, answers, polls } = deps;
  const log = deps.log ?? getLog("rest");
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const myId = deps.id ?? PROCESS_ID;
  const checkKey = apiKeyCheck(settings.REST_API_KEYS);
  const cors = createCors(settings.CORS_ALLOWED_ORIGINS);
  const requestValidators = REQUEST_KINDS.map((kind) => ({
    kind,
    validate: createValidator(kind, { maxDepthLimit: settings.MAXDEPTH_LIMIT }),
  }));
  const validatePoll = createValidator("poll");

  const readBody = async (ctx: Context) => {
    const body = await readJsonBody(ctx.req, {
      maxBytes: settings.MAX_BODY_BYTES,
      signal: ctx.signal,
    });
    ctx.phase = "process";
    return body;
  };

  const index = (ctx: Context): Response => {
    const kafka = feeder.connected && answers.connected;
    const redis = polls.connected;
    const health = {
      kafka_connected: kafka,
      my_id: myId,
      node_health: kafka && redis ? "GREEN" : kafka || redis ? "YELLOW" : "RED",
      redis_connected: redis,
      uptime_sec: Math.floor((now() - startedAt) / 1000),
    };
    return ctx.req.method === "HEAD"
      ? new Response(null, { headers: { "content-type": "application/json" } })
      : Response.json(health);
  };

  const feed = async (ctx: Context): Promise<Response> => {
    const { text, value } = await readBody(ctx);
    const kind = _requestKind(value, requestValidators);
    const uuid = kind !== "scraper" ? (value as { uuid?: unknown }).uuid : undefined;
    // Registered before producing: an answer faster than the acknowledgement is not missed.
    const expectation = typeof uuid === "string" ? answers.expect(uuid) : null;
    try {
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

  const poll = async (ctx: Context): Promise<Response> => {
    const { value } = await readBody(ctx);
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

  const routes = new Map<string, Route>([
    ["/", { name: "index", methods: ["GET", "HEAD", "POST"], auth: false, handle: index }],
    ["/feed", { name: "feed", methods: ["POST"], auth: true, handle: feed }],
    ["/poll", { name: "poll", methods: ["POST"], auth: true, handle: poll }],
  ]);

  const dispatch = async (req: Request, route: Route): Promise<Response> => {
    if (req.method === "OPTIONS") {
      const allow = [...route.methods, "OPTIONS"];
      return new Response(null, {
        status: 204,
        headers: { allow: allow.join(", "), ...cors?.preflightHeaders(req, allow) },
      });
    }
    if (!route.methods.includes(req.method)) {
      throw new HttpError(405, MESSAGES.method, {
        headers: { allow: [...route.methods, "OPTIONS"].join(", ") },
      });
    }
    if (route.auth && checkKey !== null && !checkKey(req)) {
      throw new HttpError(401, MESSAGES.unauthorized, {
        headers: { "www-authenticate": 'Bearer realm="crawl-cluster"' },
      });
    }
    log.debug("'{endpoint}' endpoint called", { endpoint: route.name });
    return await _withDeadline(req, settings.REQUEST_TIMEOUT * 1000, route.handle);
  };

  return async (req: Request): Promise<Response> => {
    let route: Route | undefined;
    let res: Response;
    try {
      route = routes.get(new URL(req.url).pathname);
      if (route === undefined) throw new HttpError(404, MESSAGES.notFound);
      res = await dispatch(req, route);
    } catch (err) {
      if (err instanceof HttpError) {
        res = errorResponse(err);
      } else {
        log.error("Unexpected error on {method} {url}: {error}", {
          method: req.method,
          url: req.url,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        res = errorResponse(new HttpError(500, MESSAGES.internal));
      }
    }
    for (const [name, value] of Object.entries(cors?.headers(req) ?? {})) {
      res.headers.set(name, value);
    }
    deps.stats?.count(route?.name ?? null, res.status >= 400);
    return res;
  };
}

/**
 * Runs `handle` under the request timeout: the context's signal aborts when it passes, and a
 * timeout answers 408 while the body arrives, 503 after. (`req.signal` is not used: under
 * `Deno.serve` it also aborts after every successful response; a client that goes away while
 * `/feed` waits only leaves a wait that ends with WAIT_FOR_RESPONSE_TIME.)
 */
async function _withDeadline(
  req: Request,
  timeoutMs: number,
  handle: Route["handle"],
): Promise<Response> {
  const controller = new AbortController();
  const ctx: Context = { req, signal: controller.signal, phase: "body" };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        ctx.phase === "body"
          ? new HttpError(408, MESSAGES.bodyTimeout)
          : new HttpError(503, MESSAGES.timeout),
      );
      controller.abort();
    }, timeoutMs);
  });
  try {
    const handled = Promise.resolve().then(() => handle(ctx));
    handled.catch(() => {}); // may still fail after the timeout answered
    return await Promise.race([handled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first request kind whose schema accepts `value`, else a 400 naming the closest kind. */
function _requestKind(
  value: unknown,
  validators: readonly { kind: RequestKind; validate: ReturnType<typeof createValidator> }[],
): RequestKind {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, MESSAGES.schema, { detail: "the request must be a JSON object" });
  }
  let closest: { kind: RequestKind; errors: string[] } | null = null;
  for (const { kind, validate } of validators) {
    const result = validate(value);
    if (result.ok) return kind;
    if (closest === null || result.errors.length < closest.errors.length) {
      closest = { kind, errors: result.errors };
    }
  }
  const { kind, errors } = closest!;
  throw new HttpError(400, MESSAGES.schema, {
    detail: `${kind} request: ${errors.slice(0, 3).join("; ")}`,
  });
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
