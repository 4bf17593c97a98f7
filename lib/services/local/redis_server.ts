/**
 * Redis for local runs and tests: Debian's `redis-server`, installed with apt-get when missing
 * (only as root on Debian), started on a loopback port with persistence off — or with the
 * append-only file on, so that a server stopped and started again on the same folder keeps its
 * data (the fault-injection tests restart Redis mid-crawl).
 *
 * @module
 */

import { which } from "./paths.ts";
import {
  logContains,
  logSize,
  type ServerProcess,
  startServer,
  waitUntilReady,
} from "./process.ts";

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

/** Options of {@linkcode startRedis}. */
export interface StartRedisOptions {
  /**
   * How long to wait for "Ready to accept connections".
   * @default {20_000}
   */
  timeoutMs?: number;
  /**
   * Keep an append-only file in `dir` (`appendonly yes`): starting again on the same folder
   * reloads every write the file holds.
   * @default {false}
   */
  appendOnly?: boolean;
  /**
   * When the append-only file is flushed to disk (`appendfsync`): `always` loses nothing even
   * when the server is killed, `everysec` up to a second of writes on a kill (none on a clean
   * stop).
   * @default {"everysec"}
   */
  appendFsync?: "always" | "everysec" | "no";
  /** More `redis-server` arguments (`["--cluster-enabled", "yes", …]`). */
  extraArgs?: readonly string[];
  /**
   * Serve TLS only, on `port` (`--port 0 --tls-port <port>`), with these PEM files; the server
   * asks clients for a certificate signed by `caFile` unless `authClients` is false.
   */
  tls?: { certFile: string; keyFile: string; caFile: string; authClients?: boolean };
  /**
   * ACL users as `ACL SETUSER` rules (`"crawler on >secret ~queue:* +get"`), set at start by
   * `--user` (the `default` user among them replaces the open default).
   */
  users?: readonly string[];
}

/** The port arguments: plain `--port`, or TLS only (`--port 0 --tls-port`) with its files. */
function _portArgs(port: number, tls: StartRedisOptions["tls"]): string[] {
  if (!tls) return ["--port", String(port)];
  return [
    "--port",
    "0",
    "--tls-port",
    String(port),
    "--tls-cert-file",
    tls.certFile,
    "--tls-key-file",
    tls.keyFile,
    "--tls-ca-cert-file",
    tls.caFile,
    "--tls-auth-clients",
    tls.authClients === false ? "no" : "yes",
  ];
}

/**
 * Starts redis-server on `port` with its working folder in `dir`. Calling it again with the same
 * port and folder after the server stopped restarts it (with `appendOnly`, on its old data).
 */
export async function startRedis(
  port: number,
  dir: string,
  opts: StartRedisOptions = {},
): Promise<ServerProcess> {
  const bin = await ensureRedisServer();
  await Deno.mkdir(dir, { recursive: true });
  const logPath = `${dir}/redis.log`;
  // A restart appends to the last run's log: only what this run writes counts.
  const logStart = logSize(logPath);
  const proc = await startServer("Redis", bin, [
    ..._portArgs(port, opts.tls),
    "--bind",
    "127.0.0.1",
    "--daemonize",
    "no",
    "--save",
    "",
    "--appendonly",
    opts.appendOnly ? "yes" : "no",
    "--appendfsync",
    opts.appendFsync ?? "everysec",
    "--dir",
    dir,
    "--logfile",
    "",
    // One argument per word: redis-server joins them into the config line `user <name> <rules…>`.
    ...(opts.users ?? []).flatMap((rule) => ["--user", ...rule.split(/\s+/).filter(Boolean)]),
    ...(opts.extraArgs ?? []),
  ], { logPath });
  await waitUntilReady(proc, () => logContains(logPath, /Ready to accept connections/, logStart), {
    timeoutMs: opts.timeoutMs ?? 20_000,
    intervalMs: 50,
  });
  return proc;
}
