/**
 * A local server that can be taken down and brought back on the same port and data folder, for
 * fault-injection tests: stopped cleanly (SIGTERM) or killed (SIGKILL), then started again by
 * the same start function (`startRedis` with `appendOnly`, `startKafka` and `startZookeeper` all
 * restart on their old data when called again with the same port and folder).
 *
 * @example
 * ```ts ignore
 * import { startRestartable } from "./restartable.ts";
 * import { startRedis } from "./redis_server.ts";
 *
 * const redis = await startRestartable(() => startRedis(6390, "/tmp/r", { appendOnly: true }));
 * const { downMs } = await redis.restart({ kill: false, downMs: 5_000 });
 * await redis.stop();
 * ```
 *
 * @module
 */

import { sleep } from "../../async/sleep.ts";
import type { ServerProcess } from "./process.ts";

/** Options of {@linkcode RestartableServer.restart}. */
export interface RestartOptions {
  /**
   * SIGKILL (a crash) instead of SIGTERM (a clean shutdown).
   * @default {false}
   */
  kill?: boolean;
  /**
   * How long the server stays down before it starts again, from the moment it is gone.
   * @default {0}
   */
  downMs?: number;
  /** Cuts the down time short (the server still starts again). */
  signal?: AbortSignal;
}

/** When a restart took the server down and when it was serving again (ms since the epoch). */
export interface RestartTimes {
  /** When the server was asked to go (signal sent). */
  downAt: number;
  /** When the server was serving again (its readiness check passed). */
  upAt: number;
  /** `upAt - downAt`. */
  downMs: number;
}

/** A server that can be stopped, killed and started again on the same port and data. */
export interface RestartableServer {
  /** The running process; null while the server is down. */
  readonly process: ServerProcess | null;
  /** Starts the server (again); resolves once it is ready. No-op while it runs. */
  start(): Promise<ServerProcess>;
  /** SIGTERM (then SIGKILL after `graceMs`) and leaves it down. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL and leaves it down. */
  kill(): Promise<void>;
  /** Takes the server down, waits `downMs`, starts it again. */
  restart(opts?: RestartOptions): Promise<RestartTimes>;
}

/**
 * Starts a server with `start` and returns a handle that can restart it with the same call.
 * `start` must reuse its port and data folder.
 */
export async function startRestartable(
  start: () => Promise<ServerProcess>,
): Promise<RestartableServer> {
  let current: ServerProcess | null = await start();
  const server: RestartableServer = {
    get process() {
      return current;
    },
    async start() {
      if (current) return current;
      current = await start();
      return current;
    },
    async stop(graceMs) {
      const proc = current;
      current = null;
      await proc?.stop(graceMs);
    },
    async kill() {
      const proc = current;
      current = null;
      await proc?.kill();
    },
    async restart(opts = {}) {
      const downAt = Date.now();
      if (opts.kill) await server.kill();
      else await server.stop();
      const wait = (opts.downMs ?? 0) - (Date.now() - downAt);
      if (wait > 0) await sleep(wait, opts.signal);
      await server.start();
      const upAt = Date.now();
      return { downAt, upAt, downMs: upAt - downAt };
    },
  };
  return server;
}
