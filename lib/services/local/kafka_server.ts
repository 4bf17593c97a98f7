/**
 * A single-node Apache Kafka 3.9 broker in KRaft mode (broker and controller in one JVM) from
 * the Maven Central jars, on loopback ports, tuned for a small machine and quick starts.
 * Optionally secured ({@linkcode KafkaSecurityOptions}): extra SASL_PLAINTEXT, SASL_SSL and
 * SSL listeners beside the PLAINTEXT one (which stays, for the broker's own traffic), with
 * PLAIN users from a JAAS line and SCRAM-SHA-512 users written by the storage format
 * (`--add-scram`), and TLS from PEM files (`ssl.keystore.type=PEM`).
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

/** Secured listeners of a local broker; each port given adds one. */
export interface KafkaSecurityOptions {
  /** A SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-512). */
  saslPort?: number;
  /** A SASL_SSL listener (TLS, then PLAIN or SCRAM-SHA-512); needs `tls`. */
  saslSslPort?: number;
  /** An SSL listener that requires a client certificate signed by `tls.caFile`; needs `tls`. */
  sslPort?: number;
  /**
   * SASL users, name → password, known to both mechanisms (letters, digits, `_.-` only: they
   * go into a JAAS line and a `--add-scram` argument).
   */
  users?: Record<string, string>;
  /** The broker's PEM files: its key and certificate chain in one file, and the CA. */
  tls?: { keystoreFile: string; caFile: string };
}

/**
 * Starts Kafka with its client listener on `port` and its controller on `controllerPort`
 * (plus the secured listeners of `opts.security`). Calling it again with the same ports and
 * folder after the broker stopped (or was killed) restarts it on its old data: the storage is
 * formatted only once.
 */
export async function startKafka(
  port: number,
  controllerPort: number,
  dir: string,
  opts: { timeoutMs?: number; log?: (line: string) => void; security?: KafkaSecurityOptions } = {},
): Promise<ServerProcess> {
  const libs = await ensureKafkaLibs(opts.log);
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const props = `${dir}/server.properties`;
  await Deno.writeTextFile(
    props,
    serverProperties(port, controllerPort, `${dir}/data`, opts.security),
  );
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
      // SCRAM credentials live in the cluster metadata: KRaft takes them at format time.
      ...scramArguments(opts.security),
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

/**
 * The broker configuration: one node, replication factor 1, fast group joins, small buffers;
 * with `security`, its secured listeners.
 */
export function serverProperties(
  port: number,
  controllerPort: number,
  dataDir: string,
  security: KafkaSecurityOptions = {},
): string {
  const clientListeners = [
    `PLAINTEXT://127.0.0.1:${port}`,
    ...(security.saslPort ? [`SASL_PLAINTEXT://127.0.0.1:${security.saslPort}`] : []),
    ...(security.saslSslPort ? [`SASL_SSL://127.0.0.1:${security.saslSslPort}`] : []),
    ...(security.sslPort ? [`SSL://127.0.0.1:${security.sslPort}`] : []),
  ];
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    "controller.listener.names=CONTROLLER",
    `listeners=${[...clientListeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(",")}`,
    `advertised.listeners=${clientListeners.join(",")}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT," +
    "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL",
    // The broker's own traffic stays on PLAINTEXT: no credentials of its own to manage.
    "inter.broker.listener.name=PLAINTEXT",
    ...securityProperties(security),
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

/** The SASL and TLS lines of the secured listeners. */
function securityProperties(security: KafkaSecurityOptions): string[] {
  const lines: string[] = [];
  const users = Object.entries(security.users ?? {});
  for (const [name, password] of users) checkCredential(name, password);
  const sasl = [
    ...(security.saslPort ? ["sasl_plaintext"] : []),
    ...(security.saslSslPort ? ["sasl_ssl"] : []),
  ];
  if (sasl.length > 0) lines.push("sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512");
  const plainUsers = users.map(([name, password]) => ` user_${name}="${password}"`).join("");
  for (const listener of sasl) {
    lines.push(
      `listener.name.${listener}.plain.sasl.jaas.config=` +
        `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
      // SCRAM users are in the metadata (scramArguments); the module needs no options.
      `listener.name.${listener}.scram-sha-512.sasl.jaas.config=` +
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    );
  }
  if (security.saslSslPort || security.sslPort) {
    if (!security.tls) throw new Error("Cannot start Kafka: a TLS listener needs tls files");
    lines.push(
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${security.tls.keystoreFile}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${security.tls.caFile}`,
    );
  }
  if (security.sslPort) lines.push("listener.name.ssl.ssl.client.auth=required");
  return lines;
}

/** `--add-scram` arguments of the storage format: one SCRAM-SHA-512 credential per user. */
function scramArguments(security: KafkaSecurityOptions | undefined): string[] {
  if (!security?.saslPort && !security?.saslSslPort) return [];
  return Object.entries(security.users ?? {}).flatMap(([name, password]) => {
    checkCredential(name, password);
    return ["--add-scram", `SCRAM-SHA-512=[name=${name},password=${password}]`];
  });
}

function checkCredential(name: string, password: string): void {
  const safe = /^[A-Za-z0-9_.-]+$/;
  if (!safe.test(name) || !safe.test(password)) {
    throw new Error(
      `Cannot start Kafka: SASL user '${name}': names and passwords may hold only ` +
        "letters, digits and _.- here",
    );
  }
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
