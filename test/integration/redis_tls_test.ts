/**
 * Redis over TLS against a real redis-server serving TLS only (`--port 0 --tls-port`), with
 * certificates made by `openssl` for the test: `rediss://` plus the right CA and a client
 * certificate connects; a wrong CA, a missing client a missing file fails at once with one line that
 * names TLS (or the setting). A cluster client carries the same TLS options to
 * every node.
 */
import assert from "node:assert/strict";
import {
  closeRedis,
  connectRedis,
  createRedis,
  redisOptions,
  type RedisSettings,
} from "../../lib/services/mod.ts";
import { clusterOptions } from "../../lib/services/redis_cluster.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { makeTestCertificates, type TestCertificates } from "../tls_certs.ts";

function settings(port: number, extra: Partial<RedisSettings> = {}): RedisSettings {
  return {
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: port,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: `rediss://127.0.0.1:${port}/0`,
    REDIS_SOCKET_TIMEOUT: 5,
    ...extra,
  };
}

async function withTlsRedis(
  fn: (port: number, certs: TestCertificates) => Promise<void>,
): Promise<void> {
  const certs = await makeTestCertificates();
  const port = await freePort();
  const proc = await startRedis(port, `${certs.dir}/redis`, {
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert },
  });
  try {
    await fn(port, certs);
  } finally {
    await proc.stop();
    await certs.cleanup();
  }
}

/** The one-line message connectRedis fails with. */
async function connectError(s: RedisSettings): Promise<string> {
  const err = await connectRedis(s, "tls-test").then(
    async (client) => {
      await closeRedis(client);
      return null;
    },
    (e: Error) => e,
  );
  assert.ok(err, "the connection was refused");
  return err.message;
}

Deno.test("Redis TLS: rediss:// with the right CA and a client certificate works", async () => {
  await withTlsRedis(async (port, certs) => {
    const client = await connectRedis(
      settings(port, {
        REDIS_TLS_CA: certs.caCert,
        REDIS_TLS_CERT: certs.clientCert,
        REDIS_TLS_KEY: certs.clientKey,
      }),
      "tls-test",
    );
    try {
      await client.set("tls:probe", "over tls");
      assert.equal(await client.get("tls:probe"), "over tls");
    } finally {
      await closeRedis(client);
    }
  });
});

Deno.test("Redis TLS: the CA alone turns TLS on (plain redis:// URL)", async () => {
  await withTlsRedis(async (port, certs) => {
    const client = await connectRedis(
      settings(port, {
        REDIS_URL: `redis://127.0.0.1:${port}/0`,
        REDIS_TLS_CA: certs.caCert,
        REDIS_TLS_CERT: certs.clientCert,
        REDIS_TLS_KEY: certs.clientKey,
      }),
      "tls-test",
    );
    try {
      assert.equal(await client.ping(), "PONG");
    } finally {
      await closeRedis(client);
    }
  });
});

Deno.test("Redis TLS: a wrong CA fails early with one line naming TLS", async () => {
  await withTlsRedis(async (port, certs) => {
    const started = performance.now();
    const message = await connectError(settings(port, {
      REDIS_TLS_CA: certs.otherCaCert,
      REDIS_TLS_CERT: certs.clientCert,
      REDIS_TLS_KEY: certs.clientKey,
      REDIS_SOCKET_TIMEOUT: 30,
    }));
    assert.match(
      message,
      new RegExp(`^Cannot connect to Redis at 127\\.0\\.0\\.1:${port}/0 over TLS: `),
    );
    assert.match(message, /over TLS: TLS: .*certificate/, message);
    assert.doesNotMatch(message, /\n/);
    // Early: the first refused handshake ends it, not the 30 s timeout.
    assert.ok(performance.now() - started < 30_000, `took ${performance.now() - started} ms`);
  });
});

Deno.test("Redis TLS: a missing PEM file stops at start with one line naming the setting", () => {
  const s = settings(6379, { REDIS_TLS_CA: "/nonexistent/ca.pem" });
  assert.throws(
    () => createRedis(s, "tls-test"),
    /^Error: Cannot read REDIS_TLS_CA '\/nonexistent\/ca\.pem': /,
  );
  assert.throws(
    () => createRedis(settings(6379, { REDIS_TLS_CERT: "/x.pem" }), "tls-test"),
    /Cannot use REDIS_TLS_CERT without REDIS_TLS_KEY/,
  );
});

Deno.test("Redis TLS: a cluster client gives every node the CA, certificate and key", async () => {
  const certs = await makeTestCertificates();
  try {
    const s = settings(7000, {
      REDIS_TLS_CA: certs.caCert,
      REDIS_TLS_CERT: certs.clientCert,
      REDIS_TLS_KEY: certs.clientKey,
    });
    const node = clusterOptions(redisOptions(s, "tls-test"), s.REDIS_URL).redisOptions;
    assert.equal(node?.tls?.ca, await Deno.readTextFile(certs.caCert));
    assert.equal(node?.tls?.cert, await Deno.readTextFile(certs.clientCert));
    assert.equal(node?.tls?.key, await Deno.readTextFile(certs.clientKey));
  } finally {
    await certs.cleanup();
  }
});
