/**
 * A standalone ZooKeeper 3.8 server from the Kafka 3.9 jars, on a loopback port.
 *
 * @module
 */

import { ensureKafkaLibs, javaBin, jvmFlags } from "./maven.ts";
import { type ServerProcess, startServer, waitUntilReady } from "./process.ts";

/** Starts ZooKeeper on `port` with its data in `dir`. */
export async function startZookeeper(
  port: number,
  dir: string,
  opts: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<ServerProcess> {
  const libs = await ensureKafkaLibs(opts.log);
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const cfg = `${dir}/zoo.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "tickTime=2000",
      `dataDir=${dir}/data`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=ruok,srvr,stat,mntr",
      "",
    ].join("\n"),
  );
  const proc = await startServer("ZooKeeper", javaBin(), [
    ...jvmFlags(128),
    "-cp",
    `${libs}/*`,
    "org.apache.zookeeper.server.ZooKeeperServerMain",
    cfg,
  ], { logPath: `${dir}/zookeeper.log` });
  await waitUntilReady(proc, () => fourLetterWord(port, "ruok").then((r) => r === "imok"), {
    timeoutMs: opts.timeoutMs ?? 60_000,
    intervalMs: 100,
  });
  return proc;
}

/** Sends a ZooKeeper four-letter command and returns the answer; bounded by a 2 s timer. */
export async function fourLetterWord(port: number, word: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // A probe that connects while the server starts can hang forever: always bound it.
  const timer = setTimeout(() => conn.close(), 2_000);
  try {
    await conn.write(new TextEncoder().encode(word));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))).trim();
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}
