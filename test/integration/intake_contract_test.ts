/**
 * REST vs the kafka-monitor on real Redis: every request of the intake table that REST `/feed`
 * accepts is the text the kafka-monitor then handles (real plugins, real Redis writes), and
 * every request REST refuses the kafka-monitor fails (no plugin refuses what the classifier
 * accepted). A 2 MB message is
 * logged as too large, not as unparseable JSON.
 */

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import type { Logger } from "@logtape/logtape";
import { isolatedRedisUrl } from "../harness.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { StatsCollector } from "../../lib/stats/mod.ts";
import { AnswerWaiters } from "../../components/rest/answers.ts";
import { createApp } from "../../components/rest/app.ts";
import { REST_SETTINGS } from "../../components/rest/settings.ts";
import { processMessages } from "../../components/kafka-monitor/monitor.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { BUILTIN_PLUGINS, INTAKE_CASES } from "../intake_cases.ts";

const DB = 13;

/** A logger that records its warnings (and passes everything on to the test log). */
function recordingLog(lines: string[]): Logger {
  const base = getLog("kafka-monitor", "test");
  return new Proxy(base, {
    get(target, prop) {
      if (prop === "warn" || prop === "error") {
        return (message: string, props?: Record<string, unknown>) => {
          lines.push(message);
          (target[prop] as (m: string, p?: Record<string, unknown>) => void)(message, props);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("REST /feed accepts exactly what the kafka-monitor then handles, for the same causes", async () => {
  const redis = new Redis(isolatedRedisUrl(DB));
  try {
    await redis.flushdb();
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, { env: {} });
    const warnings: string[] = [];
    const log = recordingLog(warnings);
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    const sent: string[] = [];
    const app = createApp({
      settings: { ...loadSettings(REST_SETTINGS, { env: {} }), WAIT_FOR_RESPONSE_TIME: 0.01 },
      plugins: BUILTIN_PLUGINS,
      feeder: {
        connected: true,
        send: (json) => {
          sent.push(json);
          return Promise.resolve();
        },
      },
      answers: new (class {
        connected = true;
        readonly waiters = new AnswerWaiters();
        expect(uuid: string) {
          return this.waiters.expect(uuid);
        }
      })(),
      polls: { connected: true, take: () => Promise.resolve(null) },
    });
    for (const [what, raw] of INTAKE_CASES) {
      const before = sent.length;
      const res = await app(
        new Request("http://localhost:5343/feed", {
          method: "POST",
          body: raw,
          headers: { "content-type": "application/json" },
        }),
      );
      const body = await res.json();
      // What REST put on Kafka, or (refused) the raw request a producer could still send.
      const message = sent.length > before ? sent[before] : raw;
      const [outcome] = await processMessages([message], {
        settings,
        redis,
        plugins,
        log,
        stats: new StatsCollector("kafka-monitor", []),
      });
      assert.equal(
        outcome.status === "handled",
        res.status === 200,
        `${what}: REST ${res.status} ${JSON.stringify(body).slice(0, 200)}, kafka-monitor ${
          JSON.stringify(outcome).slice(0, 200)
        }`,
      );
      // Causes: the unit test compares them; the kafka-monitor's log reason lists every schema.
      assert.notEqual(outcome.status === "failed" && outcome.plugin, "ScraperHandler", what);
    }
    const huge = JSON.stringify({ url: "http://example.com", attrs: { x: "x".repeat(2e6) } });
    warnings.length = 0;
    const [outcome] = await processMessages([huge], {
      settings,
      redis,
      plugins,
      log,
      stats: new StatsCollector("kafka-monitor", []),
    });
    assert.equal(outcome.status, "failed");
    assert.deepEqual(warnings, ["Request too large: {reason}"]);
  } finally {
    await redis.flushdb();
    await redis.quit();
  }
});
