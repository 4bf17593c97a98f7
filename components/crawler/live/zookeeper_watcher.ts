/**
 * Scrapy Cluster's ZookeeperWatcher: follows one ZooKeeper node (or, in pointer mode, a node
 * whose content is the path of the real config node, following changes of either) and tells
 * its owner when the content changes, when its validity changes and what went wrong.
 *
 * - `onConfig(content)` is called once with the first content read, then whenever it changes
 *   (never twice with the same content). `null` means ZooKeeper says there is no config: the
 *   node does not exist (without `ensure`), or the pointer is invalid or points at nothing.
 * - `onValid(valid)` is called on every validity transition. Valid = connected, and the node
 *   (and pointed-at node) read fine.
 * - `onError(message)` gets Scrapy Cluster's messages: {@linkcode INVALID_PATH},
 *   {@linkcode INVALID_GET}, {@linkcode BAD_CONNECTION}.
 *
 * ZooKeeper watches fire once: the watcher re-reads (re-arming the watches) after every event,
 * so no change is missed, and several quick changes may be reported as one.
 *
 * **Connection loss (deliberate deviation from Scrapy Cluster).** Scrapy Cluster's crawler
 * reverted to its default throttles when the connection was SUSPENDED. Here the last good
 * content is kept while ZooKeeper is away: `onValid(false)` and `onError(BAD_CONNECTION)` are
 * called, but not `onConfig`, so crawlers keep the cluster's last config (blacklists
 * included) instead of speeding up on throttled domains during a ZooKeeper restart. The client
 * reconnects by itself (random delay up to 500 ms between rounds) and keeps its session and
 * watches; an expired session is replaced by a new one, retried (`retry()`) until stopped with
 * exponential backoff (250 ms doubling to `maxBackoffMs`, less up to half at random). A read
 * that fails while connected (a timeout, an odd server error) is retried the same way. On
 * return the nodes are re-read and re-watched, and `onConfig` is called if the content changed
 * meanwhile.
 *
 * @example
 * ```ts ignore
 * import { ZookeeperWatcher } from "./zookeeper_watcher.ts";
 *
 * const watcher = new ZookeeperWatcher("127.0.0.1:2181", "/scrapy-cluster/crawler/all", {
 *   ensure: true,
 *   onConfig: (yaml) => console.log("config now", yaml),
 *   onValid: (valid) => console.log("valid", valid),
 * });
 * await watcher.start(); // fails with one line when ZooKeeper is unreachable
 * // ...
 * await watcher.stop();
 * ```
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import zookeeper from "node-zookeeper-client";
import { retry, RetryError, type RetryOptions } from "../../../lib/async/mod.ts";
import {
  type CallOptions,
  type Client,
  closeZookeeper,
  connectZookeeper,
  create,
  exists,
  getData,
  isConnected,
  isZookeeperError,
  type ZookeeperAuth,
} from "../../../lib/services/mod.ts";

/** The pointer node does not hold a valid node path (check for a trailing newline!). */
export const INVALID_PATH = "Invalid pointer path";
/** The watched (or pointed-at) node cannot be read: it does not exist. */
export const INVALID_GET = "Invalid get on file path";
/** The connection to ZooKeeper dropped; the watcher is reconnecting. */
export const BAD_CONNECTION = "Connection interrupted with Zookeeper, re-establishing";

/** Options of {@linkcode ZookeeperWatcher}. */
export interface ZookeeperWatcherOptions {
  /**
   * Create the watched node (and its parents) when missing, also after a deletion.
   * @default false
   */
  ensure?: boolean;
  /** The watched node holds the path of the config node. @default false */
  pointer?: boolean;
  /** The config content: called with the first read, then on every change. */
  onConfig(content: string | null): void;
  /** Validity transitions. */
  onValid?(valid: boolean): void;
  /** Problems, with Scrapy Cluster's messages. */
  onError?(message: string): void;
  log?: Logger;
  /**
   * Time allowed for the first connection in {@linkcode ZookeeperWatcher.start}.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /** ZooKeeper session timeout. @default 10_000 */
  sessionTimeoutMs?: number;
  /** Time allowed for each read. @default 10_000 */
  callTimeoutMs?: number;
  /** Longest wait between attempts to build a new session or to re-read. @default 5_000 */
  maxBackoffMs?: number;
  /** Digest credentials (`ZOOKEEPER_AUTH`) sent with every session. */
  auth?: ZookeeperAuth | null;
}

const MIN_BACKOFF_MS = 250;

/** A ZooKeeper node path as the server accepts it (no trailing `/`, no empty, `.`, `..` names). */
export function isValidZookeeperPath(path: string): boolean {
  if (!path.startsWith("/")) return false;
  if (path === "/") return true;
  if (path.endsWith("/") || path.includes("//") || /\/\.\.?(\/|$)/.test(path)) return false;
  // Characters ZooKeeper's PathUtils refuses (control characters, surrogates, specials).
  // deno-lint-ignore no-control-regex
  return !/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(path);
}

/** Watches one node, or a pointer node and the node it points at. */
export class ZookeeperWatcher {
  readonly hosts: string;
  readonly path: string;
  readonly #opts: ZookeeperWatcherOptions;
  readonly #abort = new AbortController();
  #client: Client | null = null;
  #content: string | null = null;
  #target: string | null = null;
  #reported = false;
  #valid = false;
  #away = false;
  #started = false;
  #stopped = false;
  #dirty = false;
  #syncing: Promise<void> | null = null;
  #lostTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborted when the current client is dropped (or on stop): ends its read retries. */
  #session: AbortController | null = null;
  /** Told once the first read after `start()` was tried, whatever came of it. */
  #firstRead: (() => void) | null = null;
  #connecting: Promise<void> | null = null;
  readonly #closing = new Set<Promise<void>>();
  readonly #onWatch = () => {
    if (!this.#stopped) void this.#kick();
  };

  constructor(hosts: string, path: string, opts: ZookeeperWatcherOptions) {
    if (!isValidZookeeperPath(path)) {
      throw new Error(`Cannot watch ZooKeeper path '${path}': not a valid node path`);
    }
    this.hosts = hosts;
    this.path = path;
    this.#opts = opts;
  }

  /** True while connected and the watched node(s) read fine. */
  get valid(): boolean {
    return this.#valid;
  }

  /**
   * The last content read, kept while ZooKeeper is away; null before the first read and while
   * ZooKeeper says there is no config (see `onConfig`).
   */
  content(): string | null {
    return this.#content;
  }

  /** In pointer mode, the path the pointer node holds (when valid); otherwise null. */
  pointerTarget(): string | null {
    return this.#target;
  }

  /**
   * Connects and reads the node(s) once (calling `onConfig` with the first content). Throws
   * "Cannot connect to ZooKeeper at <hosts>: <reason>" when ZooKeeper cannot be reached in
   * `connectTimeoutMs`, as Scrapy Cluster's `valid_init`.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error("Cannot start the ZooKeeper watcher: already started");
    this.#started = true;
    const client = await connectZookeeper(this.hosts, {
      timeoutMs: this.#opts.connectTimeoutMs ?? 10_000,
      sessionTimeoutMs: this.#opts.sessionTimeoutMs ?? 10_000,
      signal: this.#abort.signal,
      auth: this.#opts.auth,
    });
    if (this.#stopped) return void (await closeZookeeper(client));
    this.#attach(client);
    this.#opts.log?.info("Watching ZooKeeper node {path} at {hosts}", {
      path: this.path,
      hosts: this.hosts,
    });
    // Wait for the first read only: when it fails while connected, it is retried in the
    // background (as Scrapy Cluster's watcher, start() does not wait for ZooKeeper to heal).
    const firstRead = Promise.withResolvers<void>();
    this.#firstRead = firstRead.resolve;
    await Promise.race([this.#kick(), firstRead.promise]);
  }

  /** Stops watching and closes the connection; no handler is called afterwards. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#valid = false;
    this.#abort.abort();
    this.#session?.abort();
    clearTimeout(this.#lostTimer);
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = null;
    if (client) await closeZookeeper(client);
    await Promise.allSettled([...this.#closing]);
    await this.#syncing?.catch(() => {});
  }

  #attach(client: Client): void {
    this.#client = client;
    this.#session = new AbortController();
    client.on("state", (state) => {
      if (this.#client !== client || this.#stopped) return;
      if (
        state === zookeeper.State.SYNC_CONNECTED || state === zookeeper.State.CONNECTED_READ_ONLY
      ) {
        this.#opts.log?.debug("ZooKeeper connection back; re-reading {path}", { path: this.path });
        void this.#kick();
      } else if (state === zookeeper.State.DISCONNECTED) {
        this.#connectionLost();
        // A server that lost its state (restarted empty) refuses our session without saying
        // it expired, and the client would knock forever: give up on the session once it
        // would have expired anyway, as ZooKeeper's own clients do.
        clearTimeout(this.#lostTimer);
        this.#lostTimer = setTimeout(
          () => this.#expire(client, "ZooKeeper away for longer than the session timeout"),
          client.getSessionTimeout(),
        );
      } else if (state === zookeeper.State.EXPIRED) {
        this.#expire(client, "ZooKeeper session expired");
      }
      if (state !== zookeeper.State.DISCONNECTED) clearTimeout(this.#lostTimer);
    });
  }

  /** Drops a client whose session is gone and builds a new session. */
  #expire(client: Client, why: string): void {
    if (this.#client !== client || this.#stopped) return;
    this.#connectionLost();
    this.#opts.log?.warn("{why}; starting a new session", { why });
    this.#client = null;
    this.#session?.abort();
    this.#closeLater(client);
    this.#renewSession();
  }

  #closeLater(client: Client): void {
    const closing = closeZookeeper(client).catch(() => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  /** The backoff of session renewals and read retries. */
  #backoffOptions(): RetryOptions {
    return {
      maxAttempts: Infinity,
      minDelayMs: MIN_BACKOFF_MS,
      maxDelayMs: this.#opts.maxBackoffMs ?? 5_000,
      jitter: 0.5,
    };
  }

  /** Builds a new session, retrying until it is made or the watcher stops. */
  #renewSession(): void {
    if (this.#stopped) return;
    const signal = this.#abort.signal;
    const renewed = retry(
      () =>
        connectZookeeper(this.hosts, {
          timeoutMs: this.#opts.connectTimeoutMs ?? 10_000,
          sessionTimeoutMs: this.#opts.sessionTimeoutMs ?? 10_000,
          signal,
          auth: this.#opts.auth,
        }),
      {
        ...this.#backoffOptions(),
        signal,
        // The owner hears of the outage once (onValid/onError); each retry is only a debug line.
        onRetry: (err) =>
          this.#opts.log?.debug("ZooKeeper still unreachable (will retry): {error}", {
            error: (err as Error).message,
          }),
      },
    ).then((client) => {
      if (this.#stopped) return this.#closeLater(client);
      this.#attach(client);
      void this.#kick();
    }, (err) => {
      if (this.#stopped) return;
      // Only a programmer error (never retried) gets here.
      this.#opts.log?.error("Cannot build a new ZooKeeper session; giving up: {error}", {
        error: err,
      });
    });
    const tracked: Promise<void> = renewed.finally(() => {
      if (this.#connecting === tracked) this.#connecting = null;
    });
    this.#connecting = tracked;
  }

  #connectionLost(): void {
    if (this.#away) return;
    this.#away = true;
    this.#opts.log?.debug("ZooKeeper connection lost; keeping the last config of {path}", {
      path: this.path,
    });
    this.#setValid(false);
    this.#call("onError", BAD_CONNECTION);
  }

  /** Asks for a re-read; one read runs at a time, and a request during a read runs it again. */
  #kick(): Promise<void> {
    this.#dirty = true;
    this.#syncing ??= this.#syncLoop().finally(() => this.#syncing = null);
    return this.#syncing;
  }

  async #syncLoop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      const client = this.#client;
      const session = this.#session;
      if (!client || !session) return; // a new session is on its way and will ask again
      const warn = (err: unknown) =>
        this.#opts.log?.warn("Cannot read ZooKeeper node {path}: {error}", {
          path: this.path,
          error: (err as Error).message,
        });
      try {
        // Connected yet failing (a timeout, an odd server error): try again later.
        await retry(() => this.#sync(client).finally(() => this.#firstReadDone()), {
          ...this.#backoffOptions(),
          signal: session.signal,
          isRetriable: () => this.#client === client && isConnected(client),
          onRetry: warn,
        });
      } catch (err) {
        // Stopped, or the client was dropped (its session aborted): a new one reads again.
        if (this.#stopped || err instanceof RetryError) continue;
        if (this.#client === client && isConnected(client)) {
          // Connected, yet not retried: a programmer error.
          this.#opts.log?.error("Cannot read ZooKeeper node {path} (not retried): {error}", {
            path: this.path,
            error: err,
          });
        } else {
          warn(err);
          // Disconnected: the 'connected' (or 'expired') event will take it from here.
          this.#connectionLost();
        }
      }
    }
  }

  #firstReadDone(): void {
    this.#firstRead?.();
    this.#firstRead = null;
  }

  async #sync(client: Client): Promise<void> {
    const ensure = this.#opts.ensure ?? false;
    const stale = () => this.#client !== client || this.#stopped;
    let target = this.path;
    if (this.#opts.pointer) {
      const pointer = await this.#read(client, this.path, ensure);
      if (stale()) return;
      if (pointer === null) return this.#invalid(INVALID_GET);
      if (!isValidZookeeperPath(pointer)) return this.#invalid(INVALID_PATH);
      target = pointer;
    }
    const content = await this.#read(client, target, ensure && !this.#opts.pointer);
    if (stale()) return;
    if (content === null) return this.#invalid(INVALID_GET);
    this.#away = false;
    this.#target = this.#opts.pointer ? target : null;
    this.#setContent(content);
    this.#setValid(true);
  }

  /** Reads and watches a node; null (with a watch for its creation) when it does not exist. */
  async #read(client: Client, path: string, ensure: boolean): Promise<string | null> {
    const opts = {
      watch: this.#onWatch,
      signal: this.#abort.signal,
      timeoutMs: this.#opts.callTimeoutMs ?? 10_000,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return (await getData(client, path, opts)).data;
      } catch (err) {
        if (!isZookeeperError(err, "NO_NODE")) throw err;
      }
      // With ensure, create it; where the ACLs forbid that (a secured cluster), only watch for it.
      if (ensure && await this.#create(client, path, opts)) {
        continue;
      } else if (!(await exists(client, path, opts))) {
        return null; // the exists-watch tells us when it appears
      }
    }
    throw new Error(`ZooKeeper node ${path} keeps appearing and disappearing`);
  }

  /** Creates the node (and parents); false when ZooKeeper's ACLs do not let this client. */
  async #create(client: Client, path: string, opts: CallOptions): Promise<boolean> {
    try {
      if (await create(client, path, "", { ...opts, mkdirp: true })) {
        this.#opts.log?.info("Created ZooKeeper node {path}", { path });
      }
      return true;
    } catch (err) {
      if (!isZookeeperError(err, "NO_AUTH")) throw err;
      return false;
    }
  }

  #invalid(message: string): void {
    this.#away = false;
    this.#target = null;
    this.#setValid(false);
    this.#setContent(null);
    this.#call("onError", message);
  }

  #setContent(content: string | null): void {
    if (this.#reported && content === this.#content) return;
    this.#reported = true;
    this.#content = content;
    this.#call("onConfig", content);
  }

  #setValid(valid: boolean): void {
    if (valid === this.#valid) return;
    this.#valid = valid;
    this.#call("onValid", valid);
  }

  #call<K extends "onConfig" | "onValid" | "onError">(
    name: K,
    arg: Parameters<NonNullable<ZookeeperWatcherOptions[K]>>[0],
  ): void {
    if (this.#stopped) return;
    try {
      (this.#opts[name] as ((a: typeof arg) => void) | undefined)?.call(this.#opts, arg);
    } catch (err) {
      this.#opts.log?.error("ZooKeeper watcher handler {name} failed: {error}", {
        name,
        error: err,
      });
    }
  }
}
