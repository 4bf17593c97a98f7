/**
 * {@linkcode NetworkGuard}: the one way the cluster sends an HTTP request to a URL it was given.
 * `guard.fetch(url, init)` is one request (`redirect: "manual"`: a redirect is the caller's to
 * follow, and each hop passes the guard at its own fetch) that connects only to an address the
 * policy allows, with no gap between the check and the connection:
 *
 * - **http** — the host is resolved and every address checked, then `fetch` goes through an
 *   HttpClient whose transport is a TCP connection to the first checked address
 *   (`proxy: { transport: "tcp", hostname, port }`); `Host` stays the URL's. Clients are kept
 *   per `address:port` in a small LRU.
 * - **https** — `fetch` goes through the guard's CONNECT proxy on 127.0.0.1
 *   (`connect_proxy.ts`), which resolves and checks the host when the tunnel is asked for and
 *   connects to a checked address; TLS is verified end to end against the real name.
 *
 * A refusal throws {@linkcode NetworkRefusedError} (never worth retrying); a name that does not
 * resolve throws {@linkcode HostLookupError} (its message says "dns error", as fetch's own).
 * Schemes other than http and https are refused (no `file:` or `data:` through the guard).
 * With the guard off (`allowPrivate`) `fetch` is the plain global `fetch` with
 * `redirect: "manual"`: it costs nothing.
 *
 * What remains: none for requests through `guard.fetch` (http and https, IPv4 and IPv6) — the
 * address connected to is the address checked. Still outside it: anything that calls `fetch`
 * or opens sockets itself (the Redis, Kafka and ZooKeeper clients, configured by the operator,
 * not by requests); the `NO_PROXY` environment variable, which makes Deno's HttpClient ignore
 * its proxy (so the pinned connection) for the hosts it names — {@linkcode dropProxyBypass}
 * removes it from the environment, and `main.ts` calls it before any client is built; and, by
 * the same token, a mandatory egress proxy (`HTTP_PROXY`/`HTTPS_PROXY`) is not used while the
 * guard is on.
 *
 * @example
 * ```ts ignore
 * import { NetworkGuard } from "./guard.ts";
 *
 * const guard = new NetworkGuard({ allowedNetworks: ["10.1.0.0/16"] });
 * try {
 *   const res = await guard.fetch("https://example.com/");
 *   console.log(res.status);
 *   await guard.fetch("http://127.1/"); // throws NetworkRefusedError
 * } finally {
 *   await guard.close();
 * }
 * ```
 *
 * @module
 */

import { ClientPool } from "./client_pool.ts";
import { ConnectProxy } from "./connect_proxy.ts";
import {
  HostLookupError,
  literalHostRefusal,
  type NetworkPolicy,
  networkPolicy,
  type NetworkPolicyOptions,
  NetworkRefusedError,
  resolveChecked,
  type Resolver,
  systemResolver,
} from "./policy.ts";
import { type NetworkGuardSettings, policyFromSettings } from "./settings.ts";

/** Options of {@linkcode NetworkGuard}. */
export interface NetworkGuardOptions extends NetworkPolicyOptions {
  /**
   * Resolves host names (tests map a public-looking name to 127.0.0.1).
   * @default {systemResolver}
   */
  resolver?: Resolver;
  /** Extra root certificates (PEM) trusted for https, e.g. a test CA. */
  caCerts?: string[];
  /**
   * HttpClients kept for http, one per checked `address:port`.
   * @default {64}
   */
  maxClients?: number;
  /**
   * Limit for opening an https tunnel (resolve, check, connect), in ms.
   * @default {30000}
   */
  connectTimeoutMs?: number;
}

const _FAILURES_KEPT = 256;

/** The network guard; see the module doc. Close it to release its clients and proxy. */
export class NetworkGuard {
  /** What the guard lets through. */
  readonly policy: NetworkPolicy;
  readonly #resolver: Resolver;
  readonly #opts: NetworkGuardOptions;
  readonly #pool: ClientPool;
  #proxy: ConnectProxy | null = null;
  #proxyClient: Deno.HttpClient | null = null;
  /** Why recent tunnels were not opened, by `host:port`, with when. */
  readonly #failures = new Map<string, { at: number; error: Error }>();
  #closed = false;

  /** @throws {RangeError} for a bad CIDR in `allowedNetworks`. */
  constructor(opts: NetworkGuardOptions = {}) {
    this.policy = networkPolicy(opts);
    this.#opts = opts;
    this.#resolver = opts.resolver ?? systemResolver;
    this.#pool = new ClientPool(
      (key) => {
        const at = key.lastIndexOf("|");
        return Deno.createHttpClient({
          proxy: { transport: "tcp", hostname: key.slice(0, at), port: Number(key.slice(at + 1)) },
        });
      },
      { maxClients: opts.maxClients ?? 64 },
    );
  }

  /** The guard of a component's `ALLOW_PRIVATE_ADDRESSES` / `ALLOWED_PRIVATE_NETWORKS`. */
  static fromSettings(
    settings: NetworkGuardSettings,
    opts: Omit<NetworkGuardOptions, keyof NetworkPolicyOptions> = {},
  ): NetworkGuard {
    const policy = policyFromSettings(settings);
    return new NetworkGuard({
      ...opts,
      allowPrivate: policy.allowPrivate,
      allowedNetworks: policy.allowedNetworks.map((n) => n.text),
    });
  }

  /** Whether the guard checks anything (false with `allowPrivate`). */
  get enabled(): boolean {
    return !this.policy.allowPrivate;
  }

  /**
   * Resolves the URL's host and checks every address, without connecting; returns the
   * addresses (none asked of DNS with the guard off).
   *
   * @throws {NetworkRefusedError} | {HostLookupError}
   */
  async check(url: string | URL, signal?: AbortSignal): Promise<string[]> {
    if (!this.enabled) return [];
    return await resolveChecked(new URL(url).hostname, this.policy, this.#resolver, signal);
  }

  /**
   * One request to `input` (`redirect: "manual"`, whatever `init` says), connected only to an
   * address the policy allows. `init.client` is replaced with the guard's.
   *
   * @throws {NetworkRefusedError} when the host or an address it resolves to is refused.
   * @throws {HostLookupError} when the host name does not resolve.
   * @throws {TypeError} for a scheme other than http or https, and whatever `fetch` throws.
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    if (!this.enabled) return await fetch(input, { ...init, redirect: "manual" });
    if (this.#closed) throw new Error("Cannot fetch: the network guard is closed");
    const url = new URL(input);
    if (url.protocol === "http:") return await this.#fetchHttp(url, init);
    if (url.protocol === "https:") return await this.#fetchHttps(url, init);
    throw new TypeError(
      `Cannot fetch ${url.href}: the network guard passes only http and https, not ${
        url.protocol.slice(0, -1)
      }`,
    );
  }

  /** Closes the HttpClients and the CONNECT proxy (requests in flight end first). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.close();
    this.#proxyClient?.close();
    await this.#proxy?.close();
  }

  async #fetchHttp(url: URL, init: RequestInit): Promise<Response> {
    const signal = init.signal ?? undefined;
    const [address] = await resolveChecked(url.hostname, this.policy, this.#resolver, signal);
    const { client, release } = this.#pool.acquire(`${address}|${url.port || "80"}`);
    try {
      return await fetch(url, { ...init, client, redirect: "manual" });
    } finally {
      // The body keeps streaming even if the client is closed later (evicted).
      release();
    }
  }

  async #fetchHttps(url: URL, init: RequestInit): Promise<Response> {
    // Spellings are judged at once (no DNS); names when the tunnel is asked for.
    const literal = literalHostRefusal(url.hostname, this.policy);
    if (literal) throw literal;
    const client = this.#httpsClient();
    const target = `${url.hostname}:${url.port || "443"}`;
    const started = performance.now();
    try {
      return await fetch(url, { ...init, client, redirect: "manual" });
    } catch (err) {
      const failure = this.#failures.get(target);
      if (failure && failure.at >= started) {
        if (failure.error instanceof NetworkRefusedError) throw failure.error;
        if (failure.error instanceof HostLookupError) throw failure.error;
      }
      throw err;
    }
  }

  #httpsClient(): Deno.HttpClient {
    if (this.#proxyClient) return this.#proxyClient;
    this.#proxy = ConnectProxy.start({
      resolve: (host, signal) => resolveChecked(host, this.policy, this.#resolver, signal),
      onFailure: (target, error) => {
        this.#failures.delete(target);
        this.#failures.set(target, { at: performance.now(), error });
        if (this.#failures.size > _FAILURES_KEPT) {
          this.#failures.delete(this.#failures.keys().next().value!);
        }
      },
      ...(this.#opts.connectTimeoutMs !== undefined &&
        { timeoutMs: this.#opts.connectTimeoutMs }),
    });
    this.#proxyClient = this.#proxy.createClient({
      ...(this.#opts.caCerts && { caCerts: this.#opts.caCerts }),
    });
    return this.#proxyClient;
  }
}

/**
 * Removes `NO_PROXY` / `no_proxy` from `env` (pass `Deno.env`, before any HttpClient is built):
 * Deno's HttpClient would connect directly to the hosts they name, skipping the guard's pinned
 * connection. Returns what was removed (to log it), or null.
 */
export function dropProxyBypass(
  env: { get(name: string): string | undefined; delete(name: string): void },
): string | null {
  const removed: string[] = [];
  for (const name of ["NO_PROXY", "no_proxy"]) {
    const value = env.get(name);
    if (value !== undefined) {
      removed.push(`${name}=${value}`);
      env.delete(name);
    }
  }
  return removed.length > 0 ? removed.join(" ") : null;
}
