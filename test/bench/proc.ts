/**
 * Benchmark plumbing: process figures read from `/proc` (CPU time, peak RSS, CPU per thread)
 * and child processes that are always stopped, also on Ctrl-C and errors.
 *
 * @module
 */

import { decodeText } from "../../lib/async/mod.ts";

/** Linux clock ticks per second (`getconf CLK_TCK`; 100 on every common kernel). */
export const CLOCK_TICKS_PER_SEC = 100;

/** User + system CPU seconds of a process (all threads), or NaN when it is gone. */
export function cpuSeconds(pid: number | "self"): number {
  try {
    return _statCpu(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return NaN;
  }
}

/** utime + stime of a `/proc/.../stat` line, in seconds. */
function _statCpu(stat: string): number {
  // Fields after the command name (which may hold spaces) start with field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

/** Peak resident set size (VmHWM) in MB, or NaN when the process is gone. */
export function peakRssMb(pid: number | "self"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Machine-wide CPU seconds (all CPUs) from `/proc/stat`: busy, idle (with iowait), stolen. */
export interface SystemCpu {
  busy: number;
  idle: number;
  steal: number;
}

/** Reads {@linkcode SystemCpu} now. */
export function systemCpu(): SystemCpu {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/)
      .slice(1).map((v) => Number(v) / CLOCK_TICKS_PER_SEC);
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  } catch {
    return { busy: NaN, idle: NaN, steal: NaN };
  }
}

/** The difference of two {@linkcode systemCpu} readings. */
export function systemCpuDelta(before: SystemCpu, after: SystemCpu): SystemCpu {
  return {
    busy: after.busy - before.busy,
    idle: after.idle - before.idle,
    steal: after.steal - before.steal,
  };
}

/** CPU seconds of every process now, by pid (with its command name). */
export function allProcessCpu(): Map<number, { name: string; cpu: number }> {
  const out = new Map<number, { name: string; cpu: number }>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      out.set(pid, { name, cpu: _statCpu(stat) });
    } catch { /* ended */ }
  }
  return out;
}

/** The processes that used the most CPU between two {@linkcode allProcessCpu} readings. */
export function topProcesses(
  before: Map<number, { name: string; cpu: number }>,
  after: Map<number, { name: string; cpu: number }>,
  names: Map<number, string> = new Map(),
  top = 8,
): [string, number][] {
  return [...after].map(([pid, { name, cpu }]) =>
    [`${names.get(pid) ?? name}[${pid}]`, cpu - (before.get(pid)?.cpu ?? 0)] as [string, number]
  ).filter(([, s]) => s >= 0.05).sort((a, b) => b[1] - a[1]).slice(0, top);
}

/**
 * Scheduler figures of a process's main thread, in seconds: time on a CPU and time runnable but
 * waiting for one (`/proc/<pid>/schedstat`); NaN when the process is gone.
 */
export function schedSeconds(pid: number): { onCpu: number; waiting: number } {
  try {
    const [run, wait] = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/schedstat`).split(" ");
    return { onCpu: Number(run) / 1e9, waiting: Number(wait) / 1e9 };
  } catch {
    return { onCpu: NaN, waiting: NaN };
  }
}

/** CPU seconds per thread name (threads of the same name summed). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const stat = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/stat`);
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
          .replace(/[-_ ]?\d+$/, "");
        out.set(name, (out.get(name) ?? 0) + _statCpu(stat));
      } catch { /* thread ended */ }
    }
  } catch { /* process ended */ }
  return out;
}

/** The CPU each thread name used between two {@linkcode threadCpu} readings, largest first. */
export function threadCpuDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): [string, number][] {
  return [...after].map(([name, s]) => [name, s - (before.get(name) ?? 0)] as [string, number])
    .filter(([, s]) => s > 0.005)
    .sort((a, b) => b[1] - a[1]);
}

/** A child process started through {@linkcode spawnChild}. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** The last lines it wrote (stdout and stderr), for error reports. */
  tail(): string;
  /** Resolves with the first stdout line matching `pattern` (its match). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number, signal?: Deno.Signal): Promise<number>;
}

const _children = new Set<Child>();

/** Options of {@linkcode spawnChild}. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * The program to run.
   * @default {Deno.execPath()}
   */
  cmd?: string;
  /**
   * Lines kept for {@linkcode Child.tail}.
   * @default {40}
   */
  tailLines?: number;
}

/**
 * Starts `deno <args>` (or `opts.cmd <args>`) with stdout and stderr drained (kept only as a short tail, so a chatty
 * child never blocks on a full pipe). Every child is registered for {@linkcode stopAllChildren}.
 */
export function spawnChild(name: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = new Deno.Command(opts.cmd ?? Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const keep = opts.tailLines ?? 40;
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>, watch: boolean) => {
    let partial = "";
    try {
      for await (const text of decodeText(stream)) {
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          if (lines.length > keep) lines.shift();
          if (!watch) continue;
          for (let i = watchers.length - 1; i >= 0; i--) {
            const match = watchers[i].pattern.exec(line);
            if (match) {
              watchers[i].resolve(match);
              watchers.splice(i, 1);
            }
          }
        }
      }
    } catch { /* the child was killed */ }
    if (partial) lines.push(partial);
  };
  const drained = Promise.all([drain(proc.stdout, true), drain(proc.stderr, false)]);
  let done = false;
  const exited = proc.status.then(async (s) => {
    done = true;
    _children.delete(child);
    await drained;
    return s.code;
  });
  const child: Child = {
    name,
    pid: proc.pid,
    exited,
    tail: () => lines.join("\n"),
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`Cannot start ${name}: no line matching ${pattern} in ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`Cannot start ${name}: it exited with code ${code}\n${child.tail()}`));
        });
      });
    },
    async stop(graceMs = 15_000, signal: Deno.Signal = "SIGTERM") {
      if (!done) {
        _kill(proc, signal);
        const timer = setTimeout(() => _kill(proc, "SIGKILL"), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return await exited;
    },
  };
  _children.add(child);
  return child;
}

function _kill(proc: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    proc.kill(signal);
  } catch { /* already gone */ }
}

/** Stops every child still running (in parallel). */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.allSettled([..._children].map((c) => c.stop(graceMs)));
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
