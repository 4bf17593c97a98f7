import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import "./kafka.ts"; // loads kafkajs and installs the patches, as every component does
import {
  installEncoderGrowth,
  type KafkajsEncoder,
  kafkajsEncoder,
  kafkajsEnsureAvailable,
} from "./kafka_encoder_growth.ts";

type RecordBatch = (opts: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
type Record_ = (opts: Record<string, unknown>) => unknown;

/** kafkajs's record and record-batch encoders, loaded from the package the patch changed. */
function kafkajsEncoders(): { recordBatch: RecordBatch; record: Record_ } {
  const Encoder = kafkajsEncoder();
  if (typeof Encoder === "string") throw new Error(Encoder);
  const cache = (createRequire(import.meta.url) as unknown as { cache: Record<string, unknown> })
    .cache;
  const main = Object.keys(cache).find((p) =>
    /[\\/]kafkajs[\\/](?:[^\\/]+[\\/])?index\.js$/.test(p)
  );
  assert.ok(main, "kafkajs is loaded");
  const req = createRequire(main);
  return {
    recordBatch: (req("./src/protocol/recordBatch/v0/index.js") as { RecordBatch: RecordBatch })
      .RecordBatch,
    record: req("./src/protocol/recordBatch/record/v0/index.js") as Record_,
  };
}

/** Records of every size class: small, page-sized, over a megabyte, text and bytes, unicode. */
function sampleMessages(): { key: string | Buffer | null; value: string | Buffer }[] {
  const out: { key: string | Buffer | null; value: string | Buffer }[] = [];
  for (const size of [0, 1, 100, 511, 512, 513, 20_000, 65_537, 1_100_000]) {
    out.push({ key: `app\tcrawl-${size}`, value: "x".repeat(size) });
    out.push({
      key: null,
      value: Buffer.from(crypto.getRandomValues(new Uint8Array(Math.min(size, 65_536)))),
    });
  }
  out.push({
    key: "é\u4e2d\u{1F600}",
    value: `{"body":"caf\u00e9 \u{1F600} \\u0000"}`.repeat(700),
  });
  return out;
}

async function encodeBatch(records: { key: string | Buffer | null; value: string | Buffer }[]) {
  const { recordBatch, record } = kafkajsEncoders();
  const encoded = records.map((m, i) => record({ offsetDelta: i, timestampDelta: 0, ...m }));
  const batch = await recordBatch({
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000,
    lastOffsetDelta: records.length - 1,
    records: encoded,
  });
  return Buffer.from(batch.buffer);
}

Deno.test("the loaded kafkajs grows its encoders without zero-filling", () => {
  assert.deepEqual(installEncoderGrowth(), { installed: true });
  const Encoder = kafkajsEncoder();
  assert.ok(typeof Encoder !== "string");
  assert.notEqual(Encoder.prototype.ensureAvailable, kafkajsEnsureAvailable());
});

Deno.test("record batches encode byte for byte as with kafkajs's own growth", async () => {
  assert.deepEqual(installEncoderGrowth(), { installed: true });
  const Encoder = kafkajsEncoder();
  assert.ok(typeof Encoder !== "string");
  const patched = Encoder.prototype.ensureAvailable;
  const own = kafkajsEnsureAvailable()!;
  const unsafe = Buffer.allocUnsafe;
  // Fresh memory full of 0xAA: a byte read past what an encoder wrote would show in the output.
  Buffer.allocUnsafe = (size: number) => Buffer.alloc(size, 0xaa);
  try {
    const messages = sampleMessages();
    for (const records of [messages, messages.slice(0, 3), messages.slice(-5)]) {
      const withPatch = await encodeBatch(records);
      Encoder.prototype.ensureAvailable = own;
      let withOwn: Buffer;
      try {
        withOwn = await encodeBatch(records);
      } finally {
        Encoder.prototype.ensureAvailable = patched;
      }
      assert.equal(withPatch.length, withOwn.length);
      assert.ok(withPatch.equals(withOwn), `${records.length} records`);
    }
  } finally {
    Buffer.allocUnsafe = unsafe;
  }
});

Deno.test("an encoder grows to the next power of two and keeps what it holds", () => {
  const Encoder = kafkajsEncoder();
  assert.ok(typeof Encoder !== "string");
  const encoder: KafkajsEncoder = new Encoder();
  encoder.buf.write("hello", 0);
  encoder.offset = 5;
  encoder.ensureAvailable(2000);
  assert.equal(encoder.buf.length, 2048);
  assert.equal(encoder.buf.subarray(0, 5).toString(), "hello");
  const same = encoder.buf;
  encoder.ensureAvailable(100);
  assert.equal(encoder.buf, same, "no growth when there is room");
});
