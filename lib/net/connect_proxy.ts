/**
 * The guard's in-process HTTP CONNECT proxy for https: `fetch` (through an HttpClient whose
 * proxy is this server) asks `CONNECT host:port`; the proxy resolves and checks the host at that
 * moment, connects to a checked address and pipes bytes both ways. TLS stays end to end between
 * `fetch` and the server, verified against the real host name: the proxy never sees plaintext.
 *
 * It listens on 127.0.0.1 on a free port and answers only requests carrying its random
 * credentials (`Proxy-Authorization`), so other local processes cannot use it; even then it
 * only connects where the guard allows.
 *
 * @module
 */

import { NetworkRefusedError } from "./policy.ts";

/** Options of {@linkcode ConnectProxy.start}. */
export interface ConnectProxyOptions {
  /**
   * Resolves and checks a CONNECT host (as written: IPv6 in brackets); throws to refuse it.
   * Returns the addresses to try, in order.
   */
  resolve(host: string, signal: AbortSignal): Promise<string[]>;
  /** Told why a tunnel was not opened (`host:port` as the CONNECT line named it). */
  onFailure?(target: string, error: Error): void;
  /**
   * Limit for reading the CONNECT request, resolving and connecting, in ms.
   * @default {30000}
   */
  timeoutMs?: number;
}

const _HEAD_LIMIT = 8192;
const _encoder = new TextEncoder();

/** A running CONNECT proxy; {@linkcode ConnectProxy.close} stops it and its tunnels. */
export class ConnectProxy {
  readonly #listener: Deno.TcpListener;
  readonly #opts: ConnectProxyOptions;
  readonly #conns = new Set<Deno.Conn>();
  readonly #auth: string;
  readonly #accepting: Promise<void>;
  /** The credentials `fetch` must present. */
  readonly basicAuth: Deno.BasicAuth;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;

  private constructor(opts: ConnectProxyOptions) {
    this.#opts = opts;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.url = `http://127.0.0.1:${this.#listener.addr.port}`;
    this.basicAuth = { username: "guard", password: crypto.randomUUID() };
    this.#auth = `Basic ${btoa(`${this.basicAuth.username}:${this.basicAuth.password}`)}`;
    this.#accepting = this.#accept();
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  static start(opts: ConnectProxyOptions): ConnectProxy {
    return new ConnectProxy(opts);
  }

  /** An HttpClient that sends every https request of `fetch` through this proxy. */
  createClient(opts: { caCerts?: string[] } = {}): Deno.HttpClient {
    return Deno.createHttpClient({
      ...(opts.caCerts && { caCerts: opts.caCerts }),
      proxy: { url: this.url, basicAuth: this.basicAuth },
    });
  }

  /** Stops listening and closes every connection and tunnel. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#conns) _close(conn);
    this.#conns.clear();
    await this.#accepting;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        this.#serve(conn).catch(() => {}).finally(() => {
          this.#conns.delete(conn);
          _close(conn);
        });
      }
    } catch {
      // the listener was closed
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const deadline = AbortSignal.timeout(this.#opts.timeoutMs ?? 30_000);
    const onTimeout = () => _close(conn);
    deadline.addEventListener("abort", onTimeout, { once: true });
    let upstream: Deno.Conn;
    let rest: Uint8Array;
    try {
      const head = await _readHead(conn);
      if (head === null) return;
      rest = head.rest;
      const request = _parseConnect(head.text, this.#auth);
      if ("status" in request) return await _answer(conn, request.status);
      const target = `${request.host}:${request.port}`;
      let addresses: string[];
      try {
        addresses = await this.#opts.resolve(request.host, deadline);
      } catch (err) {
        this.#opts.onFailure?.(target, _asError(err));
        const refused = err instanceof NetworkRefusedError;
        return await _answer(conn, refused ? "403 Forbidden" : "502 Bad Gateway");
      }
      let lastError: unknown = null;
      let connected: Deno.Conn | null = null;
      for (const hostname of addresses) {
        try {
          connected = await Deno.connect({ hostname, port: request.port, signal: deadline });
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (connected === null) {
        this.#opts.onFailure?.(target, _asError(lastError));
        return await _answer(conn, "502 Bad Gateway");
      }
      upstream = connected;
    } finally {
      deadline.removeEventListener("abort", onTimeout);
    }
    this.#conns.add(upstream);
    try {
      await conn.write(_encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      if (rest.length > 0) await upstream.write(rest);
      const closeBoth = () => {
        _close(conn);
        _close(upstream);
      };
      await Promise.allSettled([
        conn.readable.pipeTo(upstream.writable).catch(closeBoth),
        upstream.readable.pipeTo(conn.writable).catch(closeBoth),
      ]);
    } finally {
      this.#conns.delete(upstream);
      _close(upstream);
    }
  }
}

/** Reads up to the blank line ending the request head; null if the client went away. */
async function _readHead(conn: Deno.Conn): Promise<{ text: string; rest: Uint8Array } | null> {
  const buf = new Uint8Array(_HEAD_LIMIT);
  let n = 0;
  while (n < buf.length) {
    const read = await conn.read(buf.subarray(n));
    if (read === null) return null;
    n += read;
    const text = new TextDecoder("latin1").decode(buf.subarray(0, n));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return { text: text.slice(0, end), rest: buf.slice(end + 4, n) };
  }
  return { text: "", rest: new Uint8Array() };
}

/** The CONNECT target, or the status to answer with. */
function _parseConnect(
  head: string,
  auth: string,
): { host: string; port: number } | { status: string } {
  const [line, ...headers] = head.split("\r\n");
  const m = /^CONNECT (\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):(\d{1,5}) HTTP\/1\.[01]$/.exec(line ?? "");
  if (!line?.startsWith("CONNECT ")) return { status: "405 Method Not Allowed" };
  const given = headers.find((h) => /^proxy-authorization:/i.test(h))?.slice(20).trim();
  if (given !== auth) return { status: "407 Proxy Authentication Required" };
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) return { status: "400 Bad Request" };
  return { host: m[1].toLowerCase(), port };
}

async function _answer(conn: Deno.Conn, status: string): Promise<void> {
  await conn.write(_encoder.encode(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`))
    .catch(() => {});
}

function _close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

function _asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
