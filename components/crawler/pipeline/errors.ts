/**
 * How a request can fail, and what the crawler does about it. Every step throws; one function,
 * {@linkcode classifyFailure}, decides from the error alone:
 *
 * - `retryable` — timeouts, connection and DNS errors, retryable HTTP statuses: the request
 *   goes back to the shared queue with priority − 10, up to `RETRY_TIMES`, then is given up;
 * - `permanent` — trying again cannot help (a redirect loop, an invalid URL, a spider whose
 *   `parse` throws): failed after one attempt, counted, acknowledged;
 * - `refused` — the cluster will not fetch it (the network guard refused its address,
 *   robots.txt disallows it): never fetched, logged with the reason, counted for the crawler and
 *   for the crawl, acknowledged — not retried;
 * - `delivery` — the page's output could not be handed on (producing its item to Kafka, or
 *   writing its follow-ups, retry or refusal count to Redis, failed: {@linkcode DeliveryError}):
 *   the lease is returned at once, the request keeps its place and is crawled again (not a
 *   retry: `retry_times` unchanged), and the crawler pauses its pops a moment;
 * - `poison` — a queue member that is not a request at all: dropped and acknowledged;
 * - `aborted` — the crawler is stopping: the lease is handed back at shutdown;
 * - `unexpected` — anything else (a bug): the lease is kept, so the request comes back when it
 *   expires (`LEASE_TIMEOUT`) — a bug is not retried in a tight loop.
 *
 * @module
 */

import { FetchError } from "../fetch/fetcher.ts";

/** What the crawler does with a failed request; see the module doc. */
export type FailureKind =
  | "retryable"
  | "permanent"
  | "refused"
  | "delivery"
  | "poison"
  | "aborted"
  | "unexpected";

/** Why a request was refused: the network guard, or robots.txt. */
export type RefusalReason = "network" | "robots";

/** A failure as {@linkcode classifyFailure} sees it. */
export interface Failure {
  kind: FailureKind;
  /** Why, for logs, events and error items. */
  reason: string;
  /** For `refused`: who refused it. */
  refusal?: RefusalReason;
}

/** The root of the crawler's own errors: `kind` says how the request is treated. */
export class CrawlError extends Error {
  readonly kind: "retryable" | "permanent" | "refused" | "poison";

  constructor(kind: CrawlError["kind"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CrawlError";
    this.kind = kind;
  }

  /** Whether trying the request again can help. */
  get retriable(): boolean {
    return this.kind === "retryable";
  }
}

/** A response worth asking for again (a status in `RETRY_HTTP_CODES`). */
export class RetryableError extends CrawlError {
  constructor(message: string, options?: ErrorOptions) {
    super("retryable", message, options);
    this.name = "RetryableError";
  }
}

/** A request that fails the same way however often it is tried. */
export class PermanentError extends CrawlError {
  constructor(message: string, options?: ErrorOptions) {
    super("permanent", message, options);
    this.name = "PermanentError";
  }
}

/** The spider's `parse` threw, rejected or returned something that is not an output. */
export class ParseError extends PermanentError {
  constructor(cause: unknown) {
    super(`parse failed: ${errorMessage(cause)}`, { cause });
    this.name = "ParseError";
  }
}

/** A request the cluster will not fetch (see {@linkcode RefusalReason}). */
export class RefusedError extends CrawlError {
  constructor(readonly refusal: RefusalReason, message: string, options?: ErrorOptions) {
    super("refused", message, options);
    this.name = "RefusedError";
  }
}

/**
 * Kafka or Redis did not take what a page produced (the item, follow-ups, a retry): nothing is
 * wrong with the request, it is simply crawled again.
 */
export class DeliveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DeliveryError";
  }
}

/** Awaits `work`, turning its rejection into a {@linkcode DeliveryError} saying `what` failed. */
export async function delivering<T>(what: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    throw new DeliveryError(`Cannot ${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** A queue member that is not a JSON request object. */
export class PoisonRequestError extends CrawlError {
  constructor(readonly member: string) {
    super("poison", "Cannot crawl a queue member that is not a JSON request object");
    this.name = "PoisonRequestError";
  }
}

/** Decides how a request that threw `err` is treated. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof RefusedError) {
    return { kind: "refused", reason: err.message, refusal: err.refusal };
  }
  if (err instanceof CrawlError) return { kind: err.kind, reason: err.message };
  if (err instanceof DeliveryError) return { kind: "delivery", reason: err.message };
  if (err instanceof FetchError) {
    if (err.kind === "aborted") return { kind: "aborted", reason: err.message };
    if (err.kind === "refused") {
      return { kind: "refused", reason: err.message, refusal: "network" };
    }
    return { kind: err.retryable ? "retryable" : "permanent", reason: err.message };
  }
  return { kind: "unexpected", reason: errorMessage(err) };
}

/** The message of an error, or the thrown value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
