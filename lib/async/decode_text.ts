/**
 * The text of a byte stream, chunk by chunk (UTF-8, a character split across chunks kept whole).
 * Written with TextDecoder rather than `pipeThrough(new TextDecoderStream())`: npm packages that
 * load `@types/node` (puppeteer-core, in the dashboard test) retype the web stream globals, and
 * that call then fails the type check of the whole program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeText } from "./decode_text.ts";
 *
 * const bytes = new TextEncoder().encode("café");
 * const stream = ReadableStream.from([bytes.subarray(0, 4), bytes.subarray(4)]);
 * const parts: string[] = [];
 * for await (const text of decodeText(stream)) parts.push(text);
 * assert.equal(parts.join(""), "café");
 * ```
 *
 * @module
 */

/** Yields the decoded text of `stream` as its chunks arrive. */
export async function* decodeText(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== "") yield text;
  }
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}
