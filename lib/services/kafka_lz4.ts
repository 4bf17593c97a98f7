/**
 * LZ4 frames as Kafka reads them, built on lz4js's block compressor (npm, pure JS: native LZ4
 * addons cannot load under Deno without a node_modules directory and build scripts).
 *
 * lz4js's own `compress` writes frames whose blocks may refer back to earlier ones (its flag
 * byte lacks "block independence", and its hash table is kept across blocks); Kafka's
 * broker refuses those. {@linkcode lz4Frame} writes the frame itself: independent blocks of at
 * most 4 MB, each compressed with a fresh hash table, no checksums but the descriptor's. Reading
 * is lz4js's `decompress`, which takes any frame (Kafka's Java producers write 64 KB blocks).
 *
 * @module
 */

import lz4js from "lz4js";

// lz4js ships no types: the functions used here.
const lz4 = lz4js as {
  compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  compressBound(n: number): number;
  decompress(src: Uint8Array): Uint8Array | number[];
};

const MAGIC = 0x184d2204;
/** Version 01, blocks independent; no block or content checksum, no content size. */
const FLG = 0x60;
/** Largest block: 4 MB. */
const BD = 0x70;
/** (xxh32(FLG, BD) >> 8) & 0xff, the descriptor checksum of the two bytes above. */
const HC = 0x73;
const MAX_BLOCK = 4 * 1024 * 1024;
const UNCOMPRESSED = 0x80000000;

const hashTable = new Uint32Array(1 << 16);
let scratch = new Uint8Array(0);

function writeU32(dst: Uint8Array, at: number, value: number): void {
  dst[at] = value;
  dst[at + 1] = value >>> 8;
  dst[at + 2] = value >>> 16;
  dst[at + 3] = value >>> 24;
}

/** `src` as one LZ4 frame of independent blocks. */
export function lz4Frame(src: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(src.length / MAX_BLOCK));
  const out = new Uint8Array(7 + blocks * 4 + lz4.compressBound(src.length) + 4);
  writeU32(out, 0, MAGIC);
  out[4] = FLG;
  out[5] = BD;
  out[6] = HC;
  let at = 7;
  for (let start = 0; start < src.length; start += MAX_BLOCK) {
    const size = Math.min(MAX_BLOCK, src.length - start);
    const bound = lz4.compressBound(size);
    if (scratch.length < bound) scratch = new Uint8Array(bound);
    hashTable.fill(0); // independent: no match may reach into an earlier block
    const packed = lz4.compressBlock(src, scratch, start, size, hashTable);
    if (packed === 0 || packed >= size) {
      writeU32(out, at, (UNCOMPRESSED | size) >>> 0);
      out.set(src.subarray(start, start + size), at + 4);
      at += 4 + size;
    } else {
      writeU32(out, at, packed);
      out.set(scratch.subarray(0, packed), at + 4);
      at += 4 + packed;
    }
  }
  writeU32(out, at, 0); // end mark
  return out.subarray(0, at + 4);
}

/** The bytes of one LZ4 frame. */
export function lz4Unframe(frame: Uint8Array): Uint8Array {
  const bytes = lz4.decompress(frame);
  return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
}
