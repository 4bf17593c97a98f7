import assert from "node:assert/strict";
import {
  type CliResult,
  COMMON_OPTIONS,
  formatHelp,
  parseCli,
  type ProgramSpec,
  settingsOverridesFromCli,
} from "./cli.ts";
import { compat, int, str } from "./parsers.ts";

const SPEC: ProgramSpec = {
  name: "kafkadump",
  description: "kafkadump: a Kafka topic dump utility for debugging",
  aliases: { "-nb": "--no-body" },
  commands: [
    { name: "list", summary: "List all Kafka topics" },
    {
      name: "dump",
      summary: "Dump a Kafka topic",
      options: {
        topic: { type: "string", short: "t", description: "the topic to dump", valueName: "TOPIC" },
        "from-beginning": {
          type: "boolean",
          short: "b",
          description: "read the topic from the beginning",
        },
        "no-body": { type: "boolean", description: "do not print the body of crawled pages" },
        "consumer": {
          type: "string",
          short: "c",
          description: "consumer group id",
          default: "default",
        },
      },
    },
    {
      name: "feed",
      summary: "Feed one JSON request",
      positionals: [{ name: "json", description: "the JSON request", required: true }],
    },
  ],
};

function assertRun(r: CliResult): Extract<CliResult, { kind: "run" }> {
  assert.equal(r.kind, "run", r.kind === "exit" ? r.output : "");
  return r as Extract<CliResult, { kind: "run" }>;
}

function assertError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.kind, "exit");
  if (r.kind !== "exit") return;
  assert.equal(r.code, 2);
  assert.ok(!r.output.includes("\n"), `one line expected, got: ${r.output}`);
  assert.match(r.output, /^kafkadump: .*\. Try 'kafkadump --help'\.$/);
  assert.match(r.output, pattern);
}

Deno.test("parseCli() returns the command, its values and positionals", () => {
  const r = assertRun(parseCli(SPEC, ["dump", "-t", "demo.crawled_firehose", "-b"]));
  assert.equal(r.command, "dump");
  assert.equal(r.values.topic, "demo.crawled_firehose");
  assert.equal(r.values["from-beginning"], true);
  assert.equal(r.values.consumer, "default");
  assert.equal(r.values["no-body"], undefined);
  assert.ok("settings" in r.values, "common options are listed even when absent");
  assert.deepEqual(r.positionals, []);

  const feed = assertRun(parseCli(SPEC, ["feed", '{"url": "http://x"}']));
  assert.deepEqual(feed.positionals, ['{"url": "http://x"}']);
});

Deno.test("parseCli() accepts the common options on every command", () => {
  const r = assertRun(
    parseCli(SPEC, ["list", "-s", "local.json", "--log-level", "DEBUG", "--set", "A=1"]),
  );
  assert.equal(r.values.settings, "local.json");
  assert.equal(r.values["log-level"], "DEBUG");
  assert.deepEqual(r.values.set, ["A=1"]);
  assert.deepEqual(Object.keys(COMMON_OPTIONS).sort(), [
    "log-file",
    "log-json",
    "log-level",
    "set",
    "settings",
  ]);
});

Deno.test("parseCli() expands legacy aliases only as whole arguments before --", () => {
  const r = assertRun(parseCli(SPEC, ["dump", "-ll", "WARN", "-lf", "-lj", "-nb"]));
  assert.equal(r.values["log-level"], "WARN");
  assert.equal(r.values["log-file"], true);
  assert.equal(r.values["log-json"], true);
  assert.equal(r.values["no-body"], true);

  const after = assertRun(parseCli(SPEC, ["feed", "--", "-nb"]));
  assert.deepEqual(after.positionals, ["-nb"]);
  // "-llx" is not the alias "-ll", so it stays an unknown option.
  assertError(parseCli(SPEC, ["dump", "-llx"]), /unknown option '-l'/);
});

Deno.test("parseCli() shows help for every command on --help, -h, help or no arguments", () => {
  for (const args of [["--help"], ["-h"], [], ["help"], ["--log-json", "-h"]]) {
    const r = parseCli(SPEC, args);
    assert.equal(r.kind, "exit", `args ${args}`);
    if (r.kind !== "exit") continue;
    assert.equal(r.code, 0);
    assert.equal(r.output, formatHelp(SPEC));
  }
});

Deno.test("parseCli() shows one command's help for '<cmd> --help' and 'help <cmd>'", () => {
  for (const args of [["dump", "--help"], ["dump", "-t", "x", "-h"], ["help", "dump"]]) {
    const r = parseCli(SPEC, args);
    assert.ok(r.kind === "exit" && r.code === 0, `args ${args}`);
    assert.match(r.output, /^usage: kafkadump dump \[-h\] \[-t TOPIC\] \[-b\] \[-nb\]/);
    assert.ok(!r.output.includes("Command 'list'"));
  }
});

Deno.test("parseCli() reports usage errors in one line with code 2", () => {
  assertError(parseCli(SPEC, ["crawl"]), /unknown command 'crawl' \(expected one of: list, dump/);
  assertError(parseCli(SPEC, ["help", "crawl"]), /unknown command 'crawl'/);
  assertError(parseCli(SPEC, ["dump", "--topics", "x"]), /dump: unknown option '--topics'/);
  assertError(parseCli(SPEC, ["dump", "-t"]), /option '--topic' needs a value/);
  assertError(parseCli(SPEC, ["dump", "-t", "-b"]), /option '--topic' needs a value/);
  assertError(parseCli(SPEC, ["dump", "--from-beginning=yes"]), /does not take a value/);
  assertError(parseCli(SPEC, ["feed"]), /feed: missing required argument <json>/);
  assertError(parseCli(SPEC, ["list", "extra"]), /list: unexpected argument 'extra'/);
  assertError(parseCli(SPEC, ["-s", "x.json", "list"]), /expected a command before '-s'/);
});

Deno.test("parseCli() lets option values start with a dash via --name=value", () => {
  const r = assertRun(parseCli(SPEC, ["dump", "--topic=-odd-"]));
  assert.equal(r.values.topic, "-odd-");
});

Deno.test("formatHelp() documents every command with usage, options and defaults", () => {
  const text = formatHelp(SPEC);
  assert.match(
    text,
    /^usage: kafkadump \[-h\] \{list,dump,feed\} \.\.\.\n\nkafkadump: a Kafka topic/,
  );
  assert.match(text, /^ {2}dump {2}Dump a Kafka topic$/m);
  for (const name of ["list", "dump", "feed"]) {
    assert.match(text, new RegExp(`Command '${name}'\\nusage: kafkadump ${name} \\[-h\\]`));
  }
  assert.match(text, /^ {2}-t, --topic TOPIC\s+the topic to dump$/m);
  assert.match(text, /^ {2}-nb, --no-body\s+do not print/m);
  assert.match(text, /^ {2}-ll, --log-level LEVEL\s+log level/m);
  assert.match(text, /^ {2}-c, --consumer CONSUMER\s+consumer group id \(default: default\)$/m);
  assert.match(text, /usage: kafkadump feed \[-h\].* <json>/s);
  assert.match(text, /^ {2}json\s+the JSON request$/m);
  // Long usage lines wrap within the configured width.
  for (const line of text.split("\n")) {
    if (line.startsWith("usage:")) assert.ok(line.length <= 100, line);
  }
});

Deno.test("formatHelp() lists the settings and marks those kept for compatibility", () => {
  const text = formatHelp({
    ...SPEC,
    settings: {
      KAFKA_HOSTS: str("localhost:9092", "Kafka brokers"),
      STATS_CYCLE: compat(int(5, "seconds between cleanups")),
    },
  });
  assert.match(text, /\nsettings \(defaults < --settings file < environment variables < --set/);
  assert.match(text, /^ {2}NAME\s+DEFAULT\s+DESCRIPTION$/m);
  assert.match(text, /^ {2}KAFKA_HOSTS\s+localhost:9092\s+Kafka brokers$/m);
  assert.match(
    text,
    /^ {2}STATS_CYCLE\s+5\s+seconds between cleanups \(kept for Scrapy Cluster compatibility; has no effect\)$/m,
  );
  // Without a table there is no settings section.
  assert.ok(!formatHelp(SPEC).includes("DESCRIPTION"));
});

Deno.test("settingsOverridesFromCli() maps the common options to setting names", () => {
  assert.deepEqual(
    settingsOverridesFromCli({
      "log-level": "debug",
      "log-file": true,
      "log-json": true,
      set: ["REDIS_HOST=redis.local", 'PLUGINS={"a": null}', "EMPTY="],
      settings: "ignored.json",
    }),
    {
      LOG_LEVEL: "debug",
      LOG_STDOUT: false,
      LOG_JSON: true,
      REDIS_HOST: "redis.local",
      PLUGINS: '{"a": null}',
      EMPTY: "",
    },
  );
});

Deno.test("settingsOverridesFromCli() includes only options actually given", () => {
  assert.deepEqual(
    settingsOverridesFromCli({
      "log-level": undefined,
      "log-file": undefined,
      "log-json": false,
      set: undefined,
    }),
    {},
  );
  // The dedicated flag wins over --set of the same setting.
  assert.deepEqual(settingsOverridesFromCli({ "log-level": "ERROR", set: ["LOG_LEVEL=DEBUG"] }), {
    LOG_LEVEL: "ERROR",
  });
});

Deno.test("settingsOverridesFromCli() rejects --set without NAME=", () => {
  assert.throws(
    () => settingsOverridesFromCli({ set: ["REDIS_HOST"] }),
    /^Error: Cannot start: --set expects NAME=VALUE, got 'REDIS_HOST'$/,
  );
  assert.throws(() => settingsOverridesFromCli({ set: ["=x"] }), /--set expects NAME=VALUE/);
});
