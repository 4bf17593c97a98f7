/**
 * Compression of produced record batches (`KAFKA_COMPRESSION`) and the codecs every consumer
 * needs to read them. kafkajs ships only gzip (through node's zlib) and looks the others up in
 * its `CompressionCodecs` table; {@linkcode registerKafkaCodecs} fills that table once per
 * process, at `kafka.ts`'s load, so every client the cluster builds (kafka-monitor, crawler,
 * redis-monitor, REST, webhook, kafkadump) decodes gzip, lz4 and zstd batches whatever
 * produced them — a consumer cannot choose what it is sent.
 *
 * - gzip: kafkajs's own codec (the runtime's native zlib).
 * - zstd: the runtime's native zstd (`node:zlib` zstdCompress/zstdDecompress, in Deno since
 *   Node's API gained it): no package, no native addon, off the main thread like gzip.
 * - lz4: LZ4 frames of independent blocks (`kafka_lz4.ts`, on lz4js's pure-JS block compressor;
 *   native-addon codecs such as lz4-napi cannot load under Deno without a node_modules
 *   directory and build scripts).
 *
 * `none` is the default. Measured (issue 15): on the crawler bench zstd lowered the crawler's CPU
 * per page by 4–7 % and left the broker's about the same; on real 20 KB HTML items zstd packs
 * ~9× (gzip 5.6×, lz4 4×) for ~0.01 ms more producer CPU per item and ~20 % less broker CPU,
 * while gzip costs ~0.06 ms more and lz4 (pure JS) ~0.04 ms more to decode. Too small a gain to
 * impose a codec on consumers outside the cluster (Scrapy Cluster's kafka-python 1.3 reads no
 * zstd); set zstd where every consumer can read it and bytes on disk or the network matter.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { lz4Frame, lz4Unframe } from "./kafka_lz4.ts";

/** The values of `KAFKA_COMPRESSION`. */
export const KAFKA_COMPRESSIONS = ["none", "gzip", "lz4", "zstd"] as const;
/** One value of `KAFKA_COMPRESSION`. */
export type KafkaCompression = typeof KAFKA_COMPRESSIONS[number];

const TYPES: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The kafkajs compression type of a `KAFKA_COMPRESSION` value. */
export function compressionType(compression: KafkaCompression): CompressionTypes {
  return TYPES[compression];
}

/** What kafkajs hands a codec to compress: its encoder, whose `buffer` is the records. */
interface Encoded {
  buffer: Uint8Array;
}

/** A codec as kafkajs's `CompressionCodecs` table holds it. */
export interface KafkaCodec {
  compress(encoder: Encoded): Promise<Buffer>;
  decompress(buffer: Uint8Array): Promise<Buffer>;
}

const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);

/** zstd at the library's default level (3, as Kafka's own producer uses). */
export const zstdCodec: KafkaCodec = {
  compress: (encoder) => zstdCompress(encoder.buffer),
  decompress: (buffer) => zstdDecompress(buffer),
};

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** LZ4 frames (Kafka's framing since message format v1). */
export const lz4Codec: KafkaCodec = {
  compress: (encoder) => Promise.resolve(asBuffer(lz4Frame(encoder.buffer))),
  decompress: (buffer) => Promise.resolve(asBuffer(lz4Unframe(buffer))),
};

let registered = false;

/** Registers the lz4 and zstd codecs with kafkajs (gzip is built in); idempotent. */
export function registerKafkaCodecs(): void {
  if (registered) return;
  const codecs = CompressionCodecs as unknown as Record<number, () => KafkaCodec>;
  codecs[CompressionTypes.LZ4] = () => lz4Codec;
  codecs[CompressionTypes.ZSTD] = () => zstdCodec;
  registered = true;
}
