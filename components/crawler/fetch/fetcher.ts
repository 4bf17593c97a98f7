/**
 * Downloading one page: {@linkcode fetchPage} turns a URL into a {@linkcode FetchedPage}
 * (redirects followed by hand so the user agent and cookies are re-sent, one overall timeout,
 * a size cap, charset detection and decoding), or throws a {@linkcode FetchError} whose
 * `retryable` flag tells the crawler whether to retry.
 *
 * Charset names: {@linkcode detectCharset} and `FetchedPage.encoding` report the WHATWG
 * canonical name of the encoding actually used, i.e. what `new TextDecoder(label).encoding`
 * says: `iso-8859-1`, `latin1` and `ascii` become `windows-1252` (as in browsers, and as w3lib
 * / Scrapy do with `cp1252`), `utf8` becomes `utf-8`. Every name reported is accepted by
 * `TextDecoder`. Without any declaration, text is decoded as UTF-8 (invalid bytes → U+FFFD).
 *
 * @example
 * ```ts ignore
 * import { fetchPage } from "./fetcher.ts";
 *
 * const page = await fetchPage("http://127.0.0.1:8000/", { timeoutMs: 10_000, maxBytes: 10e6 });
 * console.log(page.status, page.responseUrl, page.encoding, page.text?.length);
 * ```
 *
 * @module
 */

import { decoderFor, detectCharset, isTextual, mimeType } from "./charset.ts";
import { createPage } from "../page.ts";
import type { FetchedPage } from "../spider.ts";

export { detectCharset, isTextual } from "./charset.ts";

/** The `User-Agent` sent when the request names none. */
export const DEFAULT_USER_AGENT =
  "crawl-cluster/0.1 (+https://github.com/istresearch/scrapy-cluster)";

/** Options for {@linkcode fetchPage}. */
export interface FetchOptions {
  /**
   * One overall limit for connecting, the headers and the body, in ms (DOWNLOAD_TIMEOUT);
   * checked every 10 ms.
   */
  timeoutMs: number;
  /**
   * The body is cut after this many bytes and `truncated` set (DOWNLOAD_MAXSIZE); 0 means no
   * limit.
   */
  maxBytes: number;
  /**
   * The `User-Agent` header; null or absent sends `headers["User-Agent"]` if given, else
   * {@linkcode DEFAULT_USER_AGENT}.
   */
  userAgent?: string | null;
  /**
   * A Scrapy Cluster cookie string (`"a=b; c=d"`), sent as the `Cookie` header; cookie
   * attributes (`expires`, `path`, `domain`, `max-age`, `secure`, `httponly`, `samesite`) are
   * dropped. It is re-sent on redirects to the same host name only.
   */
  cookie?: string | null;
  /**
   * Redirects followed before giving up with a `too_many_redirects` error.
   * @default {10}
   */
  maxRedirects?: number;
  /** Extra request headers; they replace the defaults of the same name (case-insensitive). */
  headers?: Record<string, string>;
  /** Aborts the download with an `aborted` error. */
  signal?: AbortSignal;
}

/** Why a download failed. */
export type FetchErrorKind =
  | "timeout"
  | "connection"
  | "dns"
  | "too_many_redirects"
  | "invalid_url"
  | "aborted";

/** A download that produced no response; `retryable` says whether trying again can help. */
export class FetchError extends Error {
  readonly kind: FetchErrorKind;
  readonly retryable: boolean;
  /** The URL being fetched when it failed (after redirects). */
  readonly url: string;

  constructor(kind: FetchErrorKind, url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FetchError";
    this.kind = kind;
    this.url = url;
    this.retryable = kind === "timeout" || kind === "connection" || kind === "dns";
  }
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "Accept-Language": "en",
  // Only what Deno's fetch decompresses by itself: it leaves `deflate` bodies compressed.
  "Accept-Encoding": "gzip, br",
});
const COOKIE_ATTRIBUTES = new Set([
  "expires",
  "path",
  "domain",
  "max-age",
  "secure",
  "httponly",
  "samesite",
]);

/**
 * Downloads `url` (GET). Every HTTP status is a page (4xx/5xx included); only failures to get
 * a response throw, as {@linkcode FetchError}.
 */
export async function fetchPage(url: string, opts: FetchOptions): Promise<FetchedPage> {
  let current: URL;
  try {
    current = new URL(url);
  } catch (cause) {
    throw new FetchError("invalid_url", url, `Cannot fetch: invalid URL ${url}`, { cause });
  }
  _checkScheme(current, url);
  const requestHeaders = _requestHeaders(opts);
  const originalHost = current.hostname;
  const maxRedirects = opts.maxRedirects ?? 10;

  const controller = new AbortController();
  let timedOut = false;
  const deadline: _Deadline = {
    at: performance.now() + opts.timeoutMs,
    fire() {
      timedOut = true;
      controller.abort();
    },
  };
  _watch(deadline);
  const outer = opts.signal;
  const onAbort = () => controller.abort();
  if (outer) {
    if (outer.aborted) controller.abort();
    else outer.addEventListener("abort", onAbort, { once: true });
  }
  const fail = (cause: unknown): never => {
    if (cause instanceof FetchError) throw cause;
    if (outer?.aborted && !timedOut) {
      throw new FetchError("aborted", current.href, `Fetch of ${current.href} aborted`, { cause });
    }
    if (timedOut) {
      throw new FetchError(
        "timeout",
        current.href,
        `Fetch of ${current.href} timed out after ${opts.timeoutMs} ms`,
        { cause },
      );
    }
    throw _networkError(cause, current.href);
  };

  try {
    let headers = requestHeaders;
    let redirects = 0;
    let res: Response;
    for (;;) {
      try {
        res = await fetch(current, {
          method: "GET",
          headers,
          redirect: "manual",
          signal: controller.signal,
        });
      } catch (cause) {
        return fail(cause);
      }
      const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
      if (location === null) break;
      await res.body?.cancel().catch(() => {});
      if (++redirects > maxRedirects) {
        throw new FetchError(
          "too_many_redirects",
          current.href,
          `Cannot fetch ${url}: more than ${maxRedirects} redirects`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch (cause) {
        throw new FetchError(
          "invalid_url",
          current.href,
          `Cannot follow redirect from ${current.href}: invalid Location ${location}`,
          { cause },
        );
      }
      _checkScheme(next, next.href);
      next.hash = "";
      current = next;
      // Cookies stay with the host they were given for (as Scrapy ≥ 2.6 does).
      if (current.hostname === originalHost || !("Cookie" in requestHeaders)) {
        headers = requestHeaders;
      } else {
        const { Cookie: _dropped, ...rest } = requestHeaders;
        headers = rest;
      }
    }

    let body: Uint8Array<ArrayBuffer>;
    let truncated: boolean;
    try {
      [body, truncated] = await _readBody(res, opts.maxBytes);
    } catch (cause) {
      return fail(cause);
    }

    const responseHeaders = _responseHeaders(res.headers);
    const contentTypeHeader = res.headers.get("content-type");
    const contentType = mimeType(contentTypeHeader);
    let text: string | null = null;
    let encoding: string | null = null;
    if (isTextual(contentType, body)) {
      encoding = detectCharset(contentTypeHeader, body) ?? "utf-8";
      text = decoderFor(encoding).decode(body);
    }
    return createPage({
      url,
      responseUrl: current.href,
      status: res.status,
      statusText: res.statusText,
      headers: responseHeaders,
      requestHeaders: headers,
      body,
      text,
      encoding,
      truncated,
      contentType,
    });
  } finally {
    _unwatch(deadline);
    outer?.removeEventListener("abort", onAbort);
  }
}

/** A download's timeout: `fire` runs once `performance.now()` passes `at`. */
interface _Deadline {
  at: number;
  fire(): void;
}

/**
 * Timeouts share one interval timer while downloads are in flight instead of a timer each
 * (a setTimeout/clearTimeout pair costs more than the rest of the bookkeeping); they fire
 * up to {@linkcode _TICK_MS} late.
 */
const _TICK_MS = 10;
const _deadlines = new Set<_Deadline>();
let _ticker: ReturnType<typeof setInterval> | undefined;

function _watch(deadline: _Deadline): void {
  _deadlines.add(deadline);
  _ticker ??= setInterval(_tick, _TICK_MS);
}

function _unwatch(deadline: _Deadline): void {
  _deadlines.delete(deadline);
  if (_deadlines.size === 0 && _ticker !== undefined) {
    clearInterval(_ticker);
    _ticker = undefined;
  }
}

function _tick(): void {
  const now = performance.now();
  for (const deadline of _deadlines) {
    if (deadline.at <= now) {
      _deadlines.delete(deadline);
      deadline.fire();
    }
  }
}

/** Throws `invalid_url` for anything but http(s). */
function _checkScheme(url: URL, raw: string): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchError(
      "invalid_url",
      raw,
      `Cannot fetch ${raw}: scheme is ${url.protocol.slice(0, -1)}, not http or https`,
    );
  }
}

/** The headers to send, by the names they are sent with. */
function _requestHeaders(opts: FetchOptions): Record<string, string> {
  const headers: Record<string, string> = { "User-Agent": DEFAULT_USER_AGENT, ...BASE_HEADERS };
  if (opts.headers) {
    for (const [name, value] of Object.entries(opts.headers)) {
      const lower = name.toLowerCase();
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === lower) delete headers[existing];
      }
      headers[name] = _headerValue(value);
    }
  }
  if (opts.userAgent) {
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === "user-agent") delete headers[existing];
    }
    headers["User-Agent"] = _headerValue(opts.userAgent);
  }
  if (opts.cookie) {
    const cookie = cookieHeader(opts.cookie);
    if (cookie) {
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === "cookie") delete headers[existing];
      }
      headers.Cookie = cookie;
    }
  }
  return headers;
}

/** A header value without the characters `Headers` refuses (NUL, CR, LF). */
function _headerValue(value: string): string {
  return /[\0\r\n]/.test(value) ? value.replace(/[\0\r\n]+/g, " ") : value;
}

/**
 * The `Cookie` header for a Scrapy Cluster cookie string: `name=value` pairs separated by `;`,
 * with cookie attributes (`path=/`, `Secure`, ...) and empty or nameless parts dropped; `""`
 * when nothing is left.
 *
 * @example
 * ```ts
 * import { cookieHeader } from "./fetcher.ts";
 *
 * const header = cookieHeader("a=b; Path=/; c=d; HttpOnly; expires=Wed, 21 Oct 2015 07:28:00 GMT");
 * if (header !== "a=b; c=d") throw new Error(header);
 * ```
 */
export function cookieHeader(cookie: string): string {
  const pairs: string[] = [];
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!name || COOKIE_ATTRIBUTES.has(name.toLowerCase())) continue;
    if (eq < 0) continue; // a bare word is a flag attribute (Secure, HttpOnly) or noise
    pairs.push(`${name}=${part.slice(eq + 1).trim()}`);
  }
  return _headerValue(pairs.join("; "));
}

/** Classifies an error thrown by `fetch` or by reading its body. */
function _networkError(cause: unknown, url: string): FetchError {
  const text = _messages(cause);
  if (/dns error|failed to lookup|name or service not known|no address|nodename/i.test(text)) {
    return new FetchError("dns", url, `Cannot fetch ${url}: DNS lookup failed`, { cause });
  }
  if (/invalid url|relative url|url scheme|blocked|builder error/i.test(text)) {
    return new FetchError("invalid_url", url, `Cannot fetch ${url}: ${_firstLine(text)}`, {
      cause,
    });
  }
  return new FetchError("connection", url, `Cannot fetch ${url}: ${_firstLine(text)}`, {
    cause,
  });
}

/** The messages of an error and its causes, joined. */
function _messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ");
}

function _firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

const EMPTY = new Uint8Array(0);

/** Reads the body, stopping after `maxBytes` (0: no limit); returns it and whether it was cut. */
async function _readBody(
  res: Response,
  maxBytes: number,
): Promise<[Uint8Array<ArrayBuffer>, boolean]> {
  if (res.body === null) return [EMPTY, false];
  const limit = maxBytes > 0 ? maxBytes : Infinity;
  // Fast path: a body known to fit is read in one go (much cheaper than a chunk loop).
  const length = res.headers.get("content-length");
  if (
    limit === Infinity ||
    (length !== null && Number(length) <= limit && !res.headers.has("content-encoding"))
  ) {
    return [new Uint8Array(await res.arrayBuffer()), false];
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > limit) {
        const room = limit - size;
        if (room > 0) chunks.push(value.subarray(0, room) as Uint8Array<ArrayBuffer>);
        size = limit;
        truncated = true;
        await reader.cancel().catch(() => {});
        break;
      }
      chunks.push(value as Uint8Array<ArrayBuffer>);
      size += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return [chunks[0], truncated];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return [body, truncated];
}

/** Response headers: lower-case name → values; each Set-Cookie is its own value. */
function _responseHeaders(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (name === "set-cookie") continue;
    const values = out[name];
    if (values) values.push(value);
    else out[name] = [value];
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}
