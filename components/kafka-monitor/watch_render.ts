/**
 * How `feed --watch` shows a crawl's progress: on a terminal, one status line redrawn in place
 * (a bar, pages done, pending, pages/s, errors); elsewhere (a pipe, a log file, CI) a plain
 * line every few seconds, so logs stay readable. Lines from elsewhere (the cluster's components
 * in `cluster --demo`) go through {@linkcode ProgressDisplay.print}, which clears the status
 * line first and redraws it after, so the two never run into each other.
 *
 * Everything here is text: the caller owns the terminal (`write`) and the clock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressDisplay } from "./watch_render.ts";
 *
 * let out = "";
 * const display = new ProgressDisplay({ tty: false, write: (t) => out += t });
 * display.update({ done: 3, errors: 0, refused: 0, pending: 7, ratePerSec: 1.5 }, 2);
 * assert.equal(out, "[2s] 3 done, 7 pending, 1.5 pages/s, 0 errors\n");
 * ```
 *
 * @module
 */

import type { CrawlProgress as ReadCrawlProgress } from "../../lib/api/progress.ts";

/** A crawl's progress at one moment (lib/api/progress.ts's reading, without its time). */
export type CrawlProgress = Omit<ReadCrawlProgress, "at">;

/** How a watch ended, and the crawl's last counts. */
export interface WatchSummary extends CrawlProgress {
  /** `finished`: nothing pending for the idle time; `interrupted`: Ctrl-C. */
  readonly ending: "finished" | "interrupted";
  /** Seconds watched. */
  readonly seconds: number;
  /** Seconds nothing was pending at the end (the `--idle` time when finished). */
  readonly idleSec: number;
  /** Whether anything of the crawl (pending or done) was ever seen. */
  readonly seenAny: boolean;
}

/** Options of {@linkcode ProgressDisplay}. */
export interface ProgressDisplayOptions {
  /** Redraw one status line in place (a terminal), or print plain lines. */
  tty: boolean;
  /** Writes text as it is (no newline added). */
  write: (text: string) => void;
  /**
   * Seconds between plain lines (the first update always prints one).
   * @default {5}
   */
  plainEverySec?: number;
  /**
   * Terminal width: the status line is cut to fit it.
   * @default {80}
   */
  columns?: number;
  /** Put before each line (e.g. the crawl's id). @default {""} */
  label?: string;
}

/** Clears the current terminal line and returns the cursor to its start. */
const CLEAR_LINE = "\r\x1b[2K";
const BAR_WIDTH = 20;

/** The numbers, in words: `3 done, 7 pending, 1.5 pages/s, 0 errors` (`, 2 refused`). */
export function progressWords(p: CrawlProgress): string {
  return `${p.done} done, ${p.pending} pending, ${formatRate(p.ratePerSec)} pages/s, ` +
    `${p.errors} error${p.errors === 1 ? "" : "s"}${p.refused > 0 ? `, ${p.refused} refused` : ""}`;
}

/** The terminal's status line: `[######--------------] 3 done, … 12s`, cut to `columns`. */
export function statusLine(p: CrawlProgress, seconds: number, columns = 80, label = ""): string {
  const total = p.done + p.pending;
  const filled = total === 0 ? 0 : Math.round((BAR_WIDTH * p.done) / total);
  const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  const line = `${label}${bar} ${progressWords(p)}  ${formatSeconds(seconds)}`;
  // One column short of the width: a full line makes some terminals wrap before `\r`.
  return line.length < columns ? line : line.slice(0, Math.max(0, columns - 1));
}

/** A plain progress line: `[12s] 3 done, 7 pending, 1.5 pages/s, 0 errors`. */
export function plainLine(p: CrawlProgress, seconds: number, label = ""): string {
  return `${label}[${formatSeconds(seconds)}] ${progressWords(p)}`;
}

/** The lines printed at the end of a watch. */
export function summaryLines(s: WatchSummary, crawl: string): string[] {
  const average = s.seconds > 0 ? s.done / s.seconds : 0;
  const head = s.ending === "finished"
    ? `Crawl ${crawl} finished: nothing pending for ${formatSeconds(s.idleSec)}.`
    : `Stopped watching crawl ${crawl} (the crawl goes on in the cluster).`;
  const lines = [
    head,
    `  ${s.done} pages done, ${s.errors} error${s.errors === 1 ? "" : "s"}, ${s.refused} ` +
    `refused, ${s.pending} pending, in ${formatSeconds(s.seconds)} ` +
    `(${formatRate(average)} pages/s on average)`,
  ];
  if (!s.seenAny) {
    lines.push(
      "  Nothing of this crawl was ever queued: is a kafka-monitor running on this Redis, and " +
        "did it accept the request? (see its log)",
    );
  }
  return lines;
}

/** Pages per second with one decimal below 100 (`0.4`, `12.5`, `250`). */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return "0.0";
  return rate < 100 ? rate.toFixed(1) : String(Math.round(rate));
}

/** Whole seconds, minutes past a minute: `7s`, `2m05s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** The status line (TTY) or the plain lines, and other output printed around it. */
export class ProgressDisplay {
  readonly #opts: Required<ProgressDisplayOptions>;
  #status = "";
  #lastPlainAt = -Infinity;

  constructor(opts: ProgressDisplayOptions) {
    this.#opts = { plainEverySec: 5, columns: 80, label: "", ...opts };
  }

  /** Whether the status line is redrawn in place. */
  get tty(): boolean {
    return this.#opts.tty;
  }

  /** Shows `p` at `seconds` into the watch (a plain line only every `plainEverySec`). */
  update(p: CrawlProgress, seconds: number): void {
    const { tty, write, columns, label, plainEverySec } = this.#opts;
    if (tty) {
      this.#status = statusLine(p, seconds, columns, label);
      write(CLEAR_LINE + this.#status);
    } else if (seconds - this.#lastPlainAt >= plainEverySec) {
      this.#lastPlainAt = seconds;
      write(plainLine(p, seconds, label) + "\n");
    }
  }

  /** Prints a whole line above the status line (which is redrawn after it). */
  print(line: string): void {
    const { tty, write } = this.#opts;
    if (tty && this.#status) write(`${CLEAR_LINE}${line}\n${this.#status}`);
    else write(line + "\n");
  }

  /** Ends the status line (it stays on screen); later output starts on a line of its own. */
  end(): void {
    if (this.#opts.tty && this.#status) this.#opts.write("\n");
    this.#status = "";
  }
}
