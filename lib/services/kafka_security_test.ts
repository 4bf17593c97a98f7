import assert from "node:assert/strict";
import {
  explainKafkaError,
  kafkaSecurityConfig,
  KafkaSecuritySettingsError,
} from "./kafka_security.ts";

const HOSTS = { KAFKA_HOSTS: "k:9093" };

Deno.test("`kafkaSecurityConfig()` refuses settings that cannot work, naming them", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" }, /KAFKA_SASL_MECHANISM is none/],
    [{ KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u" }, /set KAFKA_SASL_USERNAME and/],
    [{ KAFKA_SSL_CERT: "/c.pem" }, /KAFKA_SSL_CERT and KAFKA_SSL_KEY go together/],
    [{ KAFKA_SSL_CA: "/nonexistent/ca.pem" }, /cannot read KAFKA_SSL_CA file \/nonexistent/],
  ];
  for (const [settings, message] of cases) {
    assert.throws(() => kafkaSecurityConfig({ ...HOSTS, ...settings }), (err: Error) => {
      assert.ok(err instanceof KafkaSecuritySettingsError);
      assert.match(err.message, /^Cannot start: /);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("`kafkaSecurityConfig()` turns TLS on with KAFKA_SSL or a CA file", async () => {
  assert.deepEqual(kafkaSecurityConfig({ ...HOSTS, KAFKA_SSL: true }), { ssl: {} });
  const ca = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(ca, "-----BEGIN CERTIFICATE-----\n");
    assert.deepEqual(kafkaSecurityConfig({ ...HOSTS, KAFKA_SSL_CA: ca }).ssl, {
      ca: ["-----BEGIN CERTIFICATE-----\n"],
    });
  } finally {
    await Deno.remove(ca);
  }
});

Deno.test("`explainKafkaError()` names the settings behind SASL and TLS failures", () => {
  const conn = {
    ...HOSTS,
    KAFKA_SASL_MECHANISM: "plain" as const,
    KAFKA_SASL_USERNAME: "u",
    KAFKA_SASL_PASSWORD: "p",
  };
  const saslError = Object.assign(new Error("SASL PLAIN authentication failed: nope"), {
    name: "KafkaJSSASLAuthenticationError",
  });
  assert.match(
    explainKafkaError(saslError, conn),
    /^SASL authentication refused \(plain, user 'u'\)/,
  );
  assert.match(
    explainKafkaError(new Error("unable to verify the first certificate"), conn),
    /^TLS failed: .*KAFKA_SSL_CA/,
  );
  assert.equal(explainKafkaError(new Error("no answer in 10 ms"), conn), "no answer in 10 ms");
});
