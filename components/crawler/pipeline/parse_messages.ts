/**
 * The messages between the crawler's main thread and its parse workers (`parse_pool.ts` ⇄
 * `parse_worker.ts`). A page's body travels as a transferred buffer both ways (zero copy), so
 * the main thread keeps its page whole once the answer is in.
 *
 * @module
 */

import type { PageFields } from "../page.ts";
import type { QueuedRequest } from "../spider.ts";
import type { PageOutput } from "./page_output.ts";

/** Main thread → worker. */
export type ToWorker =
  /** Load the spider module (the `SPIDER` setting, as `loadSpider` finds it). */
  | {
    type: "init";
    spider: string;
    cwd: string;
    base64: boolean;
    itemBudgetBytes: number;
  }
  /** Parse one page and prepare its output. */
  | { type: "page"; id: number; fields: PageFields; req: QueuedRequest }
  /** Answer with a pong: a worker that answers nothing has died or hangs. */
  | { type: "ping" };

/** Worker → main thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "init_failed"; error: unknown }
  | { type: "pong" }
  /** The page's output; `body` is the page's body handed back. */
  | { type: "done"; id: number; body: Uint8Array; output: PageOutput }
  /**
   * The page failed: `parse` true when the spider did (its thrown value or what is wrong with
   * its output: a ParseError on the main thread), false for anything else (a bug).
   */
  | { type: "failed"; id: number; body: Uint8Array; parse: boolean; error: unknown };

/** The buffers of `views` to transfer: empty views are left out (they may share a buffer). */
export function transferables(...views: (Uint8Array | string | undefined)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of views) {
    if (v instanceof Uint8Array && v.byteLength > 0 && v.buffer instanceof ArrayBuffer) {
      out.push(v.buffer);
    }
  }
  return out;
}
