import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { BufferedCounter, redisStatsWriter, type StatsWriter } from "./counter.ts";
import { StatsCollector } from "./collector.ts";

/** A writer recording what it wrote; `fail` rejects the next N writes. */
function fakeWriter() {
  const writes: Record<string, number>[] = [];
  const state = {
    writes,
    fail: 0,
    /** Resolves pending writes when set (to hold a write in flight). */
    gate: null as Promise<void> | null,
    write: (async (counts) => {
      const snapshot = Object.fromEntries(counts);
      if (state.gate) await state.gate;
      if (state.fail > 0) {
        state.fail--;
        throw new Error("Redis is away");
      }
      writes.push(snapshot);
    }) as StatsWriter,
  };
  return state;
}

Deno.test("`BufferedCounter.count()` sums per name and ignores counts ≤ 0", () => {
  const counter = new BufferedCounter(fakeWriter().write);
  counter.count("total");
  counter.count("total", 4);
  counter.count("fail", 0);
  counter.count("fail", -1);
  assert.deepEqual(Object.fromEntries(counter.pending()), { total: 5 });
});

Deno.test("`BufferedCounter.flush()` writes everything once and empties the buffer", async () => {
  const w = fakeWriter();
  const counter = new BufferedCounter(w.write, { now: () => 42 });
  assert.equal(await counter.flush(), true);
  assert.deepEqual(w.writes, [], "nothing counted: nothing written");
  counter.count("total", 2);
  counter.count("fail");
  assert.equal(await counter.flush(), true);
  assert.equal(await counter.flush(), true);
  assert.deepEqual(w.writes, [{ total: 2, fail: 1 }]);
  assert.equal(counter.pending().size, 0);
});

Deno.test("`BufferedCounter.flush()` keeps the counts of a failed write for the next one", async () => {
  const w = fakeWriter();
  const errors: unknown[] = [];
  const counter = new BufferedCounter(w.write, { onError: (e) => errors.push(e) });
  counter.count("total", 3);
  w.fail = 1;
  let release!: () => void;
  w.gate = new Promise((r) => release = r);
  const failing = counter.flush();
  await new Promise((r) => setTimeout(r, 0)); // the failing write is now in flight
  counter.count("total", 2); // arrives while the failing write is in flight
  counter.count("fail");
  release();
  w.gate = null;
  assert.equal(await failing, false);
  assert.equal(errors.length, 1);
  assert.deepEqual(Object.fromEntries(counter.pending()), { total: 5, fail: 1 });
  assert.equal(await counter.flush(), true);
  assert.deepEqual(w.writes, [{ total: 5, fail: 1 }]);
});

Deno.test("`BufferedCounter.flush()` called twice at once never writes a count twice", async () => {
  const w = fakeWriter();
  let release!: () => void;
  w.gate = new Promise((r) => release = r);
  const counter = new BufferedCounter(w.write);
  counter.count("total", 1);
  const first = counter.flush();
  await new Promise((r) => setTimeout(r, 0)); // the first write is now in flight
  counter.count("total", 10); // after the first flush started: the second writes it
  const second = counter.flush();
  const third = counter.flush(); // joins the queued second flush
  assert.equal(second, third);
  release();
  w.gate = null;
  assert.deepEqual(await Promise.all([first, second, third]), [true, true, true]);
  assert.deepEqual(w.writes, [{ total: 1 }, { total: 10 }]);
});

Deno.test("`BufferedCounter` flushes every `intervalMs` and `close()` writes the rest", async () => {
  const w = fakeWriter();
  const counter = new BufferedCounter(w.write, { intervalMs: 10 });
  counter.count("a");
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(w.writes, [{ a: 1 }]);
  counter.count("b");
  assert.equal(await counter.close(), true);
  assert.deepEqual(w.writes, [{ a: 1 }, { b: 1 }]);
});

/** A stand-in for ioredis: records pipeline commands; `failExec` rejects the next exec. */
function fakeRedis() {
  const state = {
    status: "ready",
    failExec: false,
    commands: [] as string[][],
    pipeline() {
      const queued: string[][] = [];
      const record = (name: string) => (...args: unknown[]) => {
        queued.push([name, ...args.map(String)]);
      };
      return {
        hincrby: record("hincrby"),
        hdel: record("hdel"),
        expire: record("expire"),
        incrby: record("incrby"),
        exec: () => {
          if (state.failExec) {
            state.failExec = false;
            return Promise.reject(new Error("Connection is closed."));
          }
          state.commands.push(...queued);
          return Promise.resolve([]);
        },
      };
    },
  };
  return state;
}

Deno.test("`redisStatsWriter()` refuses to write while Redis is not connected", async () => {
  const redis = fakeRedis();
  redis.status = "reconnecting";
  const write = redisStatsWriter(redis as unknown as Redis, new StatsCollector("c", [60]));
  await assert.rejects(write(new Map([["total", 1]]), 0), /Redis is reconnecting/);
  assert.deepEqual(redis.commands, []);
});

Deno.test("`redisStatsWriter()` resends a new bucket's expiry after a failed write", async () => {
  const redis = fakeRedis();
  const write = redisStatsWriter(redis as unknown as Redis, new StatsCollector("c", [60]));
  redis.failExec = true;
  await assert.rejects(write(new Map([["total", 1]]), 120_000));
  await write(new Map([["total", 1]]), 120_000);
  assert.deepEqual(redis.commands.map((c) => c[0]), ["hincrby", "hdel", "expire", "incrby"]);
  await write(new Map([["total", 2]]), 120_500); // same bucket: no expiry again
  assert.deepEqual(redis.commands.slice(4).map((c) => c[0]), ["hincrby", "incrby"]);
});

Deno.test("a `BufferedCounter` over Redis keeps its counts while Redis is away", async () => {
  const redis = fakeRedis();
  const counter = new BufferedCounter(
    redisStatsWriter(redis as unknown as Redis, new StatsCollector("c", [60])),
    { now: () => 120_000 },
  );
  counter.count("total", 3);
  redis.failExec = true;
  assert.equal(await counter.flush(), false);
  counter.count("total");
  assert.equal(await counter.flush(), true);
  assert.deepEqual(
    redis.commands.filter((c) => c[0] === "incrby"),
    [["incrby", "stats:c:total:lifetime", "4"]],
  );
});
