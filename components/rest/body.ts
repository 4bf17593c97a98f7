/**
 * Reading a JSON request body: the content type must be JSON (`application/json` or
 * `application/*+json`, as Flask's `is_json`), the body valid UTF-8 and valid JSON. Every
 * refusal is an {@linkcode HttpError}. The size limit is the `bodyLimit()` wrapper's
 * (`middleware/body_limit.ts`): its `413` comes through as it is.
 *
 * @module
 */

import { HttpError, MESSAGES } from "./errors.ts";

/** Whether a `Content-Type` header names JSON. */
export function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const mime = header.split(";", 1)[0].trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

/** A parsed JSON body and its text. */
export interface JsonBody {
  text: string;
  value: unknown;
}

/**
 * Reads and parses the body of `req`.
 *
 * @throws {HttpError} 400 for a wrong content type, invalid UTF-8 or invalid JSON (nesting too
 *   deep for the parser included), 408 when `signal` aborts while the body arrives, and any
 *   `HttpError` the body stream fails with (413 from `bodyLimit()`).
 */
export async function readJsonBody(
  req: Request,
  opts: { signal: AbortSignal },
): Promise<JsonBody> {
  const text = await readJsonText(req, opts);
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    // SyntaxError, or RangeError for nesting deeper than the parser goes.
    throw new HttpError(400, MESSAGES.invalidJson);
  }
}

/**
 * Reads the body of `req` as text, with the checks of {@linkcode readJsonBody} but without
 * parsing it (`/feed` hands the text to the intake classifier, which parses as the
 * kafka-monitor does). A leading byte order mark is dropped by the UTF-8 decoding.
 *
 * @throws {HttpError} as {@linkcode readJsonBody}, except for invalid JSON.
 */
export async function readJsonText(req: Request, opts: { signal: AbortSignal }): Promise<string> {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    throw new HttpError(400, MESSAGES.invalidJson, { detail: "Content-Type must be JSON" });
  }
  const bytes = await _readAll(req.body, opts.signal);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, MESSAGES.invalidJson, { detail: "the body is not valid UTF-8" });
  }
}

async function _readAll(
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  const reader = body.getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      if (signal.aborted) throw new HttpError(408, MESSAGES.bodyTimeout);
      const { done, value } = await reader.read();
      if (signal.aborted) throw new HttpError(408, MESSAGES.bodyTimeout);
      if (done) break;
      total += value.byteLength;
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (signal.aborted) throw new HttpError(408, MESSAGES.bodyTimeout);
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
