import assert from "node:assert/strict";
import { join } from "node:path";
import { compat, dict, float, int, list, SettingsError, str } from "./parsers.ts";
import { describeSettings, loadSettings, type SettingsOf } from "./settings.ts";
import { logSettings } from "./log.ts";
import { REDIS_SETTINGS } from "../services/redis.ts";
import {
  KAFKA_CONSUMER_SETTINGS,
  KAFKA_PRODUCER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
} from "../services/kafka_settings.ts";
import { HEARTBEAT_SETTINGS, STATS_SETTINGS } from "../stats/settings.ts";

const TABLE = {
  ...REDIS_SETTINGS,
  ...KAFKA_SETTINGS,
  ...KAFKA_TOPIC_SETTINGS,
  ...KAFKA_CONSUMER_SETTINGS,
  ...KAFKA_PRODUCER_SETTINGS,
  ...logSettings("kafka-monitor", "kafka_monitor.log"),
  ...STATS_SETTINGS,
  ...HEARTBEAT_SETTINGS,
  SLEEP_TIME: compat(float(0.01, "seconds between loop iterations", { min: 0 })),
  PLUGINS: dict<number | null>({ "a.A": 100, "b.B": 200 }, "plugins and their ranks"),
  PLUGIN_DIR: str("plugins/", "plugin folder"),
};

const tmp = Deno.makeTempDirSync({ prefix: "settings_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

function writeTempJson(data: unknown): string {
  const file = join(Deno.makeTempDirSync({ dir: tmp }), "settings.json");
  Deno.writeTextFileSync(file, typeof data === "string" ? data : JSON.stringify(data));
  return file;
}

/** Runs `fn`, expecting a SettingsError whose one-line message matches `pattern`. */
function assertSettingsError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${err}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), "message must be one line");
    return true;
  });
}

Deno.test("loadSettings() returns the Scrapy Cluster defaults", () => {
  const s = loadSettings(TABLE);
  assert.equal(s.REDIS_HOST, "localhost");
  assert.equal(s.REDIS_PORT, 6379);
  assert.equal(s.REDIS_PASSWORD, null);
  assert.equal(s.KAFKA_INCOMING_TOPIC, "demo.incoming");
  assert.equal(s.KAFKA_CONSUMER_AUTO_OFFSET_RESET, "earliest");
  assert.equal(s.KAFKA_PRODUCER_MAX_REQUEST_SIZE, 1048576);
  assert.equal(s.LOGGER_NAME, "kafka-monitor");
  assert.equal(s.LOG_FILE, "kafka_monitor.log");
  assert.equal(s.LOG_MAX_BYTES, 10485760);
  assert.equal(s.LOG_LEVEL, "INFO");
  assert.equal(s.SLEEP_TIME, 0.01);
  assert.deepEqual(s.STATS_TIMES.slice(0, 2), ["SECONDS_15_MINUTE", "SECONDS_1_HOUR"]);
});

Deno.test("SettingsOf<T> infers precise types from spread groups", () => {
  const s: SettingsOf<typeof TABLE> = loadSettings(TABLE);
  // Each assignment fails to type-check if inference degrades to unknown or string.
  const port: number = s.REDIS_PORT;
  const level: "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL" = s.LOG_LEVEL;
  const reset: "earliest" | "latest" = s.KAFKA_CONSUMER_AUTO_OFFSET_RESET;
  const password: string | null = s.REDIS_PASSWORD;
  const json: boolean = s.LOG_JSON;
  const times: string[] = s.STATS_TIMES;
  const plugins: Record<string, number | null> = s.PLUGINS;
  // @ts-expect-error LOG_LEVEL is a union of literals, not any string
  const notLevel: "TRACE" = s.LOG_LEVEL;
  assert.deepEqual([port, level, reset, password, json, times.length, plugins["a.A"]], [
    6379,
    "INFO",
    "earliest",
    null,
    false,
    6,
    100,
  ]);
  assert.equal(notLevel, "INFO");
});

Deno.test("loadSettings() applies file < env < overrides precedence", () => {
  const file = writeTempJson({ REDIS_HOST: "file-host", REDIS_PORT: 1111, REDIS_DB: 3 });
  const s = loadSettings(TABLE, {
    file,
    env: { REDIS_PORT: "2222", REDIS_DB: "4", KAFKA_HOSTS: "k1:9092,k2:9092" },
    overrides: { REDIS_DB: "5" },
  });
  assert.equal(s.REDIS_HOST, "file-host");
  assert.equal(s.REDIS_PORT, 2222);
  assert.equal(s.REDIS_DB, 5);
  assert.equal(s.KAFKA_HOSTS, "k1:9092,k2:9092");
});

Deno.test("loadSettings() treats empty env vars as unset and ignores names outside the table", () => {
  const s = loadSettings(TABLE, { env: { REDIS_HOST: "", HOME: "/root", PATH: "/bin" } });
  assert.equal(s.REDIS_HOST, "localhost");
  assert.ok(!("HOME" in s));
});

Deno.test("loadSettings() merges dictionaries one level deep and keeps null values", () => {
  const file = writeTempJson({ PLUGINS: { "a.A": null, "c.C": 50 } });
  const s = loadSettings(TABLE, { file, overrides: { PLUGINS: '{"c.C": 60}' } });
  assert.deepEqual(s.PLUGINS, { "a.A": null, "b.B": 200, "c.C": 60 });
  // The table default itself is untouched.
  assert.deepEqual(TABLE.PLUGINS.default, { "a.A": 100, "b.B": 200 });
});

Deno.test("loadSettings() returns a deeply frozen object", () => {
  const s = loadSettings(TABLE);
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.PLUGINS));
  assert.ok(Object.isFrozen(s.STATS_TIMES));
  assert.throws(() => {
    (s.STATS_TIMES as string[]).push("x");
  }, TypeError);
  // A second load is not affected by the first one being frozen.
  const again = loadSettings(TABLE, { overrides: { STATS_TIMES: "A,B" } });
  assert.deepEqual(again.STATS_TIMES, ["A", "B"]);
});

Deno.test("loadSettings() names the setting and the source of a bad value", () => {
  assertSettingsError(
    () => loadSettings(TABLE, { env: { REDIS_PORT: "abc" } }),
    /^Cannot start: setting REDIS_PORT must be an integer between 1 and 65535, got 'abc' \(from environment variable\)$/,
  );
  assertSettingsError(
    () => loadSettings(TABLE, { overrides: { REDIS_PORT: 70000 } }),
    /setting REDIS_PORT .* got 70000 \(from the command line\)/,
  );
  const file = writeTempJson({ LOG_JSON: "maybe" });
  assertSettingsError(
    () => loadSettings(TABLE, { file }),
    /setting LOG_JSON must be a boolean.*got 'maybe' \(from settings file .*settings\.json\)/,
  );
});

Deno.test("loadSettings() rejects unknown names in the file and the overrides", () => {
  const file = writeTempJson({ REDIS_HOST: "h", REDIS_HOTS: "typo" });
  assertSettingsError(() => loadSettings(TABLE, { file }), /unknown setting REDIS_HOTS in .*json$/);
  assertSettingsError(
    () => loadSettings(TABLE, { overrides: { NOPE: "1" } }),
    /unknown setting NOPE on the command line/,
  );
});

Deno.test("loadSettings() reports a missing or invalid settings file by name", () => {
  assertSettingsError(
    () => loadSettings(TABLE, { file: "/nonexistent/dir/s.json" }),
    /^Cannot start: settings file \/nonexistent\/dir\/s\.json not found$/,
  );
  const bad = writeTempJson("{ not json");
  assertSettingsError(
    () => loadSettings(TABLE, { file: bad }),
    /settings file .* is not valid JSON/,
  );
  const arr = writeTempJson([1, 2]);
  assertSettingsError(() => loadSettings(TABLE, { file: arr }), /must hold a JSON object/);
});

Deno.test("describeSettings() lists name, default and doc in aligned columns", () => {
  const text = describeSettings({
    REDIS_PORT: REDIS_SETTINGS.REDIS_PORT,
    REDIS_PASSWORD: REDIS_SETTINGS.REDIS_PASSWORD,
    STATS_TIMES: list(["A", "B"], "windows"),
  });
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^NAME\s+DEFAULT\s+DESCRIPTION$/);
  assert.match(lines[1], /^REDIS_PORT\s+6379\s+Redis port$/);
  assert.match(lines[2], /^REDIS_PASSWORD\s+\(none\)\s+Redis password/);
  assert.match(lines[3], /^STATS_TIMES\s+\["A","B"\]\s+windows$/);
  // Columns line up: every DEFAULT cell starts at the same offset.
  const offsets = [lines[1].indexOf("6379"), lines[2].indexOf("(none)"), lines[3].indexOf("[")];
  assert.equal(new Set(offsets).size, 1);
});

Deno.test("describeSettings() marks settings kept for Scrapy Cluster compatibility", () => {
  const text = describeSettings({
    STATS_CYCLE: compat(int(5, "seconds between cleanups"), "has no effect: trimmed on write"),
    STATS_DUMP: int(60, "seconds between dumps"),
  });
  const lines = text.trimEnd().split("\n");
  assert.match(
    lines[1],
    /^STATS_CYCLE\s+5\s+seconds between cleanups \(kept for Scrapy Cluster compatibility; has no effect: trimmed on write\)$/,
  );
  assert.match(lines[2], /^STATS_DUMP\s+60\s+seconds between dumps$/);
});

Deno.test("loadSettings() accepts a compat setting from a Scrapy Cluster settings file", () => {
  const file = writeTempJson({ SLEEP_TIME: 0.5, STATS_CYCLE: 10 });
  const s = loadSettings(TABLE, { file });
  assert.equal(s.SLEEP_TIME, 0.5);
  assert.equal(s.STATS_CYCLE, 10);
});

Deno.test("describeSettings() puts the doc of a row with a long default on the next line", () => {
  const text = describeSettings({
    REDIS_PORT: REDIS_SETTINGS.REDIS_PORT,
    PLUGINS: dict({ scraper_handler: 100, action_handler: 200 }, "handlers and ranks"),
  });
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[1], /^REDIS_PORT\s+6379\s+Redis port$/);
  assert.equal(lines[2], 'PLUGINS     {"scraper_handler":100,"action_handler":200}');
  // The doc starts in the DESCRIPTION column.
  assert.equal(lines[3].indexOf("handlers and ranks"), lines[1].indexOf("Redis port"));
  assert.equal(lines[3].trim(), "handlers and ranks");
});
