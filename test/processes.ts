/**
 * Components as subprocesses, run the way their deno tasks run them (the permission flags are
 * read from the tasks in deno.json, and they run from the project directory as `deno task`
 * does, so `--allow-read=.` means the same), for end-to-end tests.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };
import { redisEnv, type RedisKind } from "./harness.ts";

/** The project directory: where `deno task` runs the tasks, and so what `.` means in them. */
export const PROJECT_DIR = new URL("../", import.meta.url).pathname;

const _TASKS: Record<string, string> = denoConfig.tasks;

/**
 * The `--allow-*` flags of a task in deno.json, in order (`taskPermissions("run:crawler")`).
 *
 * @throws {Error} when the task does not exist or is not a `deno run`/`deno compile`.
 */
export function taskPermissions(task: string): string[] {
  const command = _TASKS[task];
  if (command === undefined) throw new Error(`deno.json has no task '${task}'`);
  // A compile task chains several commands: its first one's flags stand for all.
  const words = command.split(" && ")[0].split(/\s+/);
  if (words[0] !== "deno" || !["run", "compile"].includes(words[1])) {
    throw new Error(`task '${task}' is not a deno run: ${command}`);
  }
  return words.filter((w) => w.startsWith("--allow-"));
}

/**
 * The permissions every component task grants (`run:crawler`'s, the same as every `run:*`,
 * `feed`, `dump`, `kafkadump`, `migrate` and `health` task: a test checks they agree).
 */
export const COMPONENT_PERMISSIONS: readonly string[] = taskPermissions("run:crawler");

/**
 * `deno run <permissions> components/<name>/main.ts <args>` with `env`, output piped; with
 * `opts.redis`, `env`'s Redis is replaced by that kind's ({@linkcode redisEnv}).
 */
export function componentCommand(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdout?: "piped" | "null"; redis?: RedisKind; allowRead?: string[] } = {},
): Deno.Command {
  // Files outside the project (TLS files in a temporary directory) need the user's own flag.
  const permissions = opts.allowRead?.length
    ? COMPONENT_PERMISSIONS.map((flag) =>
      flag.startsWith("--allow-read=") ? [flag, ...opts.allowRead!].join(",") : flag
    )
    : COMPONENT_PERMISSIONS;
  return new Deno.Command(Deno.execPath(), {
    cwd: PROJECT_DIR,
    args: [
      "run",
      ...permissions,
      new URL(`../components/${name}/main.ts`, import.meta.url).pathname,
      ...args,
    ],
    env: { ...env, ...(opts.redis ? redisEnv(opts.redis) : {}), NO_COLOR: "1" },
    stdin: "null",
    stdout: opts.stdout ?? "piped",
    stderr: "piped",
  });
}

/**
 * A running component; `stop()` sends SIGTERM, `kill()` SIGKILL (a crash); both resolve with its
 * exit code.
 */
export interface RunningComponent {
  readonly child: Deno.ChildProcess;
  stop(): Promise<number>;
  kill(): Promise<number>;
}

/**
 * Starts a component in the background. Its output is discarded, or appended to
 * `opts.logPath` (stdout and stderr). With `opts.redis` it uses that kind of Redis.
 */
export function startComponent(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { logPath?: string; redis?: RedisKind } = {},
): RunningComponent {
  const logPath = opts.logPath;
  const child = componentCommand(name, args, env, {
    stdout: logPath ? "piped" : "null",
    redis: opts.redis,
  }).spawn();
  const sink = () =>
    logPath
      ? Deno.openSync(logPath, { append: true, create: true }).writable
      : new WritableStream();
  // Drain stderr (and stdout) so a chatty component never blocks on a full pipe.
  const drained = Promise.all([
    child.stderr.pipeTo(sink()).catch(() => {}),
    logPath ? child.stdout.pipeTo(sink()).catch(() => {}) : null,
  ]);
  const end = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already ended */ }
    const status = await child.status;
    await drained;
    return status.code;
  };
  return { child, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}
