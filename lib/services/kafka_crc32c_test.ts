import assert from "node:assert/strict";
import { createRequire } from "node:module";
import "./kafka.ts"; // loads kafkajs and installs the patch, as every component does
import {
  crc32c,
  installFastCrc32c,
  kafkajsCrc32c,
  PATCHED_KAFKAJS_VERSION,
} from "./kafka_crc32c.ts";

Deno.test("crc32c of the standard check string is 0xE3069283", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

Deno.test("crc32c equals kafkajs's own on random buffers of every length class", () => {
  const original = kafkajsCrc32c();
  assert.equal(original(new TextEncoder().encode("123456789")), 0xe3069283);
  // Lengths around the 8-byte step (tails 0–7), small and record-batch sized, and odd offsets
  // into a larger buffer (kafkajs hands over Buffers that are views).
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 20_000, 900_001];
  for (const length of lengths) {
    const backing = new Uint8Array(length + 11);
    crypto.getRandomValues(backing.subarray(0, Math.min(backing.length, 65_536)));
    for (let i = 65_536; i < backing.length; i++) backing[i] = (i * 2654435761) >>> 24;
    for (const offset of [0, 3]) {
      const view = backing.subarray(offset, offset + length);
      assert.equal(crc32c(view), original(view), `length ${length}, offset ${offset}`);
    }
  }
  for (let round = 0; round < 200; round++) {
    const buf = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 4096)));
    assert.equal(crc32c(buf), original(buf));
  }
});

Deno.test("the loaded kafkajs checksums record batches with the fast crc32c", () => {
  assert.deepEqual(installFastCrc32c(), { installed: true });
  // What kafkajs's record-batch encoder gets from require('../crc32C').
  const encoderDir = new URL(
    "./src/protocol/recordBatch/v0/index.js",
    `file://${kafkajsMain()}`,
  );
  const encoderRequire = createRequire(encoderDir.pathname);
  assert.equal(encoderRequire("../crc32C"), crc32c);
  assert.equal(encoderRequire("../../../../package.json").version, PATCHED_KAFKAJS_VERSION);
});

function kafkajsMain(): string {
  const cache = (createRequire(import.meta.url) as unknown as { cache: Record<string, unknown> })
    .cache;
  const main = Object.keys(cache).find((p) =>
    /[\\/]kafkajs[\\/](?:[^\\/]+[\\/])?index\.js$/.test(p)
  );
  assert.ok(main, "kafkajs is loaded");
  return main;
}
