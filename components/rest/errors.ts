/**
 * The one HTTP error type of the rest service and the envelope every answer but the index
 * comes in: `{"data": …, "error": null | {"message", "cause"?}, "status": "SUCCESS" | "FAILURE"}`
 * (keys sorted, as Flask's `jsonify` wrote them). Handlers throw {@linkcode HttpError};
 * `app.ts` turns it into a response in one place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse, HttpError, MESSAGES } from "./errors.ts";
 *
 * const res = errorResponse(new HttpError(404, MESSAGES.notFound));
 * assert.equal(res.status, 404);
 * assert.deepEqual(await res.json(), {
 *   data: null,
 *   error: { message: "The desired endpoint does not exist" },
 *   status: "FAILURE",
 * });
 * ```
 *
 * @module
 */

/** Scrapy Cluster's error messages, and ours for the limits it did not have. */
export const MESSAGES = Object.freeze({
  invalidJson: "The payload must be valid JSON.",
  schema: "JSON did not validate against schema.",
  notFound: "The desired endpoint does not exist",
  pollNotFound: "Could not find matching poll_id",
  kafka: "Unable to connect to Kafka",
  redis: "Unable to connect to Redis",
  unparseable: "Unparseable JSON Received from redis",
  internal: "An error occurred while processing your request.",
  method: "The method is not allowed for the requested URL.",
  tooLarge: "The payload is too large.",
  unauthorized: "A valid API key is required.",
  scope: "This API key is not allowed to make this request.",
  host: "The Host header does not name this server.",
  bodyTimeout: "The request body did not arrive in time.",
  timeout: "The request took too long to process.",
});

/** An HTTP error answered with the envelope. `detail` becomes `error.cause`. */
export class HttpError extends Error {
  /**
   * @param status the HTTP status
   * @param message the envelope's `error.message`
   * @param opts `detail`: the envelope's `error.cause`; `headers`: extra response headers
   */
  constructor(
    readonly status: number,
    message: string,
    readonly opts: { detail?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const JSON_HEADERS = { "content-type": "application/json" };

/** The envelope of a success, with `data` given as JSON text (kept byte for byte). */
export function successResponse(dataJson: string): Response {
  return new Response(`{"data":${dataJson},"error":null,"status":"SUCCESS"}`, {
    status: 200,
    headers: JSON_HEADERS,
  });
}

/** The envelope of a failure. */
export function errorResponse(err: HttpError): Response {
  const error = err.opts.detail === undefined
    ? { message: err.message }
    : { cause: err.opts.detail, message: err.message };
  return new Response(JSON.stringify({ data: null, error, status: "FAILURE" }), {
    status: err.status,
    headers: { ...JSON_HEADERS, ...err.opts.headers },
  });
}
