/**
 * The parse workers (`PARSE_WORKERS` > 0): each page is sent to the least busy worker with its
 * body transferred (zero copy), and comes back as its prepared output (`page_output.ts`) with
 * the body handed back. Off the main thread go the spider's `parse`, the follow-ups' domains,
 * fingerprints and compact members and the item's JSON and UTF-8 bytes; what needs the crawl's
 * state (the memory of sent links, Redis, Kafka) stays.
 *
 * A spider that throws in a worker is a ParseError for that page only, as on the main thread.
 * A worker that dies (an uncaught error, a message it cannot read) or falls silent (it closed
 * itself, exited, or its thread hangs: no answer, not even to a ping, for `silentMs`) is
 * terminated and replaced; its pages in flight fail as retryable — never lost or hung.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { KAFKA_FRAMING_BYTES } from "../../../lib/services/mod.ts";
import { ParseError, RetryableError } from "./errors.ts";
import type { PageOutput } from "./page_output.ts";
import { type FromWorker, type ToWorker, transferables } from "./parse_messages.ts";
import type { PageFields } from "../page.ts";
import type { CrawlerSettings } from "../settings.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";

/** Options of {@linkcode ParsePool}. */
export interface ParsePoolOptions {
  /** Workers in the pool (PARSE_WORKERS). */
  size: number;
  /** The spider module each worker loads (the SPIDER setting). */
  spider: string;
  /** Where a relative spider path is found. @default {Deno.cwd()} */
  cwd?: string;
  /** KAFKA_BASE_64_ENCODE. */
  base64: boolean;
  /** KAFKA_PRODUCER_MAX_REQUEST_SIZE less Kafka's framing. */
  itemBudgetBytes: number;
  log: Logger;
  /** A worker with pages in flight that answers nothing this long is taken as dead. @default {30_000} */
  silentMs?: number;
}

/** The pool of `settings.PARSE_WORKERS` workers, null when parsing stays on the main thread. */
export function parsePoolFor(settings: CrawlerSettings, log: Logger): ParsePool | null {
  if (settings.PARSE_WORKERS <= 0) return null;
  return new ParsePool({
    size: settings.PARSE_WORKERS,
    spider: settings.SPIDER,
    base64: settings.KAFKA_BASE_64_ENCODE,
    itemBudgetBytes: settings.KAFKA_PRODUCER_MAX_REQUEST_SIZE - KAFKA_FRAMING_BYTES,
    log,
  });
}

interface Pending {
  page: FetchedPage;
  resolve: (output: PageOutput) => void;
  reject: (err: unknown) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** When it last answered (or was given work while idle). */
  heardAt: number;
  /** It loaded the spider. */
  ready: boolean;
  dead: boolean;
}

const WORKER_URL = new URL("./parse_worker.ts", import.meta.url);

/** A pool of parse workers; {@linkcode ParsePool.close} terminates them. */
export class ParsePool {
  /** Resolves once every first worker loaded the spider; rejects when one cannot. */
  readonly ready: Promise<void>;
  readonly #opts: ParsePoolOptions;
  readonly #silentMs: number;
  readonly #workers: PoolWorker[] = [];
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #respawns = new Set<ReturnType<typeof setTimeout>>();
  #nextId = 0;
  #closed = false;

  constructor(opts: ParsePoolOptions) {
    this.#opts = opts;
    this.#silentMs = opts.silentMs ?? 30_000;
    const loads: Promise<void>[] = [];
    for (let i = 0; i < opts.size; i++) {
      const loaded = Promise.withResolvers<void>();
      this.#workers.push(this.#spawn(loaded));
      loads.push(loaded.promise);
    }
    this.ready = Promise.all(loads).then(() => {});
    this.ready.catch(() => {}); // the caller awaits it; a pool never awaited must not crash
    this.#watchdog = setInterval(() => this.#watch(), Math.max(10, this.#silentMs / 4));
  }

  /** Parses `page` in a worker; the page's body is back in place when this settles. */
  parse(page: FetchedPage, req: QueuedRequest): Promise<PageOutput> {
    if (this.#closed) return Promise.reject(new RetryableError("parse workers are closed"));
    const w = this.#leastBusy();
    if (w === undefined) return Promise.reject(new RetryableError("no parse worker is running"));
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<PageOutput>();
    if (w.pending.size === 0) w.heardAt = performance.now();
    w.pending.set(id, { page, resolve, reject });
    const msg: ToWorker = { type: "page", id, fields: pageFields(page), req };
    try {
      w.worker.postMessage(msg, transferables(page.body));
    } catch (err) {
      w.pending.delete(id);
      reject(err); // not cloneable (a bug): nothing was transferred
    }
    return promise;
  }

  /** Terminates the workers; pages still in flight fail as retryable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    for (const timer of this.#respawns) clearTimeout(timer);
    for (const w of this.#workers) this.#kill(w, "the crawler stopped");
  }

  #spawn(loaded?: PromiseWithResolvers<void>): PoolWorker {
    const worker = new Worker(WORKER_URL, { type: "module", name: "parse" });
    const w: PoolWorker = {
      worker,
      pending: new Map(),
      heardAt: performance.now(),
      ready: false,
      dead: false,
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#answer(w, e.data, loaded);
    worker.onerror = (e) => {
      e.preventDefault(); // the crawler goes on: only this worker is lost
      this.#replace(w, `uncaught ${e.message}`);
      loaded?.reject(new Error(`Cannot start a parse worker: ${e.message}`));
    };
    worker.onmessageerror = () => this.#replace(w, "a message it sent could not be read");
    const { spider, base64, itemBudgetBytes } = this.#opts;
    const init: ToWorker = {
      type: "init",
      spider,
      cwd: this.#opts.cwd ?? Deno.cwd(),
      base64,
      itemBudgetBytes,
    };
    worker.postMessage(init);
    return w;
  }

  #answer(w: PoolWorker, msg: FromWorker, loaded?: PromiseWithResolvers<void>): void {
    w.heardAt = performance.now();
    switch (msg.type) {
      case "pong":
        return;
      case "ready":
        w.ready = true;
        return loaded?.resolve();
      case "init_failed": {
        const error = new Error(`Cannot start a parse worker: ${errorText(msg.error)}`);
        if (loaded) return loaded.reject(error);
        this.#opts.log.error("{error}", { error }); // its pages fail as bugs: leases kept
        return;
      }
    }
    const pending = w.pending.get(msg.id);
    if (pending === undefined) return;
    w.pending.delete(msg.id);
    pending.page.body = msg.body;
    if (msg.type === "done") pending.resolve(msg.output);
    else pending.reject(msg.parse ? new ParseError(msg.error) : asError(msg.error));
  }

  #leastBusy(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (!w.dead && (best === undefined || w.pending.size < best.pending.size)) best = w;
    }
    return best;
  }

  /** Pings the busy workers; replaces those silent for too long. */
  #watch(): void {
    const now = performance.now();
    for (const w of this.#workers) {
      if (w.pending.size === 0) continue;
      if (now - w.heardAt > this.#silentMs) {
        this.#replace(w, `no answer for ${Math.round(now - w.heardAt)} ms`);
      } else w.worker.postMessage({ type: "ping" } satisfies ToWorker);
    }
  }

  #replace(w: PoolWorker, reason: string): void {
    if (w.dead || this.#closed) return;
    const lost = w.pending.size;
    this.#kill(w, `parse worker died (${reason})`);
    const respawn = () => {
      if (!this.#closed) this.#workers[this.#workers.indexOf(w)] = this.#spawn();
    };
    // One that never started (its module cannot load?) is not restarted in a tight loop.
    if (w.ready) respawn();
    else {
      const timer = setTimeout(() => {
        this.#respawns.delete(timer);
        respawn();
      }, 1_000);
      this.#respawns.add(timer);
    }
    this.#opts.log.warn("A parse worker died ({reason}): replaced; {lost} page(s) retried", {
      reason,
      lost,
    });
  }

  #kill(w: PoolWorker, reason: string): void {
    w.dead = true;
    w.worker.terminate();
    for (const p of w.pending.values()) p.reject(new RetryableError(reason));
    w.pending.clear();
  }
}

/** The page's fields (a page's `$` stays behind: the worker builds its own). */
function pageFields(p: FetchedPage): PageFields {
  return {
    url: p.url,
    responseUrl: p.responseUrl,
    status: p.status,
    statusText: p.statusText,
    headers: p.headers,
    requestHeaders: p.requestHeaders,
    body: p.body,
    text: p.text,
    encoding: p.encoding,
    truncated: p.truncated,
    contentType: p.contentType,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
