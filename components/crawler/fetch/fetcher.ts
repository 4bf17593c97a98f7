/**
 * Downloading one page: {@linkcode fetchPage} turns a URL into a {@linkcode FetchedPage}
 * (ONE request: a redirect is returned as it is, status and `Location`, for the crawler to
 * follow through the frontier; one overall timeout, a size cap, charset detection and
 * decoding), or throws a {@linkcode FetchError} whose
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
import { type Deadline, unwatchDeadline, watchDeadline } from "./deadlines.ts";
import { checkScheme, FetchError, networkError } from "./fetch_error.ts";
import { buildRequestHeaders, type RequestHeaderOptions } from "./request_headers.ts";
import { readBody, readResponseHeaders } from "./response_body.ts";
import { type NetworkGuard, NetworkRefusedError } from "../../../lib/net/mod.ts";
import { createPage } from "../page.ts";
import type { FetchedPage } from "../spider.ts";

export { FetchError, type FetchErrorKind } from "./fetch_error.ts";
export { cookieHeader, DEFAULT_USER_AGENT } from "./request_headers.ts";

/** Options for {@linkcode fetchPage} (the headers it sends: see `RequestHeaderOptions`). */
export interface FetchOptions extends RequestHeaderOptions {
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
  /** Aborts the download with an `aborted` error. */
  signal?: AbortSignal;
  /**
   * The network guard the request goes through; a refusal throws a `refused` FetchError.
   * Without one, the plain global `fetch` (no address is checked).
   */
  guard?: NetworkGuard;
}

/** The statuses that redirect when they carry a `Location` (as Scrapy's RedirectMiddleware). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Whether a response is a redirect to follow: a redirect status with a `Location` header. */
export function isRedirect(
  status: number,
  headers: Headers | Readonly<Record<string, unknown>>,
): boolean {
  if (!REDIRECT_STATUSES.has(status)) return false;
  if (headers instanceof Headers) return headers.get("location") !== null;
  return Object.keys(headers).some((name) => name.toLowerCase() === "location");
}

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
  checkScheme(current, url);
  const requestHeaders = buildRequestHeaders(opts);

  const controller = new AbortController();
  let timedOut = false;
  const deadline: Deadline = {
    at: performance.now() + opts.timeoutMs,
    fire() {
      timedOut = true;
      controller.abort();
    },
  };
  watchDeadline(deadline);
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
    throw networkError(cause, current.href);
  };

  try {
    const headers = requestHeaders;
    let res: Response;
    try {
      const init: RequestInit = {
        method: "GET",
        headers,
        redirect: "manual",
        signal: controller.signal,
      };
      res = await (opts.guard ? opts.guard.fetch(current, init) : fetch(current, init));
    } catch (cause) {
      if (cause instanceof NetworkRefusedError) {
        throw new FetchError(
          "refused",
          current.href,
          `Cannot fetch ${current.href}: ${cause.message}`,
          {
            cause,
          },
        );
      }
      return fail(cause);
    }
    // A redirect is returned as it is (status and Location, no body): the crawler follows it
    // through the frontier as a request of its own (Scrapy's RedirectMiddleware).
    if (isRedirect(res.status, res.headers)) {
      await res.body?.cancel().catch(() => {});
      return createPage({
        url,
        responseUrl: current.href,
        status: res.status,
        statusText: res.statusText,
        headers: readResponseHeaders(res.headers),
        requestHeaders: headers,
        body: new Uint8Array(0),
        text: null,
        encoding: null,
        truncated: false,
        contentType: mimeType(res.headers.get("content-type")),
      });
    }

    let body: Uint8Array<ArrayBuffer>;
    let truncated: boolean;
    try {
      [body, truncated] = await readBody(res, opts.maxBytes);
    } catch (cause) {
      return fail(cause);
    }

    const responseHeaders = readResponseHeaders(res.headers);
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
    unwatchDeadline(deadline);
    outer?.removeEventListener("abort", onAbort);
  }
}
