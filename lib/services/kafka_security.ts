/**
 * How a kafkajs client reaches secured brokers: the TLS and SASL part of its configuration,
 * built from the `KAFKA_SSL*` and `KAFKA_SASL_*` settings, and a clear line for the failures
 * those settings cause (wrong credentials, an unknown CA, a listener that expects TLS or SASL)
 * instead of a kafkajs error name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kafkaSecurityConfig } from "./kafka_security.ts";
 *
 * assert.deepEqual(kafkaSecurityConfig({ KAFKA_HOSTS: "k:9092" }), {});
 * const config = kafkaSecurityConfig({
 *   KAFKA_HOSTS: "k:9093",
 *   KAFKA_SASL_MECHANISM: "scram-sha-512",
 *   KAFKA_SASL_USERNAME: "crawler",
 *   KAFKA_SASL_PASSWORD: "s3cret",
 * });
 * assert.deepEqual(config.sasl, {
 *   mechanism: "scram-sha-512",
 *   username: "crawler",
 *   password: "s3cret",
 * });
 * ```
 *
 * @module
 */

import type { KafkaConfig, SASLOptions } from "kafkajs";

/** How to reach the brokers: `KAFKA_HOSTS` and the optional TLS and SASL settings. */
export interface KafkaConnection {
  readonly KAFKA_HOSTS: string;
  readonly KAFKA_SSL?: boolean;
  readonly KAFKA_SSL_CA?: string | null;
  readonly KAFKA_SSL_CERT?: string | null;
  readonly KAFKA_SSL_KEY?: string | null;
  readonly KAFKA_SASL_MECHANISM?: "none" | "plain" | "scram-sha-512";
  readonly KAFKA_SASL_USERNAME?: string | null;
  readonly KAFKA_SASL_PASSWORD?: string | null;
}

/** A plain broker list, or the settings; a string means no TLS and no SASL. */
export type KafkaTarget = string | KafkaConnection;

/** The connection settings of `target`. */
export function kafkaConnection(target: KafkaTarget): KafkaConnection {
  return typeof target === "string" ? { KAFKA_HOSTS: target } : target;
}

/** Raised for settings that cannot work together (before any connection is tried). */
export class KafkaSecuritySettingsError extends Error {
  constructor(message: string) {
    super(`Cannot start: ${message}`);
    this.name = "KafkaSecuritySettingsError";
  }
}

/** The `ssl` and `sasl` options of a kafkajs client; empty for a plain connection. */
export function kafkaSecurityConfig(conn: KafkaConnection): Pick<KafkaConfig, "ssl" | "sasl"> {
  const config: Pick<KafkaConfig, "ssl" | "sasl"> = {};
  const ca = conn.KAFKA_SSL_CA || null;
  const cert = conn.KAFKA_SSL_CERT || null;
  const key = conn.KAFKA_SSL_KEY || null;
  if ((cert === null) !== (key === null)) {
    throw new KafkaSecuritySettingsError(
      "KAFKA_SSL_CERT and KAFKA_SSL_KEY go together (a client certificate needs its key)",
    );
  }
  if (conn.KAFKA_SSL || ca !== null || cert !== null) {
    // Without a CA file the runtime's trusted roots apply (a public CA).
    config.ssl = {
      ...(ca === null ? {} : { ca: [readPem("KAFKA_SSL_CA", ca)] }),
      ...(cert === null ? {} : { cert: readPem("KAFKA_SSL_CERT", cert) }),
      ...(key === null ? {} : { key: readPem("KAFKA_SSL_KEY", key) }),
    };
  }
  const mechanism = conn.KAFKA_SASL_MECHANISM ?? "none";
  const username = conn.KAFKA_SASL_USERNAME ?? null;
  const password = conn.KAFKA_SASL_PASSWORD ?? null;
  if (mechanism === "none") {
    // Credentials without a mechanism would be silently ignored: the operator meant SASL.
    if (username !== null || password !== null) {
      throw new KafkaSecuritySettingsError(
        "KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is none " +
          "(set it to plain or scram-sha-512)",
      );
    }
    return config;
  }
  if (username === null || password === null) {
    throw new KafkaSecuritySettingsError(
      `KAFKA_SASL_MECHANISM is ${mechanism}: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  }
  config.sasl = { mechanism, username, password } as SASLOptions;
  return config;
}

function readPem(setting: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    throw new KafkaSecuritySettingsError(
      `cannot read ${setting} file ${path}: ${(err as Error).message}`,
    );
  }
}

/**
 * The reason a connection to secured (or plain) brokers failed, as one line that names the
 * settings to look at.
 */
export function explainKafkaError(err: unknown, conn: KafkaConnection): string {
  const name = (err as Error | undefined)?.name ?? "";
  const message = err instanceof Error ? err.message : String(err);
  const mechanism = conn.KAFKA_SASL_MECHANISM ?? "none";
  if (name === "KafkaJSSASLAuthenticationError" || /SASL .*authentication failed/i.test(message)) {
    return `SASL authentication refused (${mechanism}, user '${conn.KAFKA_SASL_USERNAME ?? ""}'):` +
      ` check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${message})`;
  }
  if (/certificate|self[- ]signed|unknown ca|handshake|\bssl\b|\btls\b/i.test(message)) {
    return `TLS failed: ${message} (check KAFKA_SSL_CA, KAFKA_SSL_CERT and KAFKA_SSL_KEY)`;
  }
  if (/closed connection|connection closed|ECONNRESET/i.test(message)) {
    const using = [
      conn.KAFKA_SSL || conn.KAFKA_SSL_CA || conn.KAFKA_SSL_CERT ? "TLS" : "no TLS",
      mechanism === "none" ? "no SASL" : `SASL ${mechanism}`,
    ].join(", ");
    return `${message}: the broker hung up (${using}); does this listener expect another ` +
      "protocol? (KAFKA_SSL, KAFKA_SASL_MECHANISM)";
  }
  return message;
}
