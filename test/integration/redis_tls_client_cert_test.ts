/**
 * A redis-server that demands a client certificate (`tls-auth-clients yes`) met by a client
 * without one: the server resets the connection during ioredis's handshake, whose write then
 * fails with EPIPE — a second socket error that ioredis does not listen to, which crashed the
 * process ("Uncaught Error: write EPIPE") until `createRedis` kept a listener on every socket.
 * Now `connectRedis` fails with one line, every time, and nothing is left to crash later.
 */
import assert from "node:assert/strict";
import { closeRedis, connectRedis, type RedisSettings } from "../../lib/services/mod.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { makeTestCertificates } from "../tls_certs.ts";

Deno.test("Redis TLS: no client certificate for a server that demands one fails in one line", async () => {
  const certs = await makeTestCertificates();
  const port = await freePort();
  const proc = await startRedis(port, `${certs.dir}/redis`, {
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert },
  });
  const settings = (extra: Partial<RedisSettings> = {}): RedisSettings => ({
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: port,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: `rediss://127.0.0.1:${port}/0`,
    REDIS_SOCKET_TIMEOUT: 10,
    REDIS_TLS_CA: certs.caCert,
    ...extra,
  });
  try {
    // Several attempts: the crash came from a late socket error, not from every attempt.
    for (let i = 0; i < 5; i++) {
      const err = await connectRedis(settings(), "tls-no-cert").then(
        async (client) => {
          await closeRedis(client);
          return null;
        },
        (e: Error) => e,
      );
      assert.ok(err instanceof Error, "the server refused the client");
      assert.match(
        err.message,
        new RegExp(
          `^Cannot connect to Redis at 127\\.0\\.0\\.1:${port}/0 over TLS: TLS: .*REDIS_TLS_CERT`,
        ),
      );
      assert.doesNotMatch(err.message, /\n/);
    }
    // With the certificate the same server answers (the refusal above was about it).
    const client = await connectRedis(
      settings({ REDIS_TLS_CERT: certs.clientCert, REDIS_TLS_KEY: certs.clientKey }),
      "tls-cert",
    );
    assert.equal(await client.ping(), "PONG");
    await closeRedis(client);
  } finally {
    await proc.stop();
    await certs.cleanup();
  }
});
