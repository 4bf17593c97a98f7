import assert from "node:assert/strict";
import { getLog } from "../../lib/config/mod.ts";
import { MessageTooLargeError } from "../../lib/services/mod.ts";
import { KafkaFeeder, KafkaUnavailableError } from "./feeder.ts";

function feeder(opts: { send: () => Promise<void>; probe: () => Promise<void> }) {
  return new KafkaFeeder({
    send: opts.send,
    topic: "t.incoming",
    timeoutMs: 50,
    probe: opts.probe,
    log: getLog("rest", "test"),
    probeDelayMs: 5,
  });
}

Deno.test("`KafkaFeeder` marks Kafka down on a failed send and up after a good probe", async () => {
  let sendFails = true;
  let probes = 0;
  const reachable = Promise.withResolvers<void>();
  const f = feeder({
    send: () => sendFails ? Promise.reject(new Error("broker down")) : Promise.resolve(),
    probe: () => {
      if (++probes < 3) return Promise.reject(new Error("still down"));
      reachable.resolve();
      return Promise.resolve();
    },
  });
  try {
    assert.ok(f.connected);
    await assert.rejects(f.send("{}"), /broker down/);
    assert.equal(f.connected, false);
    // Fails fast while down.
    await assert.rejects(f.send("{}"), KafkaUnavailableError);
    sendFails = false;
    await reachable.promise;
    await new Promise((r) => setTimeout(r, 0));
    assert.ok(f.connected);
    assert.equal(probes, 3);
    await f.send("{}");
  } finally {
    await f.close();
  }
});

Deno.test("`KafkaFeeder` times out a send without acknowledgement", async () => {
  const f = feeder({ send: () => new Promise(() => {}), probe: () => new Promise(() => {}) });
  try {
    await assert.rejects(f.send("{}"), /no acknowledgement within 50 ms/);
    assert.equal(f.connected, false);
  } finally {
    await f.close().catch(() => {});
  }
});

Deno.test("`KafkaFeeder` keeps Kafka up when a message is only too large", async () => {
  const f = feeder({
    send: () => Promise.reject(new MessageTooLargeError(10, 5, "t.incoming")),
    probe: () => Promise.resolve(),
  });
  await assert.rejects(f.send("{}"), MessageTooLargeError);
  assert.ok(f.connected);
  await f.close();
});

Deno.test("`KafkaFeeder.close()` stops probing at once, between probes", async () => {
  let probes = 0;
  const f = new KafkaFeeder({
    send: () => Promise.reject(new Error("broker down")),
    topic: "t.incoming",
    timeoutMs: 50,
    probe: () => {
      probes++;
      return Promise.reject(new Error("still down"));
    },
    log: getLog("rest", "test"),
    probeDelayMs: 100,
  });
  await assert.rejects(f.send("{}"), /broker down/);
  while (probes < 2) await new Promise((r) => setTimeout(r, 5)); // now waiting 200–400 ms
  const t0 = performance.now();
  await f.close();
  assert.ok(performance.now() - t0 < 150, "close() did not wait for the next probe");
  const seen = probes;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(probes, seen, "no probe after close()");
  assert.equal(f.connected, false);
});
