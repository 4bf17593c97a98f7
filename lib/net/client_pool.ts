/**
 * A small, bounded LRU of `Deno.HttpClient`s, one per key (the guard keys them by the checked
 * `address:port` they are pinned to). A client is lent with {@linkcode ClientPool.acquire} and
 * given back with the function it returns; an evicted client is closed once nobody holds it,
 * so a request in flight never loses its connection.
 *
 * @module
 */

interface _Entry {
  readonly client: Deno.HttpClient;
  users: number;
  evicted: boolean;
}

/** Options of {@linkcode ClientPool}. */
export interface ClientPoolOptions {
  /**
   * Clients kept; the least recently used one beyond this is closed.
   * @default {64}
   */
  maxClients?: number;
}

/** A bounded LRU of HTTP clients built on demand. */
export class ClientPool {
  readonly #entries = new Map<string, _Entry>();
  readonly #max: number;
  readonly #create: (key: string) => Deno.HttpClient;
  #closed = false;

  constructor(create: (key: string) => Deno.HttpClient, opts: ClientPoolOptions = {}) {
    this.#create = create;
    this.#max = Math.max(1, opts.maxClients ?? 64);
  }

  /** Clients currently kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Lends the client of `key` (built if missing); call `release()` when the request is done. */
  acquire(key: string): { client: Deno.HttpClient; release: () => void } {
    if (this.#closed) throw new Error("Cannot lend an HTTP client: the pool is closed");
    let entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    else entry = { client: this.#create(key), users: 0, evicted: false };
    this.#entries.set(key, entry); // most recently used last
    entry.users++;
    const held = entry;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.evicted && held.users === 0) held.client.close();
    };
    while (this.#entries.size > this.#max) {
      const [oldKey, old] = this.#entries.entries().next().value!;
      this.#entries.delete(oldKey);
      this.#evict(old);
    }
    return { client: entry.client, release };
  }

  /** Closes every client (those in use when their request ends). */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) this.#evict(entry);
    this.#entries.clear();
  }

  #evict(entry: _Entry): void {
    entry.evicted = true;
    if (entry.users === 0) entry.client.close();
  }
}
