/**
 * Download timeouts on one shared interval timer (see {@linkcode watchDeadline}).
 *
 * @module
 */

/** A download's timeout: `fire` runs once `performance.now()` passes `at`. */
export interface Deadline {
  at: number;
  fire(): void;
}

/**
 * Timeouts share one interval timer while downloads are in flight instead of a timer each
 * (a setTimeout/clearTimeout pair costs more than the rest of the bookkeeping); they fire
 * up to {@linkcode _TICK_MS} late.
 */
const _TICK_MS = 10;
const _deadlines = new Set<Deadline>();
let _ticker: ReturnType<typeof setInterval> | undefined;

export function watchDeadline(deadline: Deadline): void {
  _deadlines.add(deadline);
  _ticker ??= setInterval(_tick, _TICK_MS);
}

export function unwatchDeadline(deadline: Deadline): void {
  _deadlines.delete(deadline);
  if (_deadlines.size === 0 && _ticker !== undefined) {
    clearInterval(_ticker);
    _ticker = undefined;
  }
}

function _tick(): void {
  const now = performance.now();
  for (const deadline of _deadlines) {
    if (deadline.at <= now) {
      _deadlines.delete(deadline);
      deadline.fire();
    }
  }
}
