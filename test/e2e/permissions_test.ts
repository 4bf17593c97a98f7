/**
 * The deno tasks as a user runs them (`deno task run:crawler`, ...): their permission flags are
 * enough for every component to start, beat and stop cleanly (and for `deno task health` to
 * see it), and a permission they leave out (write, for `-lf`) stops a program with one line
 * naming the flag, never a stack trace. A Redis database of its own keeps other tests'
 * heartbeats out of the health checks.
 */

import assert from "node:assert/strict";
import { eventually, isolatedRedisUrl, randomName, serviceEnv } from "../harness.ts";
import { COMPONENT_PERMISSIONS, PROJECT_DIR, taskPermissions } from "../processes.ts";
import denoConfig from "../../deno.json" with { type: "json" };

const DB = 15;
const TASKS: Record<string, string> = denoConfig.tasks;
const RUN_TASKS = Object.keys(TASKS).filter((t) => /^run:[\w-]+$/.test(t));

/** `deno task <args>` from the project directory, as a user types it. */
function task(args: string[], env: Record<string, string>): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: PROJECT_DIR,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("every component task has the same tight flags", () => {
  assert.deepEqual([...COMPONENT_PERMISSIONS], [
    "--allow-net",
    "--allow-env",
    "--allow-read=.",
    "--allow-sys=hostname",
  ]);
  for (const name of [...RUN_TASKS, "feed", "dump", "kafkadump", "migrate", "health"]) {
    assert.deepEqual(taskPermissions(name), COMPONENT_PERMISSIONS, name);
  }
  // File logging is the only writer, and only to the log directory.
  for (const name of RUN_TASKS) {
    assert.deepEqual(taskPermissions(`${name}:log-file`), [
      ...COMPONENT_PERMISSIONS,
      "--allow-write=logs",
    ]);
  }
  // Each compiled executable gets the same flags as its task.
  const compiles = TASKS.compile.split(" && ");
  assert.ok(compiles.length >= RUN_TASKS.length);
  for (const command of compiles) {
    const flags = command.split(/\s+/).filter((w) => w.startsWith("--allow-"));
    assert.deepEqual(flags, COMPONENT_PERMISSIONS, command);
  }
});

Deno.test("each run:* task's flags start its component, which beats and stops cleanly", async () => {
  const prefix = randomName("perm");
  const env: Record<string, string> = {
    ...serviceEnv(),
    REDIS_URL: isolatedRedisUrl(DB),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: randomName("group"),
    WEBHOOK_GROUP: randomName("webhook"),
    REST_PORT: String(freePort()),
    LOG_JSON: "true",
  };
  const components = RUN_TASKS.map((name) => name.slice("run:".length));
  assert.deepEqual(components.toSorted(), [
    "crawler",
    "kafka-monitor",
    "redis-monitor",
    "rest",
    "webhook",
  ]);
  const running = components.map((name) => ({
    name,
    child: task([`run:${name}`], env).spawn(),
  }));
  const outputs = running.map(({ child }) =>
    Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ])
  );
  try {
    for (const { name } of running) {
      // The health task (same flags) sees the component's heartbeat on this machine.
      await eventually(async () => (await task(["health", name], env).output()).code === 0, {
        what: `${name} healthy`,
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    }
  } finally {
    for (const { child } of running) child.kill("SIGTERM");
  }
  for (const [i, { name, child }] of running.entries()) {
    const status = await child.status;
    const [stdout, stderr] = await outputs[i];
    assert.equal(status.code, 0, `${name} exited ${status.code}: ${stderr}`);
    assert.ok(!/NotCapable|Missing permission|Requires \w+ access/.test(stdout + stderr), stderr);
    // JSON log lines name the machine they come from.
    const first = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{"))!);
    assert.equal(first.host, Deno.hostname(), name);
  }
  // Stopped cleanly: their heartbeats are gone, so health says so.
  const after = await task(["health", "crawler"], env).output();
  assert.equal(after.code, 1);
});

Deno.test("kafkadump list -lf without write permission: one line naming the flag, exit 1", async () => {
  const out = await task(["kafkadump", "list", "-lf"], serviceEnv()).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 1);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(
    stderr,
    /^Cannot log to logs\/kafkadump\.log: no write permission .*--allow-write=logs/,
  );
});

Deno.test("a settings file outside the project needs the user's --allow-read: one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "perm-settings-" });
  const file = `${dir}/settings.json`;
  await Deno.writeTextFile(file, "{}");
  try {
    const out = await task(["kafkadump", "list", "-s", file], serviceEnv()).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 1);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.ok(stderr.includes(`add --allow-read=${file} to the deno run command`), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
