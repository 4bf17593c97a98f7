/**
 * Progress of a migration: on a terminal, one bar redrawn in place (queues done / total,
 * requests moved, rate); elsewhere (a log file, CI, a pipe), a plain line at most once a
 * second and one at the end of each phase, so logs stay readable.
 *
 * @module
 */

/** Where progress goes and how it looks. */
export interface ProgressOptions {
  /** Whether the output is a terminal (a bar) or not (plain lines). */
  tty: boolean;
  /** Writes text as it is (no newline added). */
  write: (text: string) => void;
  /** Milliseconds clock (tests). @default Date.now */
  now?: () => number;
  /** Bar width in characters. @default 30 */
  width?: number;
}

/** Counts queues and requests of one phase, and shows them. */
export class Progress {
  #phase = "";
  #total = 0;
  #queues = 0;
  #requests = 0;
  #startedAt = 0;
  #shownAt = 0;
  #barShown = false;
  readonly #now: () => number;

  constructor(readonly opts: ProgressOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** The progress on stderr: a bar when it is a terminal. */
  static onStderr(): Progress {
    const encoder = new TextEncoder();
    return new Progress({
      tty: Deno.stderr.isTerminal(),
      write: (text) => {
        let bytes = encoder.encode(text);
        while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
      },
    });
  }

  /** Starts a phase of `total` queues (0 when unknown). */
  start(phase: string, total: number): void {
    this.#phase = phase;
    this.#total = total;
    this.#queues = 0;
    this.#requests = 0;
    this.#startedAt = this.#shownAt = this.#now();
    this.#show(true);
  }

  /** One queue done, with the requests it moved (or rescored). */
  queueDone(requests: number): void {
    this.#queues++;
    this.#requests += requests;
    this.#show(false);
  }

  /** A line of its own (the bar is redrawn under it). */
  note(line: string): void {
    this.#clearBar();
    this.opts.write(line + "\n");
    if (this.#phase !== "" && this.opts.tty) this.#show(true);
  }

  /** Ends the phase: its last state stays on screen. */
  finish(): void {
    if (this.#phase === "") return;
    this.#show(true);
    if (this.opts.tty) this.opts.write("\n");
    this.#barShown = false;
    this.#phase = "";
  }

  /** Requests per second since the phase started. */
  rate(): number {
    const seconds = (this.#now() - this.#startedAt) / 1000;
    return seconds > 0 ? this.#requests / seconds : 0;
  }

  /** The text of the current state (without bar). */
  status(): string {
    const total = this.#total > 0 ? `/${this.#total}` : "";
    return `${this.#phase}: ${this.#queues}${total} queues, ${this.#requests} requests, ` +
      `${Math.round(this.rate())} requests/s`;
  }

  #show(force: boolean): void {
    const now = this.#now();
    if (this.opts.tty) {
      // Redraw at most 10 times a second: a terminal is slower than Redis.
      if (!force && now - this.#shownAt < 100) return;
      this.#shownAt = now;
      this.opts.write(`\r\x1b[2K${this.#bar()} ${this.status()}`);
      this.#barShown = true;
      return;
    }
    if (!force && now - this.#shownAt < 1000) return;
    this.#shownAt = now;
    this.opts.write(this.status() + "\n");
  }

  #bar(): string {
    const width = this.opts.width ?? 30;
    const share = this.#total > 0 ? Math.min(1, this.#queues / this.#total) : 0;
    const full = Math.round(share * width);
    return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
  }

  #clearBar(): void {
    if (this.#barShown) this.opts.write("\r\x1b[2K");
    this.#barShown = false;
  }
}
