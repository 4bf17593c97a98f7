/**
 * What a page hands on, made ready before any delivery: the follow-ups as queue entries
 * (registered domain, fingerprint, compact member) and the item as its Kafka message. Pure and
 * free of the crawl context, so the same functions run on the main thread and in a parse
 * worker (`parse_worker.ts`): both paths deliver the same bytes. `emit.ts` delivers it.
 *
 * @module
 */

import type { EnqueueEntry } from "../../../lib/frontier/mod.ts";
import { encodeRequest } from "../../../lib/api/compact_request.ts";
import { registeredDomain, requestFingerprint } from "../../../lib/web/mod.ts";
import { ItemTooLargeError, serializeItem } from "./result_item.ts";
import type { FetchedPage, QueuedRequest, SpiderOutput } from "../spider.ts";

/** A follow-up ready to enqueue. */
export interface PreparedChild {
  /** `<crawlid>\t<url>`: this process's memory of links it sent; null for `dont_filter`. */
  memo: string | null;
  url: string;
  /** `fingerprint` undefined: not computed yet ({@linkcode withFingerprints}). */
  entry: Omit<EnqueueEntry, "fingerprint"> & { fingerprint?: string | null };
}

/** An item's Kafka message, or why it cannot be one. */
export type PreparedItem =
  | { kind: "message"; value: string | Uint8Array; truncated: boolean }
  /** Even without its body the item does not fit in a Kafka message. */
  | { kind: "too_large"; message: string };

/** A page's output, ready to deliver. */
export interface PageOutput {
  /** Follow-up requests the spider returned (before any filter). */
  children: number;
  /** The follow-ups to enqueue (those that are not URLs or have no domain are left out). */
  entries: PreparedChild[];
  /** The item's message; null when the spider returned no item. */
  item: PreparedItem | null;
}

/** Options of {@linkcode prepareOutput}. */
export interface PrepareOptions {
  /** KAFKA_BASE_64_ENCODE. */
  base64: boolean;
  /** KAFKA_PRODUCER_MAX_REQUEST_SIZE less Kafka's framing: the item and its key must fit. */
  itemBudgetBytes: number;
  /**
   * Whether this process sent a follow-up lately (by its memo): such a follow-up is skipped
   * before its fingerprint is computed.
   *
   * @default {() => false}
   */
  sentLately?: (memo: string) => boolean;
  /**
   * The item as UTF-8 bytes rather than a string (a worker transfers them).
   *
   * @default {false}
   */
  bytes?: boolean;
  /**
   * Compute the follow-ups' fingerprints now. A worker leaves them to the main thread, which
   * computes them only for the follow-ups it did not send lately (most links of a page).
   *
   * @default {true}
   */
  fingerprints?: boolean;
}

const utf8 = new TextEncoder();

/** An item's Kafka key: its crawl (every item of a crawl lands in one partition, in order). */
export function itemKey(req: QueuedRequest): string {
  return `${req.appid}\t${req.crawlid}`;
}

/**
 * What is wrong with what a spider's `parse` returned, null when it is an output (an object
 * whose `requests`, when present, is an array).
 */
export function outputProblem(output: unknown): string | null {
  if (typeof output !== "object" || output === null) {
    return `returned ${output === null ? "null" : typeof output}, not an output`;
  }
  const requests = (output as { requests?: unknown }).requests;
  if (requests !== undefined && !Array.isArray(requests)) {
    return "returned requests that are not an array";
  }
  return null;
}

/** Makes the spider's output ready to deliver. */
export function prepareOutput(
  output: SpiderOutput,
  page: FetchedPage,
  req: QueuedRequest,
  opts: PrepareOptions,
): PageOutput {
  const children = output.requests ?? [];
  return {
    children: children.length,
    entries: prepareChildren(req, children, opts.sentLately, opts.fingerprints ?? true),
    item: output.item ? prepareItem(output.item, page, req, opts) : null,
  };
}

/** The follow-ups as queue entries, those sent lately and those that are not URLs left out. */
export function prepareChildren(
  parent: QueuedRequest,
  children: readonly QueuedRequest[],
  sentLately: (memo: string) => boolean = () => false,
  fingerprints = true,
): PreparedChild[] {
  const out: PreparedChild[] = [];
  for (const child of children) {
    const memo = child.dont_filter ? null : `${parent.crawlid}\t${child.url}`;
    if (memo !== null && sentLately(memo)) continue; // Redis has it already
    const domain = registeredDomain(child.url);
    if (domain === null) continue;
    let fingerprint: string | null | undefined = null;
    if (!child.dont_filter) {
      fingerprint = fingerprints ? fingerprintOf(child.url) : undefined;
      if (fingerprint === null) continue; // not a URL: nothing to crawl
    }
    out.push({
      memo,
      url: child.url,
      entry: {
        fingerprint,
        spiderid: child.spiderid ?? parent.spiderid,
        tags: child.tags,
        domain,
        priority: child.priority,
        member: encodeRequest(child),
      },
    });
  }
  return out;
}

/**
 * `children` with every fingerprint left to compute computed now (in place); those whose URL has none
 * (not a URL) are left out, as {@linkcode prepareChildren} does.
 */
export function withFingerprints(
  children: readonly PreparedChild[],
): { memo: string | null; entry: EnqueueEntry }[] {
  const out = [];
  for (const { memo, url, entry } of children) {
    if (entry.fingerprint === undefined) {
      const fingerprint = fingerprintOf(url);
      if (fingerprint === null) continue;
      entry.fingerprint = fingerprint;
    }
    out.push({ memo, entry: entry as EnqueueEntry });
  }
  return out;
}

/** Scrapy's fingerprint of a GET of `url`; null when it is not a URL. */
function fingerprintOf(url: string): string | null {
  try {
    return requestFingerprint({ url });
  } catch {
    return null;
  }
}

/** The item's Kafka message (body cut to fit when needed), or `too_large`. */
export function prepareItem(
  item: Record<string, unknown>,
  page: FetchedPage,
  req: QueuedRequest,
  opts: PrepareOptions,
): PreparedItem {
  try {
    const { json, truncated } = serializeItem(item, page, {
      base64: opts.base64,
      // The message's key counts against the same limit.
      maxBytes: opts.itemBudgetBytes - utf8.encode(itemKey(req)).length,
    });
    return { kind: "message", value: opts.bytes ? utf8.encode(json) : json, truncated };
  } catch (err) {
    if (!(err instanceof ItemTooLargeError)) throw err;
    return { kind: "too_large", message: err.message };
  }
}
