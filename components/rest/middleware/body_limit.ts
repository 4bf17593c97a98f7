/**
 * The request body limit (`MAX_BODY_BYTES`) as a wrapper: the body the route reads is cut off
 * with `413` once it passes `maxBytes`, counted while it arrives (a client need not declare a
 * length), and at the first read when `Content-Length` already says it is larger. Nothing is
 * read before the route asks, so the route's own checks (content type) come first.
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import type { Middleware } from "./compose.ts";

/** Limits the body of every request to `maxBytes`. */
export function bodyLimit(maxBytes: number): Middleware {
  return (next) => async (req, ctx) => {
    if (req.body === null) return await next(req, ctx);
    const declared = Number(req.headers.get("content-length") ?? "0");
    const body = _limited(req.body, maxBytes, declared > maxBytes);
    // Built from the URL, not from `req`: copying a request reads its `signal`, which under
    // Deno.serve aborts after every response (and makes Deno warn about it).
    const limited = new Request(req.url, { method: req.method, headers: req.headers, body });
    return await next(limited, ctx);
  };
}

function _tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, MESSAGES.tooLarge, { detail: `the limit is ${maxBytes} bytes` });
}

/** `body`, erroring with 413 at the first read past `maxBytes` (at once when `refuse`). */
function _limited(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  refuse: boolean,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let total = 0;
  const fail = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    await reader?.cancel().catch(() => {});
    controller.error(_tooLarge(maxBytes));
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (refuse) return await fail(controller);
      reader ??= body.getReader();
      const { done, value } = await reader.read();
      // After a cancel the read ends with `done`, and closing would throw: nothing to do.
      if (done) return _settle(() => controller.close());
      total += value.byteLength;
      if (total > maxBytes) return await fail(controller);
      _settle(() => controller.enqueue(value));
    },
    cancel(reason) {
      return (reader ?? body).cancel(reason);
    },
    // Pull only when the route reads: no byte is taken before it asks.
  }, { highWaterMark: 0 });
}

function _settle(fn: () => void): void {
  try {
    fn();
  } catch {
    // The reader went away (cancelled): the stream is closed already.
  }
}
