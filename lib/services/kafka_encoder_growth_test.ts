import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import "./kafka.ts"; // loads kafkajs and installs the patches, as every component does
import {
  ADOPT_MIN_BYTES,
  HEADROOM,
  installEncoderGrowth,
  type KafkajsEncoder,
  kafkajsEncoder,
  kafkajsOwnMethods,
  patchedMethods,
  releaseRecordValues,
  utf8ForRecord,
} from "./kafka_encoder_growth.ts";

type Message = { key: string | Buffer | null; value: string | Buffer };
type RecordBatch = (opts: Record<string, unknown>) => Promise<KafkajsEncoder & { buffer: Buffer }>;
type Record_ = (opts: Record<string, unknown>) => KafkajsEncoder & { buffer: Buffer };
type ProduceRequest = (opts: Record<string, unknown>) => { encode(): Promise<KafkajsEncoder> };
type Framing = (opts: Record<string, unknown>) => Promise<{ buffer: Buffer }>;

/** kafkajs's encoders, loaded from the package the patch changed. */
function kafkajsModules() {
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
    produceRequest: req("./src/protocol/requests/produce/v7/request.js") as ProduceRequest,
    framing: req("./src/protocol/request.js") as Framing,
  };
}

function encoderClass() {
  const Encoder = kafkajsEncoder();
  assert.ok(typeof Encoder !== "string", String(Encoder));
  return Encoder;
}

/** Records of every size class: small, page-sized, over a megabyte, text and bytes, unicode. */
function sampleMessages(): Message[] {
  const out: Message[] = [];
  for (const size of [0, 1, 100, 511, 512, 513, 4095, 4096, 20_000, 65_537, 1_100_000]) {
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

/** The messages as the producer hands them over: strings through utf8ForRecord. */
function asProduced(messages: Message[]): Message[] {
  return messages.map((m) => ({
    key: m.key,
    value: typeof m.value === "string" ? utf8ForRecord(m.value) : m.value,
  }));
}

async function encodeBatch(records: Message[]) {
  const { recordBatch, record } = kafkajsModules();
  const encoded = records.map((m, i) => record({ offsetDelta: i, timestampDelta: 0, ...m }));
  const batch = await recordBatch({
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000,
    lastOffsetDelta: records.length - 1,
    records: encoded,
  });
  return Buffer.from(batch.buffer);
}

/** A whole framed produce request, as kafkajs writes it to the socket. */
async function encodeProduceRequest(topicData: unknown[]) {
  const { produceRequest, framing } = kafkajsModules();
  const request = produceRequest({ acks: -1, timeout: 30_000, compression: 0, topicData });
  const framed = await framing({ correlationId: 7, clientId: "crawler-test", request });
  return { bytes: Buffer.from(framed.buffer), inPlace: framed.buffer.byteOffset };
}

/**
 * Runs `encode` with the patched methods and with kafkajs's own, fresh memory poisoned (0xAA)
 * both times: a byte read past what an encoder wrote would show in the output.
 */
async function bothWays(encode: (patched: boolean) => Promise<Buffer>) {
  const proto = encoderClass().prototype as unknown as Record<string, unknown>;
  const own = kafkajsOwnMethods();
  assert.ok(own, "installed");
  const unsafe = Buffer.allocUnsafe;
  const unsafeSlow = Buffer.allocUnsafeSlow;
  Buffer.allocUnsafe = (size: number) => Buffer.alloc(size, 0xaa);
  Buffer.allocUnsafeSlow = (size: number) => Buffer.alloc(size, 0xaa);
  try {
    const withPatch = await encode(true);
    Object.assign(proto, own);
    try {
      return { withPatch, withOwn: await encode(false) };
    } finally {
      Object.assign(proto, patchedMethods());
    }
  } finally {
    Buffer.allocUnsafe = unsafe;
    Buffer.allocUnsafeSlow = unsafeSlow;
  }
}

Deno.test("the loaded kafkajs grows its encoders without zero-filling, adopting large buffers", () => {
  assert.deepEqual(installEncoderGrowth(), { installed: true });
  const proto = encoderClass().prototype as unknown as Record<string, unknown>;
  for (const [name, method] of Object.entries(patchedMethods())) {
    assert.equal(proto[name], method, name);
    assert.notEqual(proto[name], (kafkajsOwnMethods() as Record<string, unknown>)[name], name);
  }
});

Deno.test("record batches encode byte for byte as with kafkajs's own methods", async () => {
  const messages = sampleMessages();
  for (
    const records of [messages, messages.slice(0, 3), messages.slice(-5), messages.slice(16, 17)]
  ) {
    const { withPatch, withOwn } = await bothWays((patched) =>
      encodeBatch(patched ? asProduced(records) : records)
    );
    assert.equal(withPatch.length, withOwn.length);
    assert.ok(withPatch.equals(withOwn), `${records.length} records`);
  }
});

Deno.test("whole produce requests encode byte for byte as with kafkajs's own methods", async () => {
  const messages = sampleMessages().filter((m) => m.value.length < 1_000_000);
  const topicData = (produced: boolean) => {
    // Timestamps given: kafkajs would otherwise stamp each encoding with its own Date.now().
    const take = (from: number, to: number) =>
      (produced ? asProduced(messages.slice(from, to)) : messages.slice(from, to))
        .map((m, i) => ({ ...m, timestamp: 1_700_000_000_000 + i }));
    return [
      // One topic, one partition: every encoder up to the frame adopts the batch.
      [{ topic: "crawl.crawled_firehose", partitions: [{ partition: 0, messages: take(14, 19) }] }],
      // Two partitions, two topics, a lone record: the copies that adoption cannot avoid.
      [
        {
          topic: "crawl.crawled_firehose",
          partitions: [
            { partition: 0, messages: take(0, 10) },
            { partition: 3, messages: take(10, 20) },
          ],
        },
        { topic: "crawl.crawled_app", partitions: [{ partition: 1, messages: take(16, 17) }] },
      ],
    ];
  };
  for (const i of [0, 1]) {
    let inPlace = -1;
    const { withPatch, withOwn } = await bothWays(async (patched) => {
      const { bytes, inPlace: at } = await encodeProduceRequest(topicData(patched)[i]);
      if (patched) inPlace = at;
      return bytes;
    });
    // The frame begins inside the headroom of the batch's memory: no encoder copied the batch.
    if (i === 0) assert.ok(inPlace > 0 && inPlace < HEADROOM, `frame at ${inPlace}`);
    assert.equal(withPatch.length, withOwn.length);
    assert.ok(withPatch.equals(withOwn), `request ${i}`);
  }
});

Deno.test("a produced value is adopted by its record, not copied", () => {
  const { record } = kafkajsModules();
  const value = utf8ForRecord("y".repeat(20_000));
  const encoded = record({ offsetDelta: 0, timestampDelta: 0, key: "app\tcrawl", value });
  assert.equal(encoded.buf.buffer, value.buffer, "the record holds the value's memory");
  assert.ok(encoded.buffer.subarray(encoded.offset - 20_001, encoded.offset - 1).equals(value));
});

Deno.test("an encoder that gave its memory away writes on in a buffer of its own", () => {
  const Encoder = encoderClass();
  const giver = new Encoder();
  const payload = Buffer.from(crypto.getRandomValues(new Uint8Array(ADOPT_MIN_BYTES * 3)));
  giver.writeBufferInternal(payload);
  const taker = new Encoder();
  taker.writeInt32(42);
  taker.writeBufferInternal(giver.buf.subarray(0, giver.offset));
  assert.equal(taker.buf.buffer, giver.buf.buffer, "adopted");
  // Both write on: neither may overwrite the other's bytes.
  giver.writeInt32(-1);
  taker.writeInt32(7);
  assert.notEqual(giver.buf.buffer, taker.buf.buffer, "the giver moved");
  const expectedGiver = Buffer.concat([payload, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
  assert.ok(giver.buf.subarray(0, giver.offset).equals(expectedGiver));
  const expectedTaker = Buffer.concat([
    Buffer.from([0, 0, 0, 42]),
    payload,
    Buffer.from([0, 0, 0, 7]),
  ]);
  assert.ok(taker.buf.subarray(0, taker.offset).equals(expectedTaker));
  // A second writer of the same bytes copies them: the memory is the taker's now.
  const second = new Encoder();
  second.writeInt32(1);
  second.writeBufferInternal(giver.buf.subarray(0, ADOPT_MIN_BYTES * 3));
  assert.notEqual(second.buf.buffer, taker.buf.buffer);
  assert.ok(second.buf.subarray(4, second.offset).equals(payload));
  assert.ok(taker.buf.subarray(0, taker.offset).equals(expectedTaker), "taker untouched");
});

Deno.test("utf8ForRecord encodes as Buffer.from does", () => {
  for (
    const text of [
      "",
      "a",
      "é\u{1F600}".repeat(2_000),
      "z".repeat(ADOPT_MIN_BYTES),
      "\u00ff".repeat(9_999),
    ]
  ) {
    const bytes = utf8ForRecord(text);
    assert.ok(bytes.equals(Buffer.from(text, "utf8")), `${text.length} units`);
  }
});

Deno.test("acknowledged values and their batch are freed, other buffers left alone", async () => {
  const { record, recordBatch } = kafkajsModules();
  const values = [utf8ForRecord("a".repeat(30_000)), utf8ForRecord("b".repeat(30_000))];
  const foreign = Buffer.from("c".repeat(30_000));
  const records = [...values, foreign].map((value, i) =>
    record({ offsetDelta: i, timestampDelta: 0, key: null, value })
  );
  const batch = await recordBatch({ lastOffsetDelta: 2, records });
  const batchMemory = batch.buf.buffer as ArrayBuffer;
  assert.ok(!batchMemory.detached);
  releaseRecordValues([...values, foreign]);
  for (const value of values) assert.ok((value.buffer as ArrayBuffer).detached);
  assert.ok(batchMemory.detached, "the batch the values were copied into");
  assert.equal(foreign.toString(), "c".repeat(30_000));
  releaseRecordValues(values); // twice: nothing happens
});

Deno.test("an encoder grows to the next power of two and keeps what it holds", () => {
  const encoder: KafkajsEncoder = new (encoderClass())();
  encoder.buf.write("hello", 0);
  encoder.offset = 5;
  encoder.ensureAvailable(2000);
  assert.equal(encoder.buf.length, 2048);
  assert.equal(encoder.buf.subarray(0, 5).toString(), "hello");
  const same = encoder.buf;
  encoder.ensureAvailable(100);
  assert.equal(encoder.buf, same, "no growth when there is room");
});
