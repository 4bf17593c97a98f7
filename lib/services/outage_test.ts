import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { getLog } from "../config/mod.ts";
import { OutageReporter, RepeatFilter } from "./outage.ts";

async function capture(): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { mem: (r) => records.push(r) },
    loggers: [
      { category: ["crawl-cluster"], sinks: ["mem"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  return records;
}

function text(r: LogRecord): string {
  return r.message.map(String).join("");
}

Deno.test("OutageReporter logs one warning per outage and one info with its duration", async () => {
  const records = await capture();
  try {
    let t = 1_000;
    const changes: boolean[] = [];
    const reporter = new OutageReporter({
      log: getLog("outage-unit"),
      component: "kafka-monitor",
      service: "Redis",
      where: "127.0.0.1:6379/0",
      meanwhile: "pausing intake, will retry",
      now: () => t,
    });
    reporter.onChange((down) => changes.push(down));
    assert.equal(reporter.up(), null, "up while up says nothing");
    for (let i = 0; i < 50; i++) reporter.down(new Error("connect ECONNREFUSED"));
    assert.ok(reporter.isDown);
    t += 7_240;
    assert.equal(reporter.up(), 7.2);
    assert.equal(reporter.up(), null);
    assert.equal(records.length, 2);
    assert.equal(records[0].level, "warning");
    assert.equal(
      text(records[0]),
      "kafka-monitor: Redis unreachable at 127.0.0.1:6379/0 (connect ECONNREFUSED); " +
        "pausing intake, will retry",
    );
    assert.equal(records[1].level, "info");
    assert.equal(text(records[1]), "kafka-monitor: Redis back at 127.0.0.1:6379/0 after 7.2 s");
    // A second outage is reported again.
    reporter.down();
    reporter.up();
    assert.equal(records.length, 4);
    assert.deepEqual(changes, [true, false, true, false]);
  } finally {
    await reset();
  }
});

Deno.test("RepeatFilter passes the first line, then one per interval with the count suppressed", () => {
  let t = 0;
  const filter = new RepeatFilter({ intervalMs: 10_000, now: () => t });
  assert.equal(filter.admit("conn refused"), 0);
  let passed = 0;
  for (let i = 0; i < 170; i++) {
    t += 100; // 17 s of one line every 100 ms
    if (filter.admit("conn refused") !== null) passed++;
  }
  assert.equal(passed, 1, "one summary within 17 s after the first line");
  assert.equal(filter.admit("other"), 0, "another kind passes at once");
  t += 10_000;
  assert.equal(filter.admit("conn refused"), 70, "the next summary counts what was held back");
});

Deno.test("RepeatFilter forgets the least recently logged kinds beyond maxKeys", () => {
  const filter = new RepeatFilter({ intervalMs: 10_000, now: () => 0, maxKeys: 2 });
  filter.admit("a");
  filter.admit("b");
  filter.admit("c");
  assert.equal(filter.admit("a"), 0, "a was forgotten, so it passes again");
  assert.equal(filter.admit("c"), null);
});
