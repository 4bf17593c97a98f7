/**
 * Summarises a V8 `.cpuprofile` (as written by `deno run --cpu-prof`): self time by function,
 * self time by area (our modules, kafkajs, ioredis, htmlparser2, Deno's runtime, GC), and
 * inclusive time of the crawler's steps.
 *
 * ```sh
 * deno run --allow-read test/bench/profile.ts path/to/CPU.123.cpuprofile
 * ```
 *
 * @module
 */

interface _Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface _Profile {
  nodes: _Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Functions whose inclusive time is reported (the crawler's per-page steps). */
export const STEP_FUNCTIONS: readonly string[] = [
  "#process",
  "fetchPage",
  "_readBody",
  "_responseHeaders",
  "parse",
  "extractLinks",
  "followRequest",
  "#enqueueChildren",
  "requestFingerprint",
  "registeredDomain",
  "enqueueRequests",
  "popLeased",
  "parseLease",
  "serializeItem",
  "#produce",
  "#flushNow",
  "#flushAcks",
  "sendBatch",
  "sendCommand",
];

/** The area a script URL belongs to. */
export function areaOf(url: string, fn: string): string {
  if (url === "") {
    if (fn === "(garbage collector)") return "GC";
    if (fn === "(program)") return "(program: native, outside JS)";
    if (fn === "(idle)") return "(idle)";
    return `(builtin) ${fn}`;
  }
  const npm = /\/npm\/registry\.npmjs\.org\/([^/]+)\//.exec(url) ??
    /\/node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?([^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) {
    const ext = /^(?:ext:)?([^/]+)/.exec(url)![1];
    return `deno runtime ${ext}`;
  }
  const ours = /\/(components\/[^?#]+|lib\/[^?#]+|test\/[^?#]+)$/.exec(url);
  return ours ? ours[1] : url;
}

/** A profile's totals, in ms of the main JS thread's samples. */
export interface ProfileSummary {
  /** Time the crawl window covers (first to last sample inside the crawler's `#process`). */
  windowMs: number;
  /** Samples in the window that were not idle (JS, GC, runtime work on the main thread). */
  busyMs: number;
  /**
   * Busy time by owner: the area (package or module) of the innermost frame that is neither
   * Deno's runtime nor a builtin, so Buffer/socket work counts for the library that asked.
   */
  owners: [string, number][];
  /** Self time by area, largest first. */
  areas: [string, number][];
  /** Self time by function (`name area:line`), largest first. */
  functions: [string, number][];
  /** Inclusive time of the crawler's steps (synchronous part only), largest first. */
  steps: [string, number][];
}

/**
 * Summarises `text`, the JSON of a `.cpuprofile`, over the crawl window (all samples when
 * there is no crawler `#process` frame in it).
 */
export function summariseProfile(text: string, top = 25): ProfileSummary {
  const profile = JSON.parse(text) as _Profile;
  const byId = new Map<number, _Node>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const stackHas = new Map<number, boolean>();
  const inProcess = (id: number): boolean => {
    let known = stackHas.get(id);
    if (known === undefined) {
      const p = parent.get(id);
      known = byId.get(id)!.callFrame.functionName === "#process" ||
        (p !== undefined && inProcess(p));
      stackHas.set(id, known);
    }
    return known;
  };
  const n = profile.samples.length;
  let first = n, last = -1;
  for (let i = 0; i < n; i++) {
    if (inProcess(profile.samples[i])) {
      if (first === n) first = i;
      last = i;
    }
  }
  if (last < 0) [first, last] = [0, n - 1]; // not a crawler profile: all of it
  const owners = new Map<string, number>();
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const steps = new Map<string, number>();
  const wanted = new Set(STEP_FUNCTIONS);
  const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
  let busy = 0;
  let window = 0;
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i];
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    window += ms;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    busy += ms;
    const area = areaOf(url, functionName);
    add(areas, area, ms);
    add(
      functions,
      `${functionName || "(anonymous)"} ${area}${url ? `:${lineNumber + 1}` : ""}`,
      ms,
    );
    let owner: string | undefined;
    const onStack = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const frame = byId.get(node)!.callFrame;
      if (owner === undefined && frame.url !== "" && !_isRuntime(frame.url)) {
        owner = areaOf(frame.url, frame.functionName);
      }
      const name = frame.functionName;
      if (wanted.has(name) && !onStack.has(name)) {
        onStack.add(name);
        add(steps, name, ms);
      }
    }
    add(owners, owner ?? (area.startsWith("deno runtime") ? `${area} (event loop)` : area), ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    windowMs: window,
    busyMs: busy,
    owners: sorted(owners),
    areas: sorted(areas),
    functions: sorted(functions),
    steps: sorted(steps),
  };
}

function _isRuntime(url: string): boolean {
  return url.startsWith("ext:") || url.startsWith("node:");
}

/**
 * The summary as text: ranked lists with ms, share of busy time and, given the main thread's
 * measured CPU per page, that share in µs of CPU per page (samples are wall-clock: on a busy
 * machine their ms are inflated, their shares much less so).
 */
export function formatSummary(s: ProfileSummary, mainThreadMsPerPage?: number): string {
  const row = ([name, ms]: [string, number]) => {
    const share = ms / s.busyMs;
    return `  ${ms.toFixed(0).padStart(7)} ms ${(100 * share).toFixed(1).padStart(5)} %` +
      (mainThreadMsPerPage
        ? ` ${(1000 * share * mainThreadMsPerPage).toFixed(0).padStart(5)} µs/page`
        : "") +
      `  ${name}`;
  };
  return [
    `crawl window ${(s.windowMs / 1000).toFixed(1)} s, main thread busy in ` +
    `${(s.busyMs / 1000).toFixed(1)} s of the samples`,
    "by owner (innermost library or module on the stack; runtime work counts for its caller):",
    ...s.owners.map(row),
    "by area (self time):",
    ...s.areas.map(row),
    "by function (self time):",
    ...s.functions.map(row),
    "crawler steps (inclusive, synchronous part):",
    ...s.steps.map(row),
  ].join("\n");
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (!path) throw new Error("Cannot summarise: give the path of a .cpuprofile");
  console.log(formatSummary(summariseProfile(await Deno.readTextFile(path), 30)));
}
