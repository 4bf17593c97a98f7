/**
 * Components as subprocesses, run the way their deno tasks run them (same permissions), for
 * end-to-end tests.
 *
 * @module
 */

import { redisEnv, type RedisKind } from "./harness.ts";

/** The permissions every component task grants. */
export const COMPONENT_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys=hostname,osRelease",
];

/**
 * `deno run <permissions> components/<name>/main.ts <args>` with `env`, output piped; with
 * `opts.redis`, `env`'s Redis is replaced by that kind's ({@linkcode redisEnv}).
 */
export function componentCommand(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdout?: "piped" | "null"; redis?: RedisKind } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...COMPONENT_PERMISSIONS,
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
