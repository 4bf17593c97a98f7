/**
 * Turns a spider's item into the Kafka message of the crawl result (Scrapy Cluster's
 * KafkaPipeline): `timestamp` added, the body as text or base64, keys sorted. A message larger
 * than the producer's limit is never dropped silently: the body is cut to fit and the item
 * flagged `"truncated": true` (and counted); only if even an empty body does not fit is the
 * page given up, with an error log. A page the spider failed on is still published (Scrapy
 * Cluster runs with HTTPERROR_ALLOW_ALL: every response yields its item), as
 * {@linkcode errorItem}.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { baseItem, type FetchedPage, type QueuedRequest } from "../spider.ts";

/** Options of {@linkcode serializeItem}. */
export interface SerializeOptions {
  /** KAFKA_BASE_64_ENCODE. */
  base64: boolean;
  /** KAFKA_PRODUCER_MAX_REQUEST_SIZE in bytes. */
  maxBytes: number;
  /** @default new Date() */
  now?: Date;
}

/** The serialized message and whether the body had to be cut. */
export interface SerializedItem {
  json: string;
  truncated: boolean;
}

/** Scrapy Cluster's timestamp: UTC ISO-8601 with microseconds and no zone. */
export function itemTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 23)}000`;
}

/** Thrown when an item cannot fit in a Kafka message even without its body. */
export class ItemTooLargeError extends Error {
  constructor(readonly bytes: number, readonly limit: number) {
    super(`Cannot send page to Kafka: ${bytes} bytes without body, limit ${limit}`);
    this.name = "ItemTooLargeError";
  }
}

/**
 * The item of a page whose request failed for good after its response arrived (the spider's
 * `parse` threw): the raw-response item of `baseItem()` plus `error`, the reason.
 */
export function errorItem(
  page: FetchedPage,
  request: QueuedRequest,
  reason: string,
): Record<string, unknown> {
  return { ...baseItem(page, request), error: reason };
}

const encoder = new TextEncoder();
// Room for the JSON escaping a cut body may gain and for the truncated flag.
const SLACK_BYTES = 64;

/**
 * Serializes `item` for Kafka. The body comes from `page`: text as decoded, or base64 when
 * `base64` is set or the page is binary (then `encoding` is "base64").
 */
export function serializeItem(
  item: Record<string, unknown>,
  page: FetchedPage | null,
  opts: SerializeOptions,
): SerializedItem {
  const out: Record<string, unknown> = {
    ...item,
    timestamp: itemTimestamp(opts.now ?? new Date()),
  };
  if (page && (opts.base64 || page.text === null)) {
    out.body = Buffer.from(page.body.buffer, page.body.byteOffset, page.body.byteLength)
      .toString("base64");
    if (page.text === null) out.encoding = "base64";
  }
  if (page?.truncated) out.truncated = true;
  const json = sortedJson(out);
  // UTF-8 needs at most 3 bytes per UTF-16 unit: exact counting only near the limit.
  if (json.length * 3 <= opts.maxBytes || encoder.encode(json).length <= opts.maxBytes) {
    return { json, truncated: false };
  }
  const body = typeof out.body === "string" ? out.body : "";
  const withoutBody = sortedJson({ ...out, body: "", truncated: true });
  const overhead = encoder.encode(withoutBody).length + SLACK_BYTES;
  if (overhead > opts.maxBytes) throw new ItemTooLargeError(overhead, opts.maxBytes);
  const cut = cutToBytes(body, opts.maxBytes - overhead);
  let result = sortedJson({ ...out, body: cut, truncated: true });
  // JSON escapes (quotes, control characters) can still overflow: halve until it fits.
  let keep = cut.length;
  while (encoder.encode(result).length > opts.maxBytes && keep > 0) {
    keep = Math.floor(keep / 2);
    result = sortedJson({ ...out, body: cut.slice(0, keep), truncated: true });
  }
  return { json: result, truncated: true };
}

/** The longest prefix of `text` whose UTF-8 form fits in `bytes`, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  const encoded = encoder.encode(text);
  if (encoded.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
  return new TextDecoder().decode(encoded.subarray(0, end));
}

/** JSON with the top-level keys sorted (Scrapy Cluster's ujson sort_keys). */
function sortedJson(obj: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) sorted[key] = obj[key];
  return JSON.stringify(sorted);
}
