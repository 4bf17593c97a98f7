import assert from "node:assert/strict";
import { createKafka, listTopics } from "../../lib/services/mod.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import {
  banner,
  clusterTopics,
  COMPONENTS,
  portsFromCli,
  shutdownSignals,
  up,
} from "../../components/cluster/cluster.ts";
import type { ComponentEvent } from "../../components/cluster/supervisor.ts";
import { fake, fakeProcesses } from "../../components/cluster/testdata/fakes.ts";

Deno.test("portsFromCli() reads the four ports and rejects anything else", () => {
  const values = {
    "redis-port": "6379",
    "zookeeper-port": "2181",
    "kafka-port": "9092",
    "kafka-controller-port": "9093",
  };
  assert.deepEqual(portsFromCli(values), {
    redis: 6379,
    zookeeper: 2181,
    kafka: 9092,
    kafkaController: 9093,
  });
  assert.throws(
    () => portsFromCli({ ...values, "kafka-port": "90x" }),
    /^Error: Cannot start: --kafka-port must be a port number \(1-65535\), got '90x'$/,
  );
  assert.throws(() => portsFromCli({ ...values, "redis-port": "70000" }), /--redis-port/);
});

Deno.test("clusterTopics() follows KAFKA_TOPIC_PREFIX and KAFKA_INCOMING_TOPIC", () => {
  assert.deepEqual(clusterTopics({}), [
    "demo.incoming",
    "demo.crawled_firehose",
    "demo.outbound_firehose",
  ]);
  assert.deepEqual(clusterTopics({ KAFKA_TOPIC_PREFIX: "x", KAFKA_INCOMING_TOPIC: "x.in" }), [
    "x.in",
    "x.crawled_firehose",
    "x.outbound_firehose",
  ]);
});

Deno.test("COMPONENTS names each component once, with a main.ts", () => {
  const names = COMPONENTS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const c of COMPONENTS) assert.equal(c.main, `components/${c.name}/main.ts`);
});

Deno.test("banner() names the addresses, and env for feed/dump only when not the usual", () => {
  const topics = clusterTopics({});
  const usual = banner(
    {
      REDIS_URL: "redis://127.0.0.1:6379/0",
      KAFKA_HOSTS: "127.0.0.1:9092",
      ZOOKEEPER_HOSTS: "127.0.0.1:2181",
    },
    topics,
    COMPONENTS,
    12.34,
  ).join("\n");
  assert.match(usual, /ready in 12\.3 s/);
  assert.match(usual, /^ {2}Redis {7}redis:\/\/127\.0\.0\.1:6379\/0$/m);
  assert.match(
    usual,
    /^ {2}deno task feed '\{"url": "http:\/\/example\.com", "appid": "testapp", "crawlid": "abc123"\}'$/m,
  );
  assert.match(usual, /^ {2}deno task dump -t demo\.incoming -b -p$/m);
  const other = banner(
    { REDIS_URL: "redis://127.0.0.1:7000/0", KAFKA_HOSTS: "h:1", ZOOKEEPER_HOSTS: "h:2" },
    topics,
    [],
    1,
  ).join("\n");
  assert.match(
    other,
    /^ {2}KAFKA_HOSTS=h:1 REDIS_URL=redis:\/\/127\.0\.0\.1:7000\/0 deno task dump/m,
  );
  assert.match(other, /Components {2}none/);
});

Deno.test("shutdownSignals() stops on the first signal and forces on a later one", () => {
  let t = 0;
  const s = shutdownSignals({ repeatMs: 1_000, now: () => t });
  assert.ok(!s.stop.aborted && !s.force.aborted);
  s.onSignal();
  assert.ok(s.stop.aborted && !s.force.aborted);
  t = 5; // the same interrupt, delivered twice
  s.onSignal();
  assert.ok(!s.force.aborted);
  t = 2_000;
  s.onSignal();
  assert.ok(s.force.aborted);
});

Deno.test("up() reports a busy port in one line and starts nothing", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    await assert.rejects(
      () => up({ env: {}, ports: { redis: port, zookeeper: 1, kafka: 2, kafkaController: 3 } }),
      (err: Error) => {
        assert.equal(
          err.message,
          `Cannot start REDIS_URL: port ${port} on 127.0.0.1 is in use (another cluster ` +
            "running?). Stop it, or point the REDIS_URL setting at it.",
        );
        return true;
      },
    );
  } finally {
    busy.close();
  }
});

/** The test services' environment with random topic names. */
function testEnv(): Record<string, string> {
  const prefix = randomName("cl");
  return {
    ...Deno.env.toObject(),
    ...serviceEnv(),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
  };
}

Deno.test("up() creates the topics, supervises the components and stops them", async () => {
  const env = testEnv();
  const stop = new AbortController();
  const lines: string[] = [];
  const printed: string[] = [];
  const events: ComponentEvent[] = [];
  const running = up({
    env,
    components: [fake("ready.ts", [], "ready"), fake("crash.ts", [], "crash-at-once")],
    supervise: {
      write: (line) => lines.push(line),
      backoffMs: () => 10,
      maxRestarts: 1,
      onEvent: (e) => events.push(e),
    },
    print: (line) => printed.push(line),
    signal: stop.signal,
  });
  await eventually(() => events.some((e) => e.type === "gave-up") || undefined, {
    what: "giving up on the crashing component",
  });
  await eventually(() => lines.includes("ready         | second") || undefined, {
    what: "the ready component's output",
  });
  assert.ok(lines.includes(`ready         | ready REDIS_URL=${env.REDIS_URL}`));
  assert.ok(lines.includes("crash-at-once | crashing"));
  const shown = printed.join("\n");
  assert.match(shown, /Crawl Cluster is up/);
  assert.ok(shown.includes(`  Kafka       ${env.KAFKA_HOSTS}`));
  assert.ok(shown.includes(`deno task dump -t ${env.KAFKA_TOPIC_PREFIX}.incoming -b -p`));

  stop.abort();
  assert.equal(await running, 0);
  assert.ok(lines.includes("ready         | bye"), "the ready component got SIGTERM");
  assert.equal(await fakeProcesses(), "");
  const topics = await listTopics(createKafka(env.KAFKA_HOSTS, "cluster-test"));
  for (const topic of clusterTopics(env)) assert.ok(topics.includes(topic), topic);
});

Deno.test("up() with onlyServices starts no component", async () => {
  const stop = new AbortController();
  const printed: string[] = [];
  const code = await up({
    env: testEnv(),
    onlyServices: true,
    components: [fake("ready.ts")],
    print: (line) => {
      printed.push(line);
      if (line.startsWith("Crawl Cluster is up")) stop.abort();
    },
    signal: stop.signal,
  });
  assert.equal(code, 0);
  assert.match(printed.join("\n"), /Components {2}none \(--only-services\)/);
  assert.equal(await fakeProcesses(), "");
});

Deno.test("up() kills everything at once on the force signal and resolves to 130", async () => {
  const stop = new AbortController();
  const force = new AbortController();
  const lines: string[] = [];
  const running = up({
    env: testEnv(),
    components: [fake("stubborn.ts")],
    supervise: { write: (line) => lines.push(line) },
    stopGraceMs: 60_000,
    print: () => {},
    signal: stop.signal,
    forceSignal: force.signal,
  });
  await eventually(() => lines.includes("fake | ready") || undefined, { what: "ready" });
  stop.abort();
  await eventually(() => lines.includes("fake | ignoring SIGTERM") || undefined, {
    what: "the SIGTERM",
  });
  const t0 = performance.now();
  force.abort();
  assert.equal(await running, 130);
  assert.ok(performance.now() - t0 < 2_000);
  assert.equal(await fakeProcesses(), "");
});
