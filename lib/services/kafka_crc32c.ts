/**
 * A faster CRC32C for kafkajs. kafkajs checksums every record batch it produces with a
 * byte-at-a-time CRC32C in JS (`src/protocol/recordBatch/crc32C`); on the crawler's 20 KB pages
 * that loop and the buffer copies around it were about a quarter of the crawler's profile.
 * {@linkcode crc32c} is the same checksum (Castagnoli polynomial, reflected, as Kafka's record
 * batch v2 wants) computed slice-by-8: eight bytes per step through eight 256-entry tables.
 *
 * {@linkcode installFastCrc32c} swaps it into the pinned kafkajs at run time, without a vendored
 * copy: kafkajs loads its record-batch encoder lazily (at the first produce) and takes the
 * checksum with `require('../crc32C')`, so replacing the exports of that module in Node's module
 * cache before the encoder loads is enough. It is one function of one module, checked against
 * the version it was written for; anything unexpected leaves kafkajs's own checksum in place.
 * The broker verifies every batch's CRC, so a wrong checksum could not go unnoticed: produce
 * would fail with CORRUPT_MESSAGE.
 *
 * @module
 */

import Module, { createRequire } from "node:module";

/** The kafkajs version whose module layout {@linkcode installFastCrc32c} was written for. */
export const PATCHED_KAFKAJS_VERSION = "2.2.4";

/** CRC32C (Castagnoli, reflected 0x82F63B78) tables for slice-by-8, 8 × 256 entries. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/**
 * The CRC32C of `buf` as an unsigned 32-bit number; equals kafkajs's own `crc32C`.
 *
 * @example
 * ```ts
 * import { crc32c } from "./kafka_crc32c.ts";
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 * ```
 */
export function crc32c(buf: Uint8Array): number {
  const t = TABLES;
  let crc = -1;
  let i = 0;
  const whole = buf.length - (buf.length & 7);
  // Eight bytes per step: the first four folded into the running CRC, the other four looked up
  // directly, each through the table that advances it the right number of bytes.
  while (i < whole) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + buf[i + 4]] ^ t[512 + buf[i + 5]] ^ t[256 + buf[i + 6]] ^ t[buf[i + 7]];
    i += 8;
  }
  for (; i < buf.length; i++) crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

type CachedModule = { exports: unknown };
const moduleCache = (Module as unknown as { _cache: Record<string, CachedModule> })._cache;

const KAFKAJS_MAIN = /[\\/]kafkajs[\\/](?:[^\\/]+[\\/])?index\.js$/;
const CRC_MODULE = "./src/protocol/recordBatch/crc32C/index.js";
const ENCODER_MODULE = "./src/protocol/recordBatch/v0/index.js";

/** What {@linkcode installFastCrc32c} found: installed, or why kafkajs keeps its own. */
export type Crc32cPatch =
  | { installed: true }
  | { installed: false; reason: string };

let outcome: Crc32cPatch | null = null;

/**
 * Makes the loaded kafkajs checksum record batches with {@linkcode crc32c}. Call it after
 * kafkajs is imported and before anything produces (`kafka.ts` does, at module load);
 * idempotent. Never throws: when the layout is not the expected one it says why and kafkajs
 * keeps its own (slower, equal) checksum.
 */
export function installFastCrc32c(): Crc32cPatch {
  return outcome ??= tryInstall();
}

function tryInstall(): Crc32cPatch {
  try {
    const main = Object.keys(moduleCache).find((path) => KAFKAJS_MAIN.test(path));
    if (!main) return { installed: false, reason: "kafkajs is not loaded" };
    const kafkajsRequire = createRequire(main);
    const pkg = kafkajsRequire("./package.json") as { name?: string; version?: string };
    if (pkg.name !== "kafkajs" || pkg.version !== PATCHED_KAFKAJS_VERSION) {
      return {
        installed: false,
        reason: `kafkajs ${pkg.version} is not ${PATCHED_KAFKAJS_VERSION}, the version patched`,
      };
    }
    const encoderPath = kafkajsRequire.resolve(ENCODER_MODULE);
    if (moduleCache[encoderPath]) {
      return { installed: false, reason: "kafkajs's record batch encoder is already loaded" };
    }
    const original = kafkajsRequire(CRC_MODULE);
    if (typeof original !== "function") {
      return { installed: false, reason: "kafkajs's crc32C module is not a function" };
    }
    const cached = moduleCache[kafkajsRequire.resolve(CRC_MODULE)];
    if (!cached) return { installed: false, reason: "kafkajs's crc32C module is not cached" };
    cached.exports = crc32c;
    return { installed: true };
  } catch (err) {
    return { installed: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * kafkajs's own byte-at-a-time CRC32C, for the test that proves the two equal. Resolves through
 * the loaded kafkajs to the original file, whatever the cache holds.
 */
export function kafkajsCrc32c(): (buf: Uint8Array) => number {
  const main = Object.keys(moduleCache).find((path) => KAFKAJS_MAIN.test(path));
  if (!main) throw new Error("Cannot find kafkajs's crc32C: kafkajs is not loaded");
  const kafkajsRequire = createRequire(main);
  // crc32C.js is the loop itself; the index around it only makes the result unsigned.
  const loop = kafkajsRequire("./src/protocol/recordBatch/crc32C/crc32C.js") as (
    buf: Uint8Array,
  ) => number;
  return (buf) => loop(buf) >>> 0;
}
