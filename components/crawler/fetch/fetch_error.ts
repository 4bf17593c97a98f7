/**
 * How a download fails without a response: {@linkcode FetchError} with a `kind` and a
 * `retryable` flag (timeouts, connection and DNS failures may pass; a bad URL, too many
 * redirects, a permission the process lacks or an abort will not), and the classification of
 * what `fetch` throws.
 *
 * @module
 */

/** Why a download failed. */
export type FetchErrorKind =
  | "timeout"
  | "connection"
  | "dns"
  | "too_many_redirects"
  | "invalid_url"
  | "aborted"
  /** The network guard refused the address (never retried). */
  | "refused"
  /** The process may not connect there (Deno's `NotCapable` / `PermissionDenied`): permanent. */
  | "permission";

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

/** Throws `invalid_url` for anything but http(s). */
export function checkScheme(url: URL, raw: string): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchError(
      "invalid_url",
      raw,
      `Cannot fetch ${raw}: scheme is ${url.protocol.slice(0, -1)}, not http or https`,
    );
  }
}

/** Classifies an error thrown by `fetch` or by reading its body. */
export function networkError(cause: unknown, url: string): FetchError {
  const text = _messages(cause);
  if (_isPermissionError(cause)) {
    // Trying again cannot help: the process lacks --allow-net for this host.
    return new FetchError("permission", url, `Cannot fetch ${url}: ${_firstLine(text)}`, {
      cause,
    });
  }
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

/** Whether `err` (or one of its causes) is Deno refusing the access for lack of permission. */
function _isPermissionError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return true;
    }
    if (e.name === "NotCapable" || e.name === "PermissionDenied") return true;
    e = e.cause;
  }
  return false;
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
