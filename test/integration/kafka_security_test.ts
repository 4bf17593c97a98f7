/**
 * Kafka secured with SASL and TLS, against a real broker started once for this file
 * (`startKafka` with SASL_PLAINTEXT, SASL_SSL and client-certificate SSL listeners, PLAIN users
 * from JAAS and SCRAM-SHA-512 users from the storage format): produce and consume through
 * `createKafka` with the right credentials, a fail-early line naming SASL with wrong ones, TLS
 * with the right CA and a client certificate, a clear TLS line with a wrong CA, and the `feed`
 * and `kafkadump dump` command lines configured by environment settings, and a component
 * (the kafka-monitor) running on SASL, or stopping at start with a wrong password.
 */

import assert from "node:assert/strict";
import {
  checkKafka,
  createKafka,
  type KafkaConnection,
  produceOnce,
} from "../../lib/services/mod.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { startKafka } from "../../lib/services/local/kafka_server.ts";
import { dumpTopic } from "../../components/kafkadump/dump.ts";
import { componentCommand } from "../processes.ts";
import { deleteKeysContaining, eventually, randomName, serviceEnv, testRedis } from "../harness.ts";
import { queued } from "../e2e/redis_kinds.ts";
import { makeTestCertificates } from "../tls_certs.ts";
import { decodeText } from "../../lib/async/mod.ts";

const USERS = { "crawler": "crawler-pw", "dashboard": "dashboard-pw" };

/** Produces one message to a fresh topic and reads it back from the beginning. */
async function roundTrip(conn: KafkaConnection): Promise<string[]> {
  const kafka = createKafka(conn, "security-test");
  const topic = randomName("secured");
  const value = JSON.stringify({ topic });
  await produceOnce(kafka, topic, value, 20_000);
  const lines: string[] = [];
  await dumpTopic(kafka, topic, {
    fromBeginning: true,
    maxMessages: 1,
    signal: AbortSignal.timeout(60_000),
    write: (line) => lines.push(line),
  });
  assert.deepEqual(lines, [value]);
  return lines;
}

/** checkKafka's rejection message (it must reject). */
async function refusal(conn: KafkaConnection): Promise<string> {
  const err = await checkKafka(conn, 20_000).then(
    () => assert.fail("checkKafka should have refused"),
    (e: Error) => e,
  );
  return err.message;
}

/** Reads `stream` until a line satisfies `found`; returns the text read so far. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  found: (line: string) => boolean,
): Promise<string> {
  let text = "";
  for await (const chunk of decodeText(stream)) {
    text += chunk;
    if (text.split("\n").some(found)) break;
  }
  return text;
}

Deno.test("Kafka with SASL (PLAIN, SCRAM-SHA-512) and TLS", async (t) => {
  serviceEnv(); // only under `deno task test`, like every integration test
  const certs = await makeTestCertificates();
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-kafka-secure-" });
  const keystore = `${dir}/broker-keystore.pem`;
  // Kafka's PEM keystore: the private key and the certificate chain in one file.
  await Deno.writeTextFile(
    keystore,
    (await Deno.readTextFile(certs.serverKey)) + (await Deno.readTextFile(certs.serverCert)),
  );
  const [port, controllerPort, saslPort, saslSslPort, sslPort] = [0, 0, 0, 0, 0].map(freePort);
  const broker = await startKafka(port, controllerPort, `${dir}/kafka`, {
    security: {
      saslPort,
      saslSslPort,
      sslPort,
      users: USERS,
      tls: { keystoreFile: keystore, caFile: certs.caCert },
    },
  });
  const sasl = (
    mechanism: "plain" | "scram-sha-512",
    username: string,
    password: string,
  ): KafkaConnection => ({
    KAFKA_HOSTS: `127.0.0.1:${saslPort}`,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  });
  try {
    await t.step("PLAIN with the right credentials: produce and consume", async () => {
      await roundTrip(sasl("plain", "crawler", "crawler-pw"));
    });

    await t.step("SCRAM-SHA-512 with the right credentials: produce and consume", async () => {
      await roundTrip(sasl("scram-sha-512", "dashboard", "dashboard-pw"));
    });

    await t.step("wrong credentials fail the check at once with one line naming SASL", async () => {
      for (
        const conn of [
          sasl("plain", "crawler", "wrong"),
          sasl("scram-sha-512", "crawler", "wrong"),
          sasl("scram-sha-512", "nobody", "crawler-pw"),
        ]
      ) {
        const message = await refusal(conn);
        // Not the check's own timeout: the broker's refusal ended it.
        assert.match(message, /^Cannot connect to Kafka at 127\.0\.0\.1:\d+: SASL authentication/);
        assert.match(message, /KAFKA_SASL_PASSWORD/);
        assert.ok(!message.includes("\n"), message);
      }
    });

    await t.step("a producer with wrong credentials gives up instead of retrying", async () => {
      const kafka = createKafka(sasl("plain", "crawler", "wrong"), "security-test");
      const err = await produceOnce(kafka, randomName("never"), "x", 60_000).then(
        () => assert.fail("produce should have failed"),
        (e: Error) => e,
      );
      assert.equal(err.name, "KafkaJSSASLAuthenticationError", err.message);
    });

    await t.step("no SASL on a SASL listener: the line says the broker hung up", async () => {
      const message = await refusal({ KAFKA_HOSTS: `127.0.0.1:${saslPort}` });
      assert.match(message, /hung up \(no TLS, no SASL\).*KAFKA_SASL_MECHANISM/);
    });

    await t.step("SASL_SSL with the CA: produce and consume", async () => {
      await roundTrip({
        ...sasl("scram-sha-512", "crawler", "crawler-pw"),
        KAFKA_HOSTS: `127.0.0.1:${saslSslPort}`,
        KAFKA_SSL_CA: certs.caCert,
      });
    });

    await t.step("SSL with a client certificate: produce and consume", async () => {
      await roundTrip({
        KAFKA_HOSTS: `127.0.0.1:${sslPort}`,
        KAFKA_SSL: true,
        KAFKA_SSL_CA: certs.caCert,
        KAFKA_SSL_CERT: certs.clientCert,
        KAFKA_SSL_KEY: certs.clientKey,
      });
    });

    await t.step("a CA that did not sign the broker: one line naming TLS", async () => {
      const message = await refusal({
        ...sasl("scram-sha-512", "crawler", "crawler-pw"),
        KAFKA_HOSTS: `127.0.0.1:${saslSslPort}`,
        KAFKA_SSL_CA: certs.otherCaCert,
      });
      assert.match(message, /^Cannot connect to Kafka at [^:]+:\d+: TLS failed: .*KAFKA_SSL_CA/);
      assert.ok(!message.includes("\n"), message);
    });

    const saslEnv = {
      KAFKA_HOSTS: `127.0.0.1:${saslPort}`,
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "crawler",
      KAFKA_SASL_PASSWORD: "crawler-pw",
    };

    await t.step(
      "`feed` and `kafkadump dump` with SASL settings from the environment",
      async () => {
        const topic = randomName("secured-incoming");
        const crawlid = randomName("crawl");
        const request = JSON.stringify({ url: "http://example.com/", appid: "sec", crawlid });
        const fed = await componentCommand("kafka-monitor", ["feed", request], {
          ...saslEnv,
          KAFKA_INCOMING_TOPIC: topic,
        }).output();
        const feedErr = new TextDecoder().decode(fed.stderr);
        assert.equal(fed.code, 0, feedErr);
        const dump = componentCommand("kafkadump", ["dump", "-t", topic, "-b"], saslEnv).spawn();
        try {
          // Log lines share stdout: the message is the line that is the request itself.
          const out = await readUntil(dump.stdout, (line) => line.startsWith("{"));
          const message = out.split("\n").find((line) => line.startsWith("{"))!;
          assert.deepEqual(JSON.parse(message), JSON.parse(request));
        } finally {
          dump.kill("SIGINT");
          await dump.status;
          await dump.stderr.cancel();
        }
      },
    );

    await t.step("`feed` with a wrong password exits 1 with one line naming SASL", async () => {
      const fed = await componentCommand("kafka-monitor", ["feed", '{"url":"http://a.b/"}'], {
        ...saslEnv,
        KAFKA_SASL_PASSWORD: "wrong",
      }).output();
      assert.equal(fed.code, 1);
      const lines = new TextDecoder().decode(fed.stderr).trim().split("\n");
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^Cannot connect to Kafka at .*: SASL authentication refused/);
    });

    await t.step(
      "the kafka-monitor runs on SCRAM-SHA-512: a fed request reaches Redis",
      async () => {
        const redis = testRedis();
        const spider = randomName("spider");
        const env = {
          ...serviceEnv(),
          ...saslEnv,
          KAFKA_INCOMING_TOPIC: randomName("secured-incoming"),
          KAFKA_GROUP: randomName("group"),
        };
        const runner = componentCommand("kafka-monitor", ["run"], env, { stdout: "null" }).spawn();
        try {
          const request = {
            url: "http://example.com/",
            appid: "sec",
            crawlid: "c1",
            spiderid: spider,
          };
          const fed = await componentCommand(
            "kafka-monitor",
            ["feed", JSON.stringify(request)],
            env,
          )
            .output();
          assert.equal(fed.code, 0, new TextDecoder().decode(fed.stderr));
          const member = await eventually(
            () => queued(redis, spider, "example.com").then((m) => m[0]),
            { what: "the request fed over SASL in Redis", timeoutMs: 30_000 },
          );
          assert.equal(JSON.parse(member).crawlid, "c1");
        } finally {
          runner.kill("SIGTERM");
          await runner.status;
          await runner.stderr.cancel();
          await deleteKeysContaining(redis, spider);
          await redis.quit();
        }
      },
    );

    await t.step("the kafka-monitor with a wrong password stops at start naming SASL", async () => {
      const out = await componentCommand("kafka-monitor", ["run"], {
        ...serviceEnv(),
        ...saslEnv,
        KAFKA_SASL_PASSWORD: "wrong",
      }, { stdout: "null" }).output();
      assert.equal(out.code, 1);
      assert.match(new TextDecoder().decode(out.stderr), /SASL authentication refused/);
    });

    await t.step("`kafkadump list` with a wrong password exits 1 naming SASL", async () => {
      const listed = await componentCommand("kafkadump", ["list"], {
        ...saslEnv,
        KAFKA_SASL_PASSWORD: "wrong",
      }).output();
      assert.equal(listed.code, 1);
      assert.match(new TextDecoder().decode(listed.stderr), /SASL authentication refused/);
    });
  } finally {
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await certs.cleanup();
  }
});
