/**
 * Redis for local runs and tests: Debian's `redis-server`, installed with apt-get when missing
 * (only as root on Debian), started on a loopback port with persistence off.
 *
 * @module
 */

import { which } from "./paths.ts";
import { logContains, type ServerProcess, startServer, waitUntilReady } from "./process.ts";

/** Returns the path of `redis-server`, installing Debian's package when possible. */
export async function ensureRedisServer(): Promise<string> {
  const found = which("redis-server");
  if (found) return found;
  const debian = (() => {
    try {
      Deno.statSync("/etc/debian_version");
      return true;
    } catch {
      return false;
    }
  })();
  if (!debian || Deno.uid() !== 0 || !which("apt-get")) {
    throw new Error(
      "Cannot start Redis: redis-server is not installed. Install it (Debian/Ubuntu: " +
        "'sudo apt-get install redis-server', macOS: 'brew install redis') or set REDIS_URL.",
    );
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    new Deno.Command("apt-get", { args: ["install", "-y", "-q", "redis-server"], env })
      .output();
  let result = await install();
  if (!result.success) {
    await new Deno.Command("apt-get", { args: ["update", "-q"], env }).output();
    result = await install();
  }
  const path = which("redis-server");
  if (!result.success || !path) {
    const why = new TextDecoder().decode(result.stderr).trim().split("\n").pop();
    throw new Error(`Cannot start Redis: 'apt-get install redis-server' failed: ${why}`);
  }
  return path;
}

/** Starts redis-server on `port` with its working folder in `dir`. */
export async function startRedis(
  port: number,
  dir: string,
  opts: { timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const bin = await ensureRedisServer();
  await Deno.mkdir(dir, { recursive: true });
  const logPath = `${dir}/redis.log`;
  const proc = await startServer("Redis", bin, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--daemonize",
    "no",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    "",
  ], { logPath });
  await waitUntilReady(proc, () => logContains(logPath, /Ready to accept connections/), {
    timeoutMs: opts.timeoutMs ?? 20_000,
    intervalMs: 50,
  });
  return proc;
}
