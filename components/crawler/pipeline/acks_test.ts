import assert from "node:assert/strict";
import { AckBatcher } from "./acks.ts";

/** An ack function recording its batches; `fail` rejects the next N. */
function fakeAck() {
  const state = {
    batches: [] as string[][],
    fail: 0,
    ack: (ids: readonly string[]) => {
      if (state.fail > 0) {
        state.fail--;
        return Promise.reject(new Error("Redis is away"));
      }
      state.batches.push([...ids]);
      return Promise.resolve();
    },
  };
  return state;
}

Deno.test("`AckBatcher.ack()` sends the leases finished within `lingerMs` in one batch", async () => {
  const f = fakeAck();
  const acks = new AckBatcher(f.ack, { lingerMs: 10 });
  await acks.ack("a");
  await acks.ack("b");
  assert.deepEqual(f.batches, [], "not before the linger time");
  assert.equal(acks.pending, 2);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(f.batches, [["a", "b"]]);
  await acks.ack("c");
  await acks.drain();
  assert.deepEqual(f.batches, [["a", "b"], ["c"]]);
});

Deno.test("`AckBatcher.ack()` writes at once when a batch is full", async () => {
  const f = fakeAck();
  const acks = new AckBatcher(f.ack, { maxBatch: 3, lingerMs: 60_000 });
  await acks.ack("a");
  await acks.ack("b");
  await acks.ack("c"); // resolves once the batch is written
  assert.deepEqual(f.batches, [["a", "b", "c"]]);
  assert.equal(acks.pending, 0);
  await acks.drain();
});

Deno.test("`AckBatcher` reports a failed batch and never rejects", async () => {
  const f = fakeAck();
  const failed: string[][] = [];
  const acks = new AckBatcher(f.ack, { onError: (_e, ids) => failed.push([...ids]) });
  f.fail = 1;
  await acks.ack("a");
  await acks.flush();
  assert.deepEqual(failed, [["a"]]);
  assert.deepEqual(f.batches, []);
});

Deno.test("`AckBatcher.drain()` waits for batches still being written", async () => {
  let release!: () => void;
  const written: string[] = [];
  const acks = new AckBatcher(async (ids) => {
    await new Promise<void>((r) => release = r);
    written.push(...ids);
  }, { maxBatch: 1 });
  const first = acks.ack("a");
  const drained = acks.drain();
  release();
  await Promise.all([first, drained]);
  assert.deepEqual(written, ["a"]);
});
