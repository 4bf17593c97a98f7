/**
 * Child server processes for the local infrastructure: started with their output in a log file,
 * waited for with a timeout, stopped by PID. Each start leaves a PID file so that servers
 * orphaned by a killed parent (a test run interrupted with SIGKILL) are reaped by the next run.
 *
 * @module
 */

import { cacheDir, which } from "./paths.ts";

/** A running server process. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash: no shutdown work); resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** File that receives stdout and stderr. */
  logPath: string;
  env?: Record<string, string>;
  cwd?: string;
}

const running = new Set<ServerProcess>();
let exitHooksInstalled = false;

/** Starts `cmd args...` with stdout/stderr appended to `opts.logPath`. */
export async function startServer(
  name: string,
  cmd: string,
  args: string[],
  opts: StartServerOptions,
): Promise<ServerProcess> {
  installExitHooks();
  await reapOrphans();
  // The shell redirects the server's output straight into the log file: no pipe to pump, and the
  // log stays complete even if this process dies first.
  // setsid: the server gets its own session, so a terminal's Ctrl-C reaches only us and we
  // stop the servers in order (components first) instead of them dying at the same moment.
  const setsid = which("setsid");
  const shell = ["/bin/sh", "-c", 'exec "$0" "$@" >>"$CRAWL_CLUSTER_LOG" 2>&1', cmd, ...args];
  const argv = setsid ? [setsid, ...shell] : shell;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd,
    env: { ...opts.env, CRAWL_CLUSTER_LOG: opts.logPath },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const exited = child.status.then((s) => s.code);
  const pidFile = `${await runDir()}/${child.pid}.json`;
  await Deno.writeTextFile(pidFile, JSON.stringify({ pid: child.pid, parent: Deno.pid, name }));
  let done = false;
  exited.finally(() => {
    done = true;
    running.delete(proc);
    Deno.remove(pidFile).catch(() => {});
  });
  const proc: ServerProcess = {
    name,
    pid: child.pid,
    logPath: opts.logPath,
    exited,
    async stop(graceMs = 10_000) {
      if (done) return;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (done) return;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await exited;
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every server this process started, newest first. */
export async function stopAllServers(graceMs?: number): Promise<void> {
  for (const proc of [...running].reverse()) await proc.stop(graceMs);
}

/** Error raised when a server does not become ready; its message ends with the log's tail. */
export class ServerStartError extends Error {
  constructor(message: string, logPath: string) {
    super(`${message}\n--- last lines of ${logPath} ---\n${tail(logPath, 25)}`);
    this.name = "ServerStartError";
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns true, the process exits or `timeoutMs`
 * passes; throws {@linkcode ServerStartError} naming the server in the last two cases.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  probe: () => Promise<boolean> | boolean,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let exitCode: number | null = null;
  proc.exited.then((code) => exitCode = code);
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      throw new ServerStartError(
        `Cannot start ${proc.name}: it exited with code ${exitCode}`,
        proc.logPath,
      );
    }
    try {
      if (await probe()) return;
    } catch { /* not ready yet */ }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
  await proc.stop(2_000);
  throw new ServerStartError(
    `Cannot start ${proc.name}: not ready after ${Math.round(opts.timeoutMs / 1000)} s`,
    proc.logPath,
  );
}

/**
 * True once the server's log contains a line matching `pattern`; with `fromByte`, only the part
 * written after that offset counts (a restarted server appends to the log of its last run).
 */
export function logContains(logPath: string, pattern: RegExp, fromByte = 0): boolean {
  try {
    const bytes = Deno.readFileSync(logPath);
    return pattern.test(new TextDecoder().decode(bytes.subarray(fromByte)));
  } catch {
    return false;
  }
}

/** The size of a log file in bytes (0 when it does not exist yet). */
export function logSize(logPath: string): number {
  try {
    return Deno.statSync(logPath).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines of a text file ("" when unreadable). */
export function tail(path: string, lines: number): string {
  try {
    return Deno.readTextFileSync(path).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function runDir(): Promise<string> {
  const dir = `${cacheDir()}/run`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** Kills servers whose parent process is gone (left behind by a killed test run). */
async function reapOrphans(): Promise<void> {
  const dir = await runDir();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".json")) continue;
    try {
      const info = JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`));
      if (info.parent === Deno.pid || isAlive(info.parent)) continue;
      if (isAlive(info.pid)) Deno.kill(info.pid, "SIGKILL");
      await Deno.remove(`${dir}/${entry.name}`);
    } catch { /* a half-written or foreign file: ignore */ }
  }
}

function isAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Children must not outlive an interrupted parent: kill them on signals and at exit. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  globalThis.addEventListener("unload", () => {
    for (const proc of running) {
      try {
        Deno.kill(proc.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
  });
}
