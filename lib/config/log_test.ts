import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  getLog,
  type LogOptions,
  logOptionsFromSettings,
  setupLogging,
  shutdownLogging,
} from "./log.ts";

const TEXT_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[([\w.-]+)\] ([A-Z]+): (.*)$/;

/** Sets up file logging in a fresh temp dir, runs `fn`, shuts logging down, returns the dir. */
async function withFileLog(
  opts: Partial<LogOptions>,
  fn: (o: LogOptions) => void | Promise<void>,
): Promise<{ dir: string; lines: string[]; cleanup: () => void }> {
  const dir = Deno.makeTempDirSync({ prefix: "log_test_" });
  const o: LogOptions = {
    component: "kafka-monitor",
    level: "DEBUG",
    json: false,
    stdout: false,
    dir: join(dir, "logs"), // not there yet: setupLogging must create it
    file: "kafka_monitor.log",
    maxBytes: 1024 * 1024,
    backups: 5,
    ...opts,
  };
  try {
    await setupLogging(o);
    await fn(o);
  } finally {
    await shutdownLogging();
  }
  const text = Deno.readTextFileSync(join(o.dir, o.file));
  return {
    dir: o.dir,
    lines: text.split("\n").filter((l) => l !== ""),
    cleanup: () => Deno.removeSync(dir, { recursive: true }),
  };
}

Deno.test("setupLogging() writes Scrapy Cluster text lines with extras as JSON", async () => {
  const { lines, cleanup } = await withFileLog({}, () => {
    getLog("kafka-monitor").info("Kafka Monitor started");
    getLog("kafka-monitor").warn("Got {count} requests", { count: 3, topic: "demo.incoming" });
    getLog("kafka-monitor", "plugins").debug("loaded");
  });
  try {
    assert.equal(lines.length, 3);
    const [first, second, third] = lines.map((l) => TEXT_LINE.exec(l));
    assert.deepEqual(first?.slice(1), ["kafka-monitor", "INFO", "Kafka Monitor started"]);
    assert.deepEqual(second?.slice(1), [
      "kafka-monitor",
      "WARNING",
      'Got 3 requests {"count":3,"topic":"demo.incoming"}',
    ]);
    assert.deepEqual(third?.slice(1), ["kafka-monitor.plugins", "DEBUG", "loaded"]);
  } finally {
    cleanup();
  }
});

Deno.test("setupLogging() names the component's lines by loggerName (LOGGER_NAME)", async () => {
  const text = await withFileLog({ component: "crawler", loggerName: "sc-crawler" }, () => {
    getLog("crawler").info("started");
    getLog("crawler", "fetch").debug("fetched");
    getLog("cluster").info("other component");
  });
  const json = await withFileLog(
    { component: "rest", loggerName: "rest-service", json: true },
    () => {
      getLog("rest").info("listening");
      getLog("rest", "answers").warn("late answer");
    },
  );
  try {
    assert.deepEqual(text.lines.map((l) => TEXT_LINE.exec(l)?.[1]), [
      "sc-crawler",
      "sc-crawler.fetch",
      "cluster",
    ]);
    assert.deepEqual(json.lines.map((l) => JSON.parse(l).logger), [
      "rest-service",
      "rest-service.answers",
    ]);
  } finally {
    text.cleanup();
    json.cleanup();
  }
});

Deno.test("setupLogging() writes one JSON object per line with properties flattened", async () => {
  const before = Date.now();
  const { lines, cleanup } = await withFileLog({ json: true }, () => {
    getLog("kafka-monitor").info("Added {url} to the queue", {
      url: "http://example.com",
      appid: "testapp",
      crawlid: "abc",
      message: "clashes with the core field",
    });
    getLog("kafka-monitor").fatal("stopping");
  });
  try {
    assert.equal(lines.length, 2);
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.level, "INFO");
    assert.equal(rec.logger, "kafka-monitor");
    // The machine's name, for log shippers (ELK) that gather many nodes' lines.
    assert.equal(rec.host, Deno.hostname());
    assert.equal(rec.message, "Added http://example.com to the queue");
    assert.equal(rec.url, "http://example.com");
    assert.equal(rec.appid, "testapp");
    assert.equal(rec.crawlid, "abc");
    assert.equal(rec["extra.message"], "clashes with the core field");
    assert.match(rec.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(rec.timestamp) >= before - 1000);
    assert.equal(JSON.parse(lines[1]).level, "CRITICAL");
  } finally {
    cleanup();
  }
});

Deno.test("setupLogging() serializes errors with name and message", async () => {
  const err = new TypeError("boom", { cause: new Error("root cause") });
  (err as TypeError & { code: string }).code = "E_BOOM";
  const json = await withFileLog({ json: true }, () => {
    getLog("crawler").error("Fetch failed: {error}", { error: err, big: 10n });
  });
  const text = await withFileLog({}, () => {
    getLog("crawler").error("Fetch failed", { error: err });
  });
  try {
    const rec = JSON.parse(json.lines[0]);
    assert.equal(rec.message, "Fetch failed: TypeError: boom");
    assert.equal(rec.error.name, "TypeError");
    assert.equal(rec.error.message, "boom");
    assert.equal(rec.error.code, "E_BOOM");
    assert.equal(rec.error.cause.message, "root cause");
    assert.match(rec.error.stack, /log_test\.ts/);
    assert.equal(rec.big, "10");
    // Text lines stay short: name, message and fields, no stack.
    assert.match(
      text.lines[0],
      /ERROR: Fetch failed \{"error":\{"name":"TypeError","message":"boom","code":"E_BOOM","cause":/,
    );
    assert.ok(!text.lines[0].includes("stack"));
  } finally {
    json.cleanup();
    text.cleanup();
  }
});

Deno.test("setupLogging() survives circular properties", async () => {
  const loop: Record<string, unknown> = { name: "loop" };
  loop.self = loop;
  const { lines, cleanup } = await withFileLog({ json: true }, () => {
    getLog("crawler").info("circular", { loop });
  });
  try {
    assert.deepEqual(JSON.parse(lines[0]).loop, { name: "loop", self: "[Circular]" });
  } finally {
    cleanup();
  }
});

Deno.test("setupLogging() drops records below the configured level", async () => {
  const { lines, cleanup } = await withFileLog({ level: "WARNING" }, () => {
    const log = getLog("redis-monitor");
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
  });
  try {
    assert.deepEqual(lines.map((l) => TEXT_LINE.exec(l)?.slice(2)), [
      ["WARNING", "w"],
      ["ERROR", "e"],
      ["CRITICAL", "f"],
    ]);
  } finally {
    cleanup();
  }
});

Deno.test("setupLogging() rotates the log file at maxBytes and keeps `backups` files", async () => {
  const { dir, cleanup } = await withFileLog({ maxBytes: 300, backups: 2 }, () => {
    const log = getLog("crawler");
    for (let i = 0; i < 60; i++) log.info("line {i} of the rotation test", { i });
  });
  try {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["kafka_monitor.log", "kafka_monitor.log.1", "kafka_monitor.log.2"]);
    for (const name of names) {
      const size = Deno.statSync(join(dir, name)).size;
      assert.ok(size > 0 && size <= 300, `${name} has ${size} bytes`);
    }
    // The newest line is in the live file, older ones in .1.
    const live = Deno.readTextFileSync(join(dir, "kafka_monitor.log"));
    assert.match(live, /line 59 of/);
    const previous = Deno.readTextFileSync(join(dir, "kafka_monitor.log.1"));
    assert.ok(!previous.includes("line 59 "));
  } finally {
    cleanup();
  }
});

Deno.test("setupLogging() flushes buffered file lines of an idle process", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "log_test_" });
  const file = join(dir, "idle.log");
  try {
    await setupLogging({
      component: "rest",
      level: "INFO",
      json: false,
      stdout: false,
      dir,
      file: "idle.log",
      maxBytes: 10 * 1024 * 1024,
      backups: 1,
    });
    getLog("rest").info("only line");
    await new Promise((r) => setTimeout(r, 2300));
    assert.match(Deno.readTextFileSync(file), /\[rest\] INFO: only line/);
  } finally {
    await shutdownLogging();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("setupLogging() may be called again to reconfigure", async () => {
  const first = await withFileLog({ json: true }, async (o) => {
    getLog("kafka-monitor").info("as json");
    await setupLogging({ ...o, json: false, file: "second.log" });
    getLog("kafka-monitor").info("as text");
  });
  try {
    assert.equal(first.lines.length, 1);
    assert.equal(JSON.parse(first.lines[0]).message, "as json");
    const second = Deno.readTextFileSync(join(first.dir, "second.log"));
    assert.match(second, /\[kafka-monitor\] INFO: as text\n$/);
  } finally {
    first.cleanup();
  }
});

Deno.test("setupLogging() writes to stdout without LogTape's meta chatter", async () => {
  const logUrl = new URL("./log.ts", import.meta.url).href;
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  const code = `
    import { getLog, setupLogging, shutdownLogging } from ${JSON.stringify(logUrl)};
    await setupLogging({ component: "kafkadump", level: "INFO", json: false, stdout: true,
      dir: "unused", file: "unused.log", maxBytes: 1000, backups: 1 });
    getLog("kafkadump").debug("hidden");
    getLog("kafkadump").info("visible {n}", { n: 1 });
    await shutdownLogging();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", config, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = stdout.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, stdout);
  assert.match(lines[0], /^\S+ \S+ \[kafkadump\] INFO: visible 1 \{"n":1\}$/);
  assert.ok(!stdout.includes("LogTape") && !stderr.includes("LogTape"), stderr);
});

Deno.test("logOptionsFromSettings() maps LOGGER_NAME and LOG_* settings and accepts WARN", () => {
  const settings = {
    LOGGER_NAME: "sc-crawler",
    LOG_LEVEL: "warn",
    LOG_JSON: true,
    LOG_STDOUT: false,
    LOG_DIR: "logs",
    LOG_FILE: "crawler.log",
    LOG_MAX_BYTES: 1000,
    LOG_BACKUPS: 3,
  };
  assert.deepEqual(logOptionsFromSettings("crawler", settings), {
    component: "crawler",
    loggerName: "sc-crawler",
    level: "WARNING",
    json: true,
    stdout: false,
    dir: "logs",
    file: "crawler.log",
    maxBytes: 1000,
    backups: 3,
  });
  assert.throws(
    () => logOptionsFromSettings("crawler", { ...settings, LOG_LEVEL: "LOUD" }),
    /LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'/,
  );
});

Deno.test("setupLogging() to a file without write permission: one line naming the flag", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "log_test_" });
  const logUrl = new URL("./log.ts", import.meta.url).href;
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  const logDir = join(dir, "logs");
  const script = join(dir, "setup.ts");
  Deno.writeTextFileSync(
    script,
    `import { setupLogging } from ${JSON.stringify(logUrl)};
    await setupLogging({ component: "kafkadump", level: "INFO", json: false, stdout: false,
      dir: ${JSON.stringify(logDir)}, file: "kafkadump.log", maxBytes: 1024, backups: 1 });`,
  );
  try {
    // Read, env and sys as the tasks grant them; no write at all.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", config, "--allow-read", "--allow-env", "--allow-sys", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.ok(
      stderr.includes(`Cannot log to ${logDir}/kafkadump.log: no write permission`),
      stderr,
    );
    assert.ok(stderr.includes(`--allow-write=${logDir}`), stderr);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
