/**
 * Crawl requests for tests and benchmarks, with every default of `schemas/scraper.json` filled
 * in by the same validator the kafka-monitor uses (so the defaults live in one place: the
 * schema).
 *
 * @module
 */

import type { QueuedRequest } from "../components/crawler/spider.ts";
import { createValidator, loadSchema } from "../lib/api/mod.ts";

const API_FIELDS = new Set(Object.keys(loadSchema("scraper").properties as object));

/**
 * A valid crawl request: `fields` plus the schema's defaults. Fields the Kafka API does not
 * have (crawler bookkeeping such as `curdepth`, custom fields) pass through unvalidated.
 */
export function crawlRequest(fields: Partial<QueuedRequest> & { url: string }): QueuedRequest {
  const api: Record<string, unknown> = { appid: "testapp", crawlid: "crawl1" };
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    (API_FIELDS.has(name) ? api : extra)[name] = value;
  }
  const result = createValidator("scraper", { maxDepthLimit: 1_000 })(api);
  if (!result.ok) throw new Error(`Cannot build a crawl request: ${result.errors.join("; ")}`);
  return { ...result.value, ...extra } as QueuedRequest;
}
