/**
 * Which offset of each partition may be committed: a message counts as done once every hook it
 * matched has it delivered (a 2xx) or parked in Redis; the committable offset is one past the
 * last message before the first one not done. Messages are tracked in the order Kafka gives
 * them (increasing offsets per partition).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OffsetTracker } from "./offsets.ts";
 *
 * const t = new OffsetTracker();
 * const first = t.track(0, "5", 2);
 * const second = t.track(0, "6", 1);
 * second();
 * assert.equal(t.committable(0), null); // 5 still waits for both hooks
 * first();
 * first();
 * assert.equal(t.committable(0), "7");
 * assert.equal(t.committable(0), null); // nothing new since
 * ```
 *
 * @module
 */

interface Pending {
  readonly offset: bigint;
  remaining: number;
}

interface PartitionState {
  readonly queue: Pending[];
  /** Index of the first entry not yet popped (the queue is compacted now and then). */
  head: number;
  /** Next offset to commit that was not returned yet. */
  ready: bigint | null;
}

/** Tracks the messages of each partition until every hook is done with them. */
export class OffsetTracker {
  readonly #partitions = new Map<number, PartitionState>();

  /**
   * Tracks a message that `hooks` deliveries must finish; returns the callback each calls
   * once (extra calls are ignored). A message with no hook is done at once.
   */
  track(partition: number, offset: string, hooks: number): () => void {
    let state = this.#partitions.get(partition);
    if (!state) {
      state = { queue: [], head: 0, ready: null };
      this.#partitions.set(partition, state);
    }
    const entry: Pending = { offset: BigInt(offset), remaining: hooks };
    state.queue.push(entry);
    this.#advance(state);
    let left = hooks;
    return () => {
      if (left <= 0) return;
      left--;
      entry.remaining--;
      this.#advance(state);
    };
  }

  /** The offset to commit for `partition` (one past the last done message), if it moved. */
  committable(partition: number): string | null {
    const state = this.#partitions.get(partition);
    if (!state || state.ready === null) return null;
    const ready = state.ready;
    state.ready = null;
    return String(ready);
  }

  /** The partitions tracked. */
  partitions(): number[] {
    return [...this.#partitions.keys()];
  }

  /** Messages not done yet, over every partition. */
  pending(): number {
    let n = 0;
    for (const s of this.#partitions.values()) n += s.queue.length - s.head;
    return n;
  }

  /** Forgets everything (a new group generation: partitions may have moved). */
  reset(): void {
    this.#partitions.clear();
  }

  #advance(state: PartitionState): void {
    while (state.head < state.queue.length && state.queue[state.head].remaining <= 0) {
      state.ready = state.queue[state.head].offset + 1n;
      state.head++;
    }
    if (state.head > 1024 && state.head * 2 > state.queue.length) {
      state.queue.splice(0, state.head);
      state.head = 0;
    }
  }
}
