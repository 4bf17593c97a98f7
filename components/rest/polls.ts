/**
 * Answers kept for `POST /poll` at `rest:poll:<uuid>`: written by whichever rest instance
 * consumed an answer nobody waited for, taken (GET and DEL in one GETDEL, Redis ≥ 6.2) by the
 * instance that is asked for it. With `POLL_TTL` they expire; Scrapy Cluster kept them forever.
 *
 * @module
 */

import { type RedisClient, redisReady } from "../../lib/services/redis.ts";

/** An answer kept for `POST /poll`. */
export function restPollKey(uuid: string): string {
  return `rest:poll:${uuid}`;
}

/** Where `/poll` finds late answers. */
export interface PollStore {
  /** Whether Redis is reachable now (health, and `/poll` fails fast when not). */
  readonly connected: boolean;
  /** The stored answer (JSON text), removed in the same step; null when there is none. */
  take(pollId: string): Promise<string | null>;
}

/** A {@linkcode PollStore} on Redis that also stores answers. */
export class RedisPolls implements PollStore {
  /**
   * @param redis the client (ioredis reconnects by itself)
   * @param ttlSec seconds a stored answer lives; 0 keeps it forever
   */
  constructor(readonly redis: RedisClient, readonly ttlSec: number) {}

  get connected(): boolean {
    return redisReady(this.redis);
  }

  take(pollId: string): Promise<string | null> {
    return this.redis.getdel(restPollKey(pollId));
  }

  /**
   * Stores an answer. While Redis is away it rejects at once (no offline queue, see
   * `lib/services/redis.ts`); the answer consumer retries it before committing the answer's
   * offset, so nothing is lost.
   */
  async put(uuid: string, answerJson: string): Promise<void> {
    if (this.ttlSec > 0) await this.redis.set(restPollKey(uuid), answerJson, "EX", this.ttlSec);
    else await this.redis.set(restPollKey(uuid), answerJson);
  }
}
