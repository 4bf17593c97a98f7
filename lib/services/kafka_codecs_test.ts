import assert from "node:assert/strict";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import "./kafka.ts"; // registers the codecs, as every component does
import { lz4Codec, zstdCodec } from "./kafka_codecs.ts";
import { lz4Frame, lz4Unframe } from "./kafka_lz4.ts";

const text = (n: number) =>
  new TextEncoder().encode(
    Array.from({ length: n }, (_, i) => `{"url":"http://a.test/${i}","status":200}`).join("\n"),
  );
const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) crypto.getRandomValues(out.subarray(at, at + 65_536));
  return out;
};

Deno.test("kafka.ts registers lz4 and zstd with kafkajs; gzip stays kafkajs's own", () => {
  const table = CompressionCodecs as unknown as Record<number, () => unknown>;
  assert.equal(table[CompressionTypes.LZ4](), lz4Codec);
  assert.equal(table[CompressionTypes.ZSTD](), zstdCodec);
  assert.equal(
    typeof (table[CompressionTypes.GZIP]() as { compress: unknown }).compress,
    "function",
  );
});

Deno.test("lz4Frame writes one frame of independent blocks that lz4Unframe reads back", () => {
  const src = text(20_000);
  const frame = lz4Frame(src);
  // Magic 0x184D2204, FLG version 01 + block independence, BD 4 MB, descriptor checksum.
  assert.deepEqual([...frame.subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]);
  assert.deepEqual([...frame.subarray(frame.length - 4)], [0, 0, 0, 0]); // end mark
  assert.ok(frame.length < src.length / 3, `compressed ${src.length} to ${frame.length}`);
  assert.deepEqual(lz4Unframe(frame), src);
});

Deno.test("lz4Frame stores incompressible input as-is and splits input over 4 MB into blocks", () => {
  for (const src of [new Uint8Array(0), new Uint8Array([7]), random(70_000), random(4_300_000)]) {
    const frame = lz4Frame(src);
    assert.deepEqual(lz4Unframe(frame), src, `${src.length} bytes`);
    if (src.length > 0) {
      // The first block's size word has the "uncompressed" bit.
      assert.equal(frame[10] & 0x80, 0x80);
    }
    if (src.length > 4 * 1024 * 1024) {
      // A second block follows the first 4 MB, and the end mark the second.
      const second = 7 + 4 + 4 * 1024 * 1024;
      assert.equal(frame[second + 3] & 0x80, 0x80);
      assert.equal(frame.length, second + 4 + (src.length - 4 * 1024 * 1024) + 4);
    }
  }
});

Deno.test("the lz4 and zstd codecs round-trip what kafkajs hands them", async () => {
  for (const codec of [lz4Codec, zstdCodec]) {
    for (const src of [text(5_000), random(10_000), new Uint8Array(0)]) {
      const packed = await codec.compress({ buffer: src });
      assert.deepEqual(new Uint8Array(await codec.decompress(packed)), src);
    }
  }
  // zstd frames start with the magic number 0xFD2FB528 (little endian).
  const packed = await zstdCodec.compress({ buffer: text(100) });
  assert.deepEqual([...packed.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
});
