/**
 * Step 2: the spider turns the page into its item and follow-up requests, made ready to deliver
 * (`page_output.ts`: queue entries, the item's Kafka message) — on the main thread, or in a
 * parse worker when `PARSE_WORKERS` > 0 (`parse_pool.ts`), with the same result. Whatever goes
 * wrong inside the spider — `parse` throws, rejects, or returns something that is not an output
 * — is a {@linkcode ParseError}: permanent, since the same page would fail the same way again.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import type { CrawlContext } from "../context.ts";
import { outputProblem, type PageOutput, prepareOutput } from "../page_output.ts";
import { prepareOptions } from "./emit.ts";
import type { FetchedPage, QueuedRequest, Spider, SpiderOutput } from "../../spider.ts";

/** Parses `page` with the crawler's spider, in a worker when there is a pool. */
export async function parsePage(
  ctx: CrawlContext,
  page: FetchedPage,
  req: QueuedRequest,
): Promise<PageOutput> {
  if (ctx.parsePool) return await ctx.parsePool.parse(page, req);
  const output = await parseStep(ctx.spider, page, req);
  return prepareOutput(output, page, req, prepareOptions(ctx));
}

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
  const problem = outputProblem(output);
  if (problem !== null) throw new ParseError(problem);
  return output;
}
