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
 * A produce request also copies its payload about ten times: each record into the batch body,
 * which doubles its way up, then the whole body into the batch, the batch into its bytes, the
 * partition, the topic, the request, the request's frame — every copy a fresh buffer of up to a
 * megabyte, garbage at once but freed only by V8's next collection. At 2,000 pages/s that was
 * ~1.4 GB of such buffers in a 5,000-page run, and the crawler's RSS grew with them (glibc's
 * heap keeps what it once held). So the patch also lets an encoder *adopt* a large buffer
 * instead of copying it: grown buffers keep {@linkcode HEADROOM} free bytes in front; an encoder
 * that writes another encoder's whole content, having written only a few framing bytes itself,
 * puts those bytes in that headroom and takes the memory over (the giver keeps a view of exactly
 * what it held, so a later write of its own moves it to a buffer of its own first). An array of
 * encoders (a batch's records) is copied into one buffer of the exact size instead of doubling.
 * {@linkcode utf8ForRecord} encodes a produced value with headroom, so its record adopts it too.
 * Every byte sent is the same; the test compares whole produce requests both ways.
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
  writeBufferInternal(buffer: Buffer): void;
  writeBytes(value: unknown): KafkajsEncoder;
  writeEncoderArray(value: unknown): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
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

/** The methods the patch replaces. */
const PATCHED = [
  "ensureAvailable",
  "writeBufferInternal",
  "writeBytes",
  "writeEncoderArray",
] as const;
type Patched = Pick<KafkajsEncoder, typeof PATCHED[number]>;

/**
 * Free bytes in front of a grown buffer: room for the framing the encoders wrapping it write
 * before it (a produce request's is under 200 bytes: batch header, partition, topic name,
 * request header, client id).
 */
export const HEADROOM = 512;
/** Room after a produced value: its record writes a header count after it. */
const TAILROOM = 16;
/** Smaller buffers are copied and grown as kafkajs does (nothing worth the bookkeeping). */
export const ADOPT_MIN_BYTES = 4096;

/** Who may write past the end of a headroom buffer's content: its current holder. */
interface Holder {
  buf: Buffer;
  offset: number;
}
const holders = new WeakMap<ArrayBufferLike, Holder>();

/** A buffer of `size` bytes after {@linkcode HEADROOM} free ones, held by `holder`. */
function withHeadroom(size: number, holder: Holder): Buffer {
  const memory = Buffer.allocUnsafeSlow(HEADROOM + size);
  holders.set(memory.buffer, holder);
  return memory.subarray(HEADROOM);
}

/** Moves the encoder's content to a buffer of `size` bytes (never zero-filled). */
function regrow(encoder: KafkajsEncoder, size: number): void {
  const grown = size >= ADOPT_MIN_BYTES ? withHeadroom(size, encoder) : Buffer.allocUnsafe(size);
  encoder.buf.copy(grown, 0, 0, encoder.offset);
  encoder.buf = grown;
}

/** kafkajs's growth (to the next power of two) with memory that is not zero-filled first. */
function ensureAvailable(this: KafkajsEncoder, length: number): void {
  const needed = this.offset + length;
  if (needed <= this.buf.length) return;
  regrow(this, (encoderClass as KafkajsEncoderClass).nextPowerOfTwo(needed));
}

/**
 * Takes `value`'s memory over when it is the whole content of a headroom buffer with room in
 * front for what this encoder holds; false (nothing done) otherwise.
 */
function adopt(encoder: KafkajsEncoder, value: Buffer): boolean {
  const holder = holders.get(value.buffer);
  if (holder === undefined || holder === encoder) return false;
  const held = holder.buf;
  if (
    held.buffer !== value.buffer || held.byteOffset !== value.byteOffset ||
    holder.offset !== value.length || value.byteOffset < encoder.offset
  ) return false;
  const joined = Buffer.from(
    value.buffer as ArrayBuffer,
    value.byteOffset - encoder.offset,
    encoder.offset + held.length,
  );
  encoder.buf.copy(joined, 0, 0, encoder.offset);
  // The giver keeps exactly its content: writing more would move it to a buffer of its own.
  holder.buf = held.subarray(0, holder.offset);
  holders.set(value.buffer, encoder);
  encoder.buf = joined;
  encoder.offset += value.length;
  return true;
}

/** kafkajs's copy of a buffer, unless the encoder can adopt it. */
function writeBufferInternal(this: KafkajsEncoder, buffer: Buffer): void {
  if (buffer.length >= ADOPT_MIN_BYTES && adopt(this, buffer)) return;
  this.ensureAvailable(buffer.length);
  buffer.copy(this.buf, this.offset, 0);
  this.offset += buffer.length;
}

/** kafkajs's writeBytes, without growing for a large buffer it may adopt instead. */
function writeBytes(this: KafkajsEncoder, value: unknown): KafkajsEncoder {
  if (!Buffer.isBuffer(value) || value.length < ADOPT_MIN_BYTES) {
    return (original as Patched).writeBytes.call(this, value);
  }
  this.writeInt32(value.length);
  this.writeBufferInternal(value);
  return this;
}

/** kafkajs's writeEncoderArray; two or more encoders are copied into one buffer of the exact size. */
function writeEncoderArray(this: KafkajsEncoder, value: unknown): KafkajsEncoder {
  if (
    !Array.isArray(value) || value.length < 2 ||
    value.some((v) => v == null || !Buffer.isBuffer(v.buf))
  ) return (original as Patched).writeEncoderArray.call(this, value);
  let total = 0;
  for (const encoder of value as KafkajsEncoder[]) total += encoder.offset;
  const fresh = this.offset + total > this.buf.length;
  if (fresh) regrow(this, this.offset + total);
  for (const encoder of value as KafkajsEncoder[]) {
    encoder.buf.copy(this.buf, this.offset, 0, encoder.offset);
    this.offset += encoder.offset;
    // A batch of produced values in memory made for it here: freed with them
    // (releaseRecordValues).
    if (fresh && recordValues.has(encoder.buf.buffer)) {
      batchOf.set(encoder.buf.buffer, this.buf.buffer);
    }
  }
  return this;
}

const replacements: Patched = {
  ensureAvailable,
  writeBufferInternal,
  writeBytes,
  writeEncoderArray,
};

/**
 * `text` in UTF-8 for a produced record's value: a large one in a headroom buffer, so the
 * record encoder adopts it rather than copying it.
 */
export function utf8ForRecord(text: string): Buffer {
  const length = Buffer.byteLength(text, "utf8");
  if (length < ADOPT_MIN_BYTES || outcome?.installed !== true) return Buffer.from(text, "utf8");
  const holder: Holder = { buf: Buffer.alloc(0), offset: length };
  holder.buf = withHeadroom(length + TAILROOM, holder);
  recordValues.add(holder.buf.buffer);
  utf8.encodeInto(text, holder.buf.subarray(0, length));
  return holder.buf.subarray(0, length);
}

/**
 * Frees the memory of values from {@linkcode utf8ForRecord}, and of the record batches holding
 * them, once the broker acknowledged them (so nothing reads them any more): at once, instead of
 * at V8's next full collection — a value outlives two young-generation collections while its
 * batch is on its way, so only a full one, every few hundred ms, would free it. Any other
 * buffer is left alone. Never after a failure: a write may still hold the request.
 */
export function releaseRecordValues(values: readonly Buffer[]): void {
  for (const value of values) {
    const memory = value.buffer as ArrayBuffer;
    if (!recordValues.has(memory)) continue;
    const batch = batchOf.get(memory) as ArrayBuffer | undefined;
    if (batch !== undefined && !batch.detached) batch.transfer(0);
    if (!memory.detached) memory.transfer(0);
  }
}

/** Memory of values from {@linkcode utf8ForRecord}. */
const recordValues = new WeakSet<ArrayBufferLike>();
/** The memory of the record batch a value was copied into. */
const batchOf = new WeakMap<ArrayBufferLike, ArrayBufferLike>();
const utf8 = new TextEncoder();
let encoderClass: KafkajsEncoderClass | null = null;
let original: Patched | null = null;
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
  const shape = Encoder as { nextPowerOfTwo?: unknown; prototype?: unknown };
  if (
    typeof Encoder !== "function" || typeof shape.nextPowerOfTwo !== "function" ||
    PATCHED.some((name) =>
      typeof (shape.prototype as Record<string, unknown>)?.[name] !== "function"
    )
  ) {
    return "kafkajs's Encoder is not the class the patch was written for";
  }
  return Encoder as KafkajsEncoderClass;
}

/** Installs the growth and the adoption (once; later calls return the first outcome). */
export function installEncoderGrowth(): EncoderGrowthPatch {
  if (outcome) return outcome;
  try {
    const found = kafkajsEncoder();
    if (typeof found === "string") return outcome = { installed: false, reason: found };
    encoderClass = found;
    const proto = found.prototype;
    original = {
      ensureAvailable: proto.ensureAvailable,
      writeBufferInternal: proto.writeBufferInternal,
      writeBytes: proto.writeBytes,
      writeEncoderArray: proto.writeEncoderArray,
    };
    Object.assign(proto, replacements);
    return outcome = { installed: true };
  } catch (err) {
    return outcome = { installed: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** kafkajs's own methods the patch replaced (for the test comparing both), null before. */
export function kafkajsOwnMethods(): Readonly<Patched> | null {
  return original;
}

/** The patch's methods (for the test switching between both). */
export function patchedMethods(): Readonly<Patched> {
  return replacements;
}
