/**
 * Batched lease acknowledgements: a finished request's lease is removed together with those of
 * every request finished within the next `lingerMs` (one ZREM instead of one per page), or at
 * once when `maxBatch` are waiting. An acknowledgement that fails is handed to `onError` (the
 * crawler acknowledges it again when it settles its leases); at worst the lease expires and the
 * page is crawled once more — never lost.
 *
 * @module
 */

/** Removes leases by id (the crawler passes `ackLeases` of the frontier). */
export type AckFunction = (ids: readonly string[]) => Promise<void>;

/** Options of {@linkcode AckBatcher}. */
export interface AckBatcherOptions {
  /**
   * Acknowledge at once when this many are waiting.
   * @default {200}
   */
  maxBatch?: number;
  /**
   * How long the first acknowledgement of a batch waits for company, in milliseconds.
   * @default {20}
   */
  lingerMs?: number;
  /** Called when a batch could not be acknowledged. */
  onError?: (error: unknown, ids: readonly string[]) => void;
}

/** Collects lease ids and acknowledges them in batches. */
export class AckBatcher {
  readonly #ack: AckFunction;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #onError: AckBatcherOptions["onError"];
  #pending: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(ack: AckFunction, opts: AckBatcherOptions = {}) {
    this.#ack = ack;
    this.#maxBatch = opts.maxBatch ?? 200;
    this.#lingerMs = opts.lingerMs ?? 20;
    this.#onError = opts.onError;
  }

  /** Leases waiting for their batch. */
  get pending(): number {
    return this.#pending.length;
  }

  /** The ids of the leases waiting for their batch. */
  get waiting(): readonly string[] {
    return [...this.#pending];
  }

  /**
   * Queues `id` for acknowledgement. Resolves at once, or — when this fills a batch — once the
   * batch is written (so a busy crawler is paced by Redis). Never rejects.
   */
  ack(id: string): Promise<void> {
    this.#pending.push(id);
    if (this.#pending.length >= this.#maxBatch) return this.flush();
    this.#timer ??= setTimeout(() => this.flush(), this.#lingerMs);
    return Promise.resolve();
  }

  /** Acknowledges what is waiting now. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return Promise.resolve();
    const ids = this.#pending;
    this.#pending = [];
    const done = this.#ack(ids).catch((err) => this.#onError?.(err, ids));
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
    return done;
  }

  /** Acknowledges what is waiting and waits for every batch still being written. */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.#inFlight]);
  }
}
