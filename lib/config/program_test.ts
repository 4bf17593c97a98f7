import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SettingsError } from "./parsers.ts";
import { fatalErrorText } from "./program.ts";

Deno.test("fatalErrorText() gives one line for errors the user can fix", () => {
  assert.equal(
    fatalErrorText(new SettingsError("Cannot start: setting REDIS_PORT must be an integer")),
    "Cannot start: setting REDIS_PORT must be an integer",
  );
  assert.equal(
    fatalErrorText(new Error("Cannot connect to Redis at localhost:1/0: refused\nmore")),
    "Cannot connect to Redis at localhost:1/0: refused",
  );
  assert.equal(fatalErrorText(new Deno.errors.NotFound("no such file")), "no such file");
  assert.equal(fatalErrorText("plain text\nthrown"), "plain text");
});

Deno.test("fatalErrorText() gives the stack trace for programmer errors", () => {
  let bug: unknown;
  try {
    (null as unknown as { x: number }).x;
  } catch (err) {
    bug = err;
  }
  const text = fatalErrorText(bug);
  assert.match(text, /^TypeError: /);
  assert.match(text, /\n\s+at .*program_test\.ts/);
  assert.match(fatalErrorText(new RangeError("bad length")), /^RangeError: bad length\n\s+at /);
});

/** Runs a tiny program through `startProgram()` and returns its stdout. */
async function runProgram(args: string[]): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "program_test_" });
  try {
    const script = join(dir, "main.ts");
    Deno.writeTextFileSync(
      script,
      `
      import { startProgram, finish } from "${new URL("./program.ts", import.meta.url)}";
      import { getLog, logSettings } from "${new URL("./log.ts", import.meta.url)}";
      const spec = { name: "demo", description: "d", commands: [{ name: "run", summary: "s" }] };
      await startProgram(spec, logSettings("demo-logger", "demo.log"), Deno.args, {});
      getLog("demo").info("hello");
      getLog("demo", "part").info("from a part");
      await finish(0);
      `,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        fileURLToPath(new URL("../../deno.json", import.meta.url)),
        script,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return new TextDecoder().decode(out.stdout);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("startProgram() names log lines by LOGGER_NAME, text and JSON", async () => {
  const text = await runProgram(["run"]);
  assert.match(text, /\[demo-logger\] INFO: hello\n/);
  assert.match(text, /\[demo-logger\.part\] INFO: from a part\n/);
  const json = (await runProgram(["run", "--log-json", "--set", "LOGGER_NAME=custom"]))
    .trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(json.map((r) => [r.logger, r.message]), [
    ["custom", "hello"],
    ["custom.part", "from a part"],
  ]);
});

Deno.test("startProgram() lists the program's settings in --help", async () => {
  const help = await runProgram(["--help"]);
  assert.match(help, /^ {2}LOGGER_NAME\s+demo-logger\s+logger name/m);
});

Deno.test("fatalErrorText() names the permission Deno refused and the flag that grants it", () => {
  const refused = new Deno.errors.NotCapable(
    'Requires write access to "logs", run again with the --allow-write flag',
  );
  assert.equal(
    fatalErrorText(refused),
    'Missing permission: write access to "logs" is not granted (add --allow-write=logs to the ' +
      "deno run command)",
  );
  // Wrapped in a message of ours, the refusal is explained the same way.
  assert.equal(
    fatalErrorText(
      new Error(
        "Cannot start: cannot read settings file /etc/s.json: Requires read access to " +
          '"/etc/s.json", run again with the --allow-read flag',
      ),
    ),
    'Cannot start: cannot read settings file /etc/s.json: read access to "/etc/s.json" is not ' +
      "granted (add --allow-read=/etc/s.json to the deno run command)",
  );
  assert.equal(
    fatalErrorText(
      new Deno.errors.NotCapable(
        'Requires sys access to "osRelease", run again with the --allow-sys flag',
      ),
    ),
    'Missing permission: sys access to "osRelease" is not granted (add ' +
      "--allow-sys=osRelease to the deno run command)",
  );
});
