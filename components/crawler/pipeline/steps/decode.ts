/**
 * Step 0: a leased queue member back into a request, every schema default the stored form left
 * out put back (`lib/api/compact_request.ts`). Anything that is not a JSON object with a `url`
 * string is poison ({@linkcode PoisonRequestError}): no attempt can ever crawl it.
 *
 * @module
 */

import { decodeStoredRequest } from "../../../../lib/api/mod.ts";
import { PoisonRequestError } from "../errors.ts";
import type { QueuedRequest } from "../../spider.ts";

/** Parses a queue member; throws {@linkcode PoisonRequestError} when it is not a request. */
export function decodeRequest(member: string): QueuedRequest {
  const req = decodeStoredRequest(member);
  if (req === null || typeof req.url !== "string") throw new PoisonRequestError(member);
  return req as QueuedRequest;
}

/** The `url` of a queue member, "" when it has none (for logs and events). */
export function urlOf(member: string): string {
  try {
    return String(JSON.parse(member).url ?? "");
  } catch {
    return "";
  }
}
