import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { configure, reset } from "@logtape/logtape";
import { getLog } from "../../lib/config/mod.ts";
import { startStatsDump, StatsCollector } from "../../lib/stats/mod.ts";
import { eventually, isolatedRedisUrl } from "../harness.ts";

Deno.test("startStatsDump() logs the component's counters every interval", async () => {
  const redis = new Redis(isolatedRedisUrl(10));
  const records: { message: string; props: Record<string, unknown> }[] = [];
  await configure({
    reset: true,
    sinks: { mem: (r) => records.push({ message: String(r.rawMessage), props: r.properties }) },
    loggers: [
      { category: ["crawl-cluster"], sinks: ["mem"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  const controller = new AbortController();
  try {
    await redis.flushdb();
    const pipeline = redis.pipeline();
    new StatsCollector("kafka-monitor", [900]).increment(pipeline, "total", Date.now(), 3);
    await pipeline.exec();
    startStatsDump(redis, "kafka-monitor", getLog("kafka-monitor"), {
      intervalSec: 0.05,
      signal: controller.signal,
      queue: true,
    });
    await eventually(() => records.some((r) => r.message === "Queue stats dump"));
    const dump = records.find((r) => r.message === "Stats dump")!;
    assert.deepEqual((dump.props.stats as Record<string, unknown>).total, { 900: 3, lifetime: 3 });
  } finally {
    controller.abort();
    await reset();
    await redis.flushdb();
    await redis.quit();
  }
});
