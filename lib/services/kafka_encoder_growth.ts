/**
 * kafkajs's protocol `Encoder` grows its buffer with `Buffer.alloc`, which zero-fills the new
 * memory before the old bytes are copied over it. A produced batch of 20 KB pages goes through
 * several encoders (each record, the batch body, the batch, the request), each growing by
 * doubling to about a megabyte: zero-filling those buffers cost more than copying into them
 * (1 MB: 86 µs zeroed, 20 µs without). {@linkcode installEncoderGrowth} replaces the one method,
 * `ensureAvailable`, by the same growth with `Buffer.allocUnsafe`: the bytes past `offset` are
 * never read (an encoder hands out `buf.slice(0, offset)` only, and every write lands below the
 * new offset), so what kafkajs sends is byte for byte the same —
 * `kafka_encoder_growth_test.ts` encodes record batches both ways and compares them.
 *
 * Like the CRC32C patch (`kafka_crc32c.ts`), it is checked against the pinned kafkajs version;
 * anything unexpected leaves kafkajs as it is.
 *
 * @module
 */

import Module, { createRequire } from "node:module";
import { Buffer } from "node:buffer";
import { PATCHED_KAFKAJS_VERSION } from "./kafka_crc32c.ts";

const KAFKAJS_MAIN = /[\\/]kafkajs[\\/](?:[^\\/]+[\\/])?index\.js$/;
const ENCODER_MODULE = "./src/protocol/encoder.js";

/** kafkajs's Encoder as far as the patch sees it. */
export interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
}

/** The Encoder class of the loaded kafkajs (its prototype is what the patch changes). */
export interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  nextPowerOfTwo(value: number): number;
  prototype: KafkajsEncoder;
}

/** What {@linkcode installEncoderGrowth} found: installed, or why kafkajs keeps its own. */
export type EncoderGrowthPatch =
  | { installed: true }
  | { installed: false; reason: string };

/** kafkajs's growth with memory that is not zero-filled first. */
function ensureAvailable(this: KafkajsEncoder, length: number): void {
  const needed = this.offset + length;
  if (needed <= this.buf.length) return;
  const grown = Buffer.allocUnsafe((encoderClass as KafkajsEncoderClass).nextPowerOfTwo(needed));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}

let encoderClass: KafkajsEncoderClass | null = null;
let original: KafkajsEncoder["ensureAvailable"] | null = null;
let outcome: EncoderGrowthPatch | null = null;

/** The loaded kafkajs's Encoder class, or why it cannot be patched. */
export function kafkajsEncoder(): KafkajsEncoderClass | string {
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const main = Object.keys(cache).find((path) => KAFKAJS_MAIN.test(path));
  if (!main) return "kafkajs is not loaded";
  const kafkajsRequire = createRequire(main);
  const pkg = kafkajsRequire("./package.json") as { name?: string; version?: string };
  if (pkg.name !== "kafkajs" || pkg.version !== PATCHED_KAFKAJS_VERSION) {
    return `kafkajs ${pkg.version} is not ${PATCHED_KAFKAJS_VERSION}, the version patched`;
  }
  const Encoder: unknown = kafkajsRequire(ENCODER_MODULE);
  const shape = Encoder as { nextPowerOfTwo?: unknown; prototype?: { ensureAvailable?: unknown } };
  if (
    typeof Encoder !== "function" || typeof shape.nextPowerOfTwo !== "function" ||
    typeof shape.prototype?.ensureAvailable !== "function"
  ) {
    return "kafkajs's Encoder is not the class the patch was written for";
  }
  return Encoder as KafkajsEncoderClass;
}

/** Installs the growth without zero-filling (once; later calls return the first outcome). */
export function installEncoderGrowth(): EncoderGrowthPatch {
  if (outcome) return outcome;
  try {
    const found = kafkajsEncoder();
    if (typeof found === "string") return outcome = { installed: false, reason: found };
    encoderClass = found;
    original = found.prototype.ensureAvailable;
    found.prototype.ensureAvailable = ensureAvailable;
    return outcome = { installed: true };
  } catch (err) {
    return outcome = { installed: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** kafkajs's own `ensureAvailable` (for the test comparing both), null before the install. */
export function kafkajsEnsureAvailable(): KafkajsEncoder["ensureAvailable"] | null {
  return original;
}
