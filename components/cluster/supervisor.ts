/**
 * Runs one cluster component as a `deno run` subprocess and keeps it running: its output lines
 * are re-printed behind its name (`kafka-monitor | ...`), an unexpected exit is logged and
 * followed by a restart with growing backoff, and a component that keeps crashing is given up
 * on. Stopping sends SIGTERM, then SIGKILL after a grace period.
 *
 * @example
 * ```ts ignore
 * import { superviseComponent } from "./supervisor.ts";
 *
 * const monitor = superviseComponent({
 *   name: "kafka-monitor",
 *   main: "components/kafka-monitor/main.ts",
 *   args: ["run"],
 *   permissions: ["--allow-net", "--allow-env", "--allow-read"],
 * }, { env: { KAFKA_HOSTS: "127.0.0.1:9092" } });
 * // ... later
 * await monitor.stop(); // SIGTERM, SIGKILL after 15 s
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { getLog } from "../../lib/config/mod.ts";
import { decodeText } from "../../lib/async/mod.ts";

/** One component of the cluster: a `main.ts` run with `deno run <permissions> <main> <args>`. */
export interface ComponentSpec {
  /** Name shown before each of its output lines and in log lines, e.g. `kafka-monitor`. */
  readonly name: string;
  /** Path of its entry point, relative to the repository root (or absolute). */
  readonly main: string;
  /** Arguments after the entry point, e.g. `["run"]`. */
  readonly args: readonly string[];
  /** Deno permission flags, e.g. `["--allow-net", "--allow-env"]`. */
  readonly permissions: readonly string[];
}

/** What happened to a supervised component; each event is also logged. */
export type ComponentEvent =
  | { type: "started"; name: string; pid: number }
  | { type: "exited"; name: string; code: number; signal: Deno.Signal | null; expected: boolean }
  | { type: "restarting"; name: string; delayMs: number; attempt: number }
  | { type: "gave-up"; name: string; restarts: number; windowMs: number };

/** How a supervision ended. */
export type SupervisionEnd = "stopped" | "gave-up";

/** Options of {@linkcode superviseComponent}. */
export interface SuperviseOptions {
  /**
   * Folder that relative `main` paths are resolved against.
   * @default {the repository root}
   */
  root?: string;
  /**
   * Variables added to the inherited environment of the subprocess.
   * @default {{}}
   */
  env?: Record<string, string>;
  /**
   * Receives each prefixed output line (stdout and stderr alike, without the newline).
   * @default {a synchronous write to stdout}
   */
  write?: (line: string) => void;
  /**
   * Width the name is padded to, so that the output of several components lines up.
   * @default {the name's length}
   */
  prefixWidth?: number;
  /**
   * Milliseconds to wait before restart number `attempt` (1 for the first restart within
   * `restartWindowMs`).
   * @default {defaultBackoffMs}
   */
  backoffMs?: (attempt: number) => number;
  /**
   * Restarts allowed within `restartWindowMs`; one more unexpected exit gives up.
   * @default {5}
   */
  maxRestarts?: number;
  /**
   * The window for `maxRestarts`, in milliseconds.
   * @default {60000}
   */
  restartWindowMs?: number;
  /** Called with every {@linkcode ComponentEvent} (after it is logged). */
  onEvent?: (event: ComponentEvent) => void;
}

/** A component under supervision. */
export interface SupervisedComponent {
  /** The component's name. */
  readonly name: string;
  /** PID of the running subprocess; null between a crash and its restart, and at the end. */
  readonly pid: number | null;
  /** Resolves once the component is stopped (by `stop`/`kill`) or given up on. */
  readonly done: Promise<SupervisionEnd>;
  /**
   * Stops supervising: SIGTERM to the subprocess, SIGKILL if it is still running after
   * `graceMs` (15 s by default). Resolves once it has exited and its output is printed.
   */
  stop(graceMs?: number): Promise<SupervisionEnd>;
  /** Stops supervising and SIGKILLs the subprocess at once. */
  kill(): Promise<SupervisionEnd>;
}

/** Grace period of {@linkcode SupervisedComponent.stop} before SIGKILL, in milliseconds. */
export const DEFAULT_STOP_GRACE_MS = 15_000;

const _MAX_BACKOFF_MS = 30_000;
/** Output still unread this long after the exit (a grandchild holding the pipe) is dropped. */
const _DRAIN_MS = 2_000;
const _REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The default restart backoff: 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s.
 *
 * @example
 * ```ts
 * import { defaultBackoffMs } from "./supervisor.ts";
 *
 * if (defaultBackoffMs(1) !== 1_000 || defaultBackoffMs(9) !== 30_000) throw new Error();
 * ```
 */
export function defaultBackoffMs(attempt: number): number {
  return Math.min(_MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempt - 1));
}

/** The `deno run` argument list of a component (its `main` resolved against `root`). */
export function componentArgs(spec: ComponentSpec, root: string = _REPO_ROOT): string[] {
  const main = spec.main.startsWith("/") ? spec.main : `${root.replace(/\/$/, "")}/${spec.main}`;
  return ["run", ...spec.permissions, main, ...spec.args];
}

/**
 * Starts `spec` as a subprocess and supervises it until `stop()`/`kill()`, or until it exits
 * unexpectedly more than `maxRestarts` times within `restartWindowMs`.
 */
export function superviseComponent(
  spec: ComponentSpec,
  opts: SuperviseOptions = {},
): SupervisedComponent {
  const log = getLog("cluster");
  const prefix = `${spec.name.padEnd(opts.prefixWidth ?? spec.name.length)} | `;
  const write = opts.write ?? _writeStdout;
  const backoffMs = opts.backoffMs ?? defaultBackoffMs;
  const maxRestarts = opts.maxRestarts ?? 5;
  const windowMs = opts.restartWindowMs ?? 60_000;
  const args = componentArgs(spec, opts.root);

  let child: Deno.ChildProcess | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  const restartTimes: number[] = [];

  const emit = (event: ComponentEvent) => {
    _logEvent(log, event, maxRestarts);
    opts.onEvent?.(event);
  };

  const runOnce = async (): Promise<Deno.CommandStatus> => {
    let proc: Deno.ChildProcess;
    try {
      proc = new Deno.Command(Deno.execPath(), {
        args,
        env: opts.env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        // Its own process group: a Ctrl-C in the terminal reaches the cluster, which then stops
        // the components in order, instead of every process at once.
        detached: true,
      }).spawn();
    } catch (err) {
      write(`${prefix}cannot start: ${(err as Error).message}`);
      return { success: false, code: 127, signal: null };
    }
    child = proc;
    _live.add(proc);
    _installExitHook();
    emit({ type: "started", name: spec.name, pid: proc.pid });
    const emitLine = (line: string) => write(prefix + line);
    const drained = Promise.all([
      _pumpLines(proc.stdout, emitLine),
      _pumpLines(proc.stderr, emitLine),
    ]);
    const status = await proc.status;
    _live.delete(proc);
    child = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise((r) => timer = setTimeout(r, _DRAIN_MS))]);
    clearTimeout(timer);
    return status;
  };

  const loop = async (): Promise<SupervisionEnd> => {
    while (true) {
      const status = await runOnce();
      emit({
        type: "exited",
        name: spec.name,
        code: status.code,
        signal: status.signal,
        expected: stopping,
      });
      if (stopping) return "stopped";
      const now = Date.now();
      while (restartTimes.length > 0 && now - restartTimes[0] >= windowMs) restartTimes.shift();
      if (restartTimes.length >= maxRestarts) {
        emit({ type: "gave-up", name: spec.name, restarts: restartTimes.length, windowMs });
        return "gave-up";
      }
      const attempt = restartTimes.length + 1;
      const delayMs = backoffMs(attempt);
      emit({ type: "restarting", name: spec.name, delayMs, attempt });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopping) return "stopped";
      restartTimes.push(Date.now());
    }
  };

  const done = loop();
  const signalChild = (signal: Deno.Signal) => {
    try {
      child?.kill(signal);
    } catch { /* already gone */ }
  };

  return {
    name: spec.name,
    get pid() {
      return child?.pid ?? null;
    },
    done,
    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      stopping = true;
      wake?.();
      signalChild("SIGTERM");
      const timer = setTimeout(() => signalChild("SIGKILL"), graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      stopping = true;
      wake?.();
      signalChild("SIGKILL");
      return done;
    },
  };
}

function _logEvent(log: ReturnType<typeof getLog>, event: ComponentEvent, maxRestarts: number) {
  switch (event.type) {
    case "started":
      log.info(`${event.name} started (pid ${event.pid})`);
      return;
    case "exited": {
      const how = `with code ${event.code}${event.signal ? ` (${event.signal})` : ""}`;
      if (event.expected) log.info(`${event.name} stopped ${how}`);
      else log.error(`${event.name} exited unexpectedly ${how}`);
      return;
    }
    case "restarting":
      log.warn(
        `Restarting ${event.name} in ${event.delayMs / 1000} s ` +
          `(restart ${event.attempt} of ${maxRestarts} allowed per minute)`,
      );
      return;
    case "gave-up":
      log.error(
        `Giving up on ${event.name}: it crashed again after ${event.restarts} restarts within ` +
          `${event.windowMs / 1000} s; the rest of the cluster keeps running`,
      );
      return;
  }
}

/** Calls `emit` with every line of `stream` (without `\n` or `\r\n`), the last one even unended. */
async function _pumpLines(
  stream: ReadableStream<Uint8Array>,
  emit: (line: string) => void,
): Promise<void> {
  let pending = "";
  try {
    for await (const chunk of decodeText(stream)) {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) emit(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
  } catch { /* the pipe broke: keep what was read */ }
  if (pending !== "") emit(pending);
}

const _encoder = new TextEncoder();

function _writeStdout(line: string): void {
  // Synchronous, like the log sink, so lines of several components never interleave mid-line.
  let bytes = _encoder.encode(line + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}

/** Subprocesses alive right now, killed if this process exits without stopping them. */
const _live = new Set<Deno.ChildProcess>();
let _exitHookInstalled = false;

function _installExitHook(): void {
  if (_exitHookInstalled) return;
  _exitHookInstalled = true;
  globalThis.addEventListener("unload", () => {
    for (const proc of _live) {
      try {
        proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  });
}
