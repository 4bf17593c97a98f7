/**
 * A single-node Apache Kafka 3.9 broker in KRaft mode (broker and controller in one JVM) from
 * the Maven Central jars, on loopback ports, tuned for a small machine and quick starts.
 *
 * @module
 */

import { ensureKafkaLibs, javaBin, jvmFlags } from "./maven.ts";
import {
  logContains,
  logSize,
  type ServerProcess,
  startServer,
  waitUntilReady,
} from "./process.ts";

/**
 * Starts Kafka with its client listener on `port` and its controller on `controllerPort`.
 * Calling it again with the same ports and folder after the broker stopped (or was killed)
 * restarts it on its old data: the storage is formatted only once.
 */
export async function startKafka(
  port: number,
  controllerPort: number,
  dir: string,
  opts: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<ServerProcess> {
  const libs = await ensureKafkaLibs(opts.log);
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const props = `${dir}/server.properties`;
  await Deno.writeTextFile(props, serverProperties(port, controllerPort, `${dir}/data`));
  const java = javaBin();
  const classpath = `${libs}/*`;
  // A restart on formatted storage skips the format step (a JVM start of its own).
  const formatted = await Deno.stat(`${dir}/data/meta.properties`).then(() => true, () => false);
  const format = formatted ? null : await new Deno.Command(java, {
    args: [
      ...jvmFlags(256),
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      randomClusterId(),
      "-c",
      props,
      "--ignore-formatted",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (format && !format.success) {
    throw new Error(
      `Cannot start Kafka: formatting its storage failed: ${
        new TextDecoder().decode(format.stderr).trim().split("\n").slice(-3).join(" | ")
      }`,
    );
  }
  const logPath = `${dir}/kafka.log`;
  // A restart appends to the last run's log: only what this run writes counts.
  const logStart = logSize(logPath);
  const proc = await startServer("Kafka", java, [
    ...jvmFlags(512),
    "-cp",
    classpath,
    "kafka.Kafka",
    props,
  ], { logPath });
  // The listener binds before requests are served; this line comes once the broker is running.
  await waitUntilReady(proc, () => logContains(logPath, /Kafka\s*Server.*started/, logStart), {
    timeoutMs: opts.timeoutMs ?? 90_000,
    intervalMs: 100,
  });
  return proc;
}

/** The broker configuration: one node, replication factor 1, fast group joins, small buffers. */
export function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    "controller.listener.names=CONTROLLER",
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=1",
    "default.replication.factor=1",
    "min.insync.replicas=1",
    // One offsets partition instead of 50: the first consumer group would take seconds otherwise.
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=1",
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=true",
    "delete.topic.enable=true",
    "num.network.threads=2",
    "num.io.threads=2",
    "background.threads=2",
    // The default 128 MiB cleaner buffer does not fit a small heap.
    "log.cleaner.dedupe.buffer.size=2097152",
    "",
  ].join("\n");
}

/**
 * A KRaft cluster id: 16 random bytes in unpadded base64url (22 characters). Never one that
 * starts with `-`, which `kafka-storage format -t` would read as an option (1 draw in 64; Kafka's
 * own `Uuid.randomUuid()` avoids them for the same reason).
 */
export function randomClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}
