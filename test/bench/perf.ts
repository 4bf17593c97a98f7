/**
 * On-CPU profiling with Linux `perf` (when installed): unlike V8's `--cpu-prof`, which samples
 * wall-clock time on the JS thread (a thread waiting for a CPU on a busy machine still collects
 * samples), `perf record -e cpu-clock` samples only what runs, on every thread, native code and
 * kernel included. The crawler runs with `--v8-flags=--perf-basic-prof` so JIT frames get names.
 *
 * @module
 */

import { areaOf } from "./profile.ts";
import { type Child, spawnChild } from "./proc.ts";

/** Whether `perf` can be run. */
export async function perfAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("perf", { args: ["--version"], stdout: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Starts sampling `pid` (all threads, with call chains) into `file`; stop it with SIGINT. */
export function startPerf(pid: number, file: string): Child {
  return spawnChild("perf", [
    "record",
    "-e",
    "cpu-clock",
    "-F",
    "999",
    "-g",
    "-p",
    String(pid),
    "-o",
    file,
  ], { cmd: "perf" });
}

/** On-CPU samples grouped several ways (counts of samples; shares are what matter). */
export interface PerfSummary {
  samples: number;
  /** Samples on the main (JS) thread. */
  mainSamples: number;
  /** Samples by thread name. */
  threads: [string, number][];
  /**
   * Main thread by owner: the innermost JS frame of our code or an npm package on the stack,
   * else the kind of the leaf frame (GC and runtime work called from the event loop).
   */
  owners: [string, number][];
  /** Main thread by the leaf frame's kind (JS area, V8/deno native, libc, kernel). */
  leaves: [string, number][];
  /** Main thread's hottest leaf symbols. */
  symbols: [string, number][];
}

/** A frame's kind: a JS area, or the shared object it ran in. */
function _kind(sym: string, dso: string): { kind: string; ours: boolean } {
  if (sym.startsWith("JS:")) {
    const m = /^JS:\S*?'?(\S*) (\S+?)(?::\d+:\d+)?$/.exec(sym);
    const url = m?.[2] ?? "";
    const area = areaOf(url, m?.[1] ?? "");
    const runtime = url.startsWith("ext:") || url.startsWith("node:") || !url.includes(":");
    return { kind: runtime ? "deno runtime JS" : area, ours: !runtime };
  }
  if (dso.includes("kernel")) return { kind: "kernel (syscalls, TCP, page faults)", ours: false };
  if (dso.includes("libc")) return { kind: "libc (malloc, memcpy)", ours: false };
  if (dso.endsWith("/deno") || dso === "deno") {
    return { kind: "deno native (V8 incl. GC, Rust runtime)", ours: false };
  }
  return { kind: dso.replace(/^.*\//, "") || "(unknown)", ours: false };
}

/** Reads `file` with `perf script` and groups the samples of process `pid`. */
export async function summarisePerf(file: string, pid: number, top = 20): Promise<PerfSummary> {
  const out = await new Deno.Command("perf", {
    args: ["script", "-i", file, "-F", "comm,tid,ip,sym,dso"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const threads = new Map<string, number>();
  const owners = new Map<string, number>();
  const leaves = new Map<string, number>();
  const symbols = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let samples = 0;
  let main = 0;
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0) continue;
    const head = /^\s*(.*?)\s+(\d+)\s*$/.exec(lines[0]);
    if (!head) continue;
    samples++;
    const [, comm, tid] = head;
    add(threads, comm.replace(/[-_ ]?\d+$/, ""));
    if (Number(tid) !== pid) continue;
    main++;
    const frames = lines.slice(1).map((l) => {
      const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(l);
      return m ? { sym: m[1], dso: m[2] } : { sym: "[unknown]", dso: "" };
    });
    if (frames.length === 0) continue;
    const leaf = _kind(frames[0].sym, frames[0].dso);
    add(leaves, leaf.kind);
    add(symbols, `${frames[0].sym.slice(0, 110)} (${leaf.kind})`);
    let owner: string | undefined;
    for (const f of frames) {
      const k = _kind(f.sym, f.dso);
      if (k.ours) {
        owner = k.kind;
        break;
      }
    }
    add(owners, owner ?? `${leaf.kind}, no JS caller`);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    samples,
    mainSamples: main,
    threads: sorted(threads),
    owners: sorted(owners),
    leaves: sorted(leaves),
    symbols: sorted(symbols),
  };
}

/** The summary as text, shares turned into µs of CPU per page with `cpuMsPerPage`. */
export function formatPerf(s: PerfSummary, cpuMsPerPage: number): string {
  const row = (total: number) => ([name, n]: [string, number]) =>
    `  ${(100 * n / total).toFixed(1).padStart(5)} % ${
      (1000 * cpuMsPerPage * n / s.samples).toFixed(0).padStart(5)
    } µs/page  ${name}`;
  return [
    `perf: ${s.samples} on-CPU samples, ${s.mainSamples} on the main thread ` +
    `(µs/page: share of the process's ${cpuMsPerPage.toFixed(2)} ms CPU per page)`,
    "threads:",
    ...s.threads.map(row(s.samples)),
    "main thread by owner (innermost frame of our code or an npm package):",
    ...s.owners.map(row(s.mainSamples)),
    "main thread by leaf kind:",
    ...s.leaves.map(row(s.mainSamples)),
    "main thread hottest leaf symbols:",
    ...s.symbols.map(row(s.mainSamples)),
  ].join("\n");
}
