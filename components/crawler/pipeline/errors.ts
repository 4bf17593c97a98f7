/**
 * How a request can fail, and what the crawler does about it. Every step throws; one function,
 * {@linkcode classifyFailure}, decides from the error alone:
 *
 * - `retryable` — timeouts, connection and DNS errors, retryable HTTP statuses: the request
 *   goes back to the shared queue with priority − 10, up to `RETRY_TIMES`, then is given up;
 * - `permanent` — trying again cannot help (a redirect loop, an invalid URL, a spider whose
 *   `parse` throws): failed after one attempt, counted, acknowledged;
 * - `poison` — a queue member that is not a request at all: dropped and acknowledged;
 * - `aborted` — the crawler is stopping: the lease is handed back at shutdown;
 * - `unexpected` — anything else (a bug, Redis or Kafka away while acknowledging or
 *   enqueueing): the lease is kept, so the request comes back when it expires.
 *
 * @module
 */

import { FetchError } from "../fetch/fetcher.ts";

/** What the crawler does with a failed request; see the module doc. */
export type FailureKind = "retryable" | "permanent" | "poison" | "aborted" | "unexpected";

/** A failure as {@linkcode classifyFailure} sees it. */
export interface Failure {
  kind: FailureKind;
  /** Why, for logs, events and error items. */
  reason: string;
}

/** The root of the crawler's own errors: `kind` says how the request is treated. */
export class CrawlError extends Error {
  readonly kind: "retryable" | "permanent" | "poison";

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

/** A queue member that is not a JSON request object. */
export class PoisonRequestError extends CrawlError {
  constructor(readonly member: string) {
    super("poison", "Cannot crawl a queue member that is not a JSON request object");
    this.name = "PoisonRequestError";
  }
}

/** Decides how a request that threw `err` is treated. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof CrawlError) return { kind: err.kind, reason: err.message };
  if (err instanceof FetchError) {
    if (err.kind === "aborted") return { kind: "aborted", reason: err.message };
    return { kind: err.retryable ? "retryable" : "permanent", reason: err.message };
  }
  return { kind: "unexpected", reason: errorMessage(err) };
}

/** The message of an error, or the thrown value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
