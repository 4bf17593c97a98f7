/**
 * Fetches the Apache Kafka 3.9 broker jars (which include the ZooKeeper 3.8 server) from Maven
 * Central once, into the cache folder, keyed by a hash of `kafka-pom.xml`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { cacheDir, which } from "./paths.ts";

const POM_URL = new URL("./kafka-pom.xml", import.meta.url);
const DEPENDENCY_PLUGIN =
  "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies";

let pending: Promise<string> | null = null;

/** Returns the folder holding the broker's jars (for `java -cp "<dir>/*"`); fetches once. */
export function ensureKafkaLibs(log: (line: string) => void = () => {}): Promise<string> {
  // Kafka and ZooKeeper start in parallel and both need the jars: share one fetch.
  pending ??= fetchKafkaLibs(log).catch((err) => {
    pending = null;
    throw err;
  });
  return pending;
}

async function fetchKafkaLibs(log: (line: string) => void): Promise<string> {
  const pom = await Deno.readTextFile(POM_URL);
  const key = createHash("sha256").update(pom).digest("hex").slice(0, 12);
  const libs = `${cacheDir()}/kafka-libs-${key}`;
  try {
    await Deno.stat(`${libs}/.complete`);
    return libs;
  } catch { /* not fetched yet */ }
  const mvn = which("mvn");
  if (!mvn) {
    throw new Error(
      "Cannot fetch Kafka: Maven ('mvn') is not installed. Install it " +
        "('sudo apt-get install maven') or set KAFKA_HOSTS and ZOOKEEPER_HOSTS.",
    );
  }
  log(`fetching the Kafka 3.9 jars from Maven Central into ${libs} (once)`);
  const staging = `${libs}.tmp-${Deno.pid}`;
  await Deno.mkdir(staging, { recursive: true });
  const pomPath = `${staging}/pom.xml`;
  await Deno.writeTextFile(pomPath, pom);
  const out = await new Deno.Command(mvn, {
    args: [
      "-B",
      "-q",
      "-f",
      pomPath,
      DEPENDENCY_PLUGIN,
      "-DincludeScope=runtime",
      `-DoutputDirectory=${staging}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    const last = text.trim().split("\n").filter((l) => l.includes("ERROR")).slice(0, 3).join(" | ");
    throw new Error(`Cannot fetch Kafka: Maven failed: ${last || text.slice(-400)}`);
  }
  await Deno.remove(pomPath);
  await Deno.writeTextFile(`${staging}/.complete`, new Date().toISOString());
  // A concurrent run may have finished first; either copy is complete.
  await Deno.rename(staging, libs).catch(() => Deno.remove(staging, { recursive: true }));
  return libs;
}

/** The `java` to run servers with: `$JAVA_HOME/bin/java`, else the one on PATH. */
export function javaBin(): string {
  const home = Deno.env.get("JAVA_HOME");
  const fromHome = home ? which(`${home}/bin/java`) : null;
  const java = fromHome ?? which("java");
  if (!java) {
    throw new Error(
      "Cannot start Kafka/ZooKeeper: Java is not installed (Java 17 is needed: " +
        "'sudo apt-get install openjdk-17-jre-headless'), or set KAFKA_HOSTS and ZOOKEEPER_HOSTS.",
    );
  }
  return java;
}

/** Small-heap, quick-start JVM flags shared by the Kafka and ZooKeeper servers. */
export function jvmFlags(heapMb: number): string[] {
  return [
    `-Xms${Math.min(heapMb, 128)}m`,
    `-Xmx${heapMb}m`,
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=${new URL("./log4j.properties", import.meta.url).href}`,
  ];
}
