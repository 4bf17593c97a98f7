/**
 * Components as subprocesses, run the way their deno tasks run them (same permissions), for
 * end-to-end tests.
 *
 * @module
 */

/** The permissions every component task grants. */
export const COMPONENT_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys=hostname,osRelease",
];

/** `deno run <permissions> components/<name>/main.ts <args>` with `env`, output piped. */
export function componentCommand(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdout?: "piped" | "null" } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...COMPONENT_PERMISSIONS,
      new URL(`../components/${name}/main.ts`, import.meta.url).pathname,
      ...args,
    ],
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: opts.stdout ?? "piped",
    stderr: "piped",
  });
}

/** A running component; `stop()` sends SIGTERM and resolves with its exit code. */
export interface RunningComponent {
  readonly child: Deno.ChildProcess;
  stop(): Promise<number>;
}

/** Starts a component in the background (its output is discarded). */
export function startComponent(
  name: string,
  args: string[],
  env: Record<string, string>,
): RunningComponent {
  const child = componentCommand(name, args, env, { stdout: "null" }).spawn();
  // Drain stderr so a chatty component never blocks on a full pipe.
  const drained = child.stderr.pipeTo(new WritableStream()).catch(() => {});
  return {
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already ended */ }
      const status = await child.status;
      await drained;
      return status.code;
    },
  };
}
