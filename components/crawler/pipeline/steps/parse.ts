/**
 * Step 2: the spider turns the page into its item and follow-up requests. Whatever goes wrong
 * inside the spider — `parse` throws, rejects, or returns something that is not an output — is
 * a {@linkcode ParseError}: permanent, since the same page would fail the same way again.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import type { FetchedPage, QueuedRequest, Spider, SpiderOutput } from "../../spider.ts";

/** Runs `spider.parse`; throws {@linkcode ParseError} for anything it does wrong. */
export async function parseStep(
  spider: Spider,
  page: FetchedPage,
  req: QueuedRequest,
): Promise<SpiderOutput> {
  let output: SpiderOutput;
  try {
    output = await spider.parse(page, req);
  } catch (err) {
    throw new ParseError(err);
  }
  if (typeof output !== "object" || output === null) {
    throw new ParseError(`returned ${output === null ? "null" : typeof output}, not an output`);
  }
  if (output.requests !== undefined && !Array.isArray(output.requests)) {
    throw new ParseError("returned requests that are not an array");
  }
  return output;
}
