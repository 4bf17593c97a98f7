/**
 * Small async helpers shared by the components' loops: an abortable {@linkcode sleep}, one
 * {@linkcode retry} with backoff, jitter, a deadline and a signal, and {@linkcode withTimeout}
 * for bounding one wait.
 *
 * @module
 */

export * from "./sleep.ts";
export * from "./retry.ts";
export * from "./timeout.ts";
export * from "./decode_text.ts";
