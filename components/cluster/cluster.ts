/**
 * `deno task cluster`: the one command that gives a newcomer a working local cluster. It starts
 * Redis, ZooKeeper and Kafka (or reuses those named by `REDIS_URL`, `ZOOKEEPER_HOSTS` and
 * `KAFKA_HOSTS`), creates the cluster's topics, runs every component of {@linkcode COMPONENTS}
 * under supervision with its output prefixed by its name, and on shutdown stops the
 * components first, then the services. With `demo` (`--demo`) it also crawls the built-in demo
 * site and shows the progress (`demo.ts`).
 *
 * @example
 * ```ts ignore
import { up } from "./cluster.ts";
 *
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * Deno.exit(await up({ signal: stop.signal }));
 * ```
 *
 * @module
 */

import { sleep } from "../../lib/async/mod.ts";
import { getLog, loadSettings, logSettings, type ProgramSpec } from "../../lib/config/mod.ts";
import { createKafka, ensureTopics, KAFKA_TOPIC_SETTINGS } from "../../lib/services/mod.ts";
import {
  type LocalServices,
  type ServicePorts,
  startLocalServices,
  stopAllServers,
} from "../../lib/services/local/mod.ts";
import { ClusterDemo, type DemoOptions } from "./demo.ts";
import {
  type ComponentSpec,
  DEFAULT_STOP_GRACE_MS,
  superviseComponent,
  type SupervisedComponent,
  type SuperviseOptions,
} from "./supervisor.ts";

export type { ComponentSpec } from "./supervisor.ts";

/** Permissions of a component that talks to Redis and Kafka (as in the `run:*` tasks). */
/** The flags of the components' `deno task run:*` (deno.json): the project folder only. */
const CLIENT_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read=.",
  "--allow-sys=hostname",
] as const;

/** A row of {@linkcode COMPONENTS}: the entry point is `components/<name>/main.ts`. */
function component(name: string, args: string[], permissions: readonly string[]): ComponentSpec {
  return { name, main: `components/${name}/main.ts`, args, permissions };
}

/** Every component `up` runs, in start order. One line each. */
export const COMPONENTS: readonly ComponentSpec[] = [
  component("kafka-monitor", ["run"], CLIENT_PERMISSIONS),
  component("redis-monitor", ["run"], CLIENT_PERMISSIONS),
  component("crawler", ["run"], CLIENT_PERMISSIONS),
  component("rest", ["run"], CLIENT_PERMISSIONS),
  component("webhook", ["run"], CLIENT_PERMISSIONS),
];

/** The command line of `deno task cluster`. */
export const CLUSTER_SPEC: ProgramSpec = {
  name: "cluster",
  description: "Starts a local Crawl Cluster: Redis, ZooKeeper, Kafka and every component, " +
    "with their output in one terminal. Ctrl-C stops everything (twice: at once).",
  commands: [{
    name: "up",
    summary: "start the services and the components (the default command)",
    options: {
      "redis-port": { type: "string", default: "6379", description: "Redis port" },
      "zookeeper-port": { type: "string", default: "2181", description: "ZooKeeper port" },
      "kafka-port": { type: "string", default: "9092", description: "Kafka client port" },
      "kafka-controller-port": {
        type: "string",
        default: "9093",
        description: "Kafka controller (KRaft) port",
      },
      "only-services": {
        type: "boolean",
        description: "start Redis, ZooKeeper and Kafka but no components",
      },
      demo: {
        type: "boolean",
        description: "also serve a small demo site on loopback, crawl it and show the progress",
      },
    },
  }],
};

/** The cluster's settings: logging only (`-ll DEBUG`, `--log-json`, ...). */
export const CLUSTER_SETTINGS = { ...logSettings("cluster", "cluster.log") };

/**
 * The service ports given on the command line.
 * @throws {Error} "Cannot start: --redis-port must be a port number (1-65535), got 'x'"
 */
export function portsFromCli(values: Record<string, unknown>): Required<ServicePorts> {
  const port = (name: string): number => {
    const raw = String(values[name] ?? "");
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 65535)) {
      throw new Error(`Cannot start: --${name} must be a port number (1-65535), got '${raw}'`);
    }
    return n;
  };
  return {
    redis: port("redis-port"),
    zookeeper: port("zookeeper-port"),
    kafka: port("kafka-port"),
    kafkaController: port("kafka-controller-port"),
  };
}

/**
 * The topics the cluster uses: `KAFKA_INCOMING_TOPIC` and the two firehoses under
 * `KAFKA_TOPIC_PREFIX`, read from `env` like the components read them.
 */
export function clusterTopics(env: Record<string, string | undefined>): string[] {
  const s = loadSettings({
    KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX,
    KAFKA_INCOMING_TOPIC: KAFKA_TOPIC_SETTINGS.KAFKA_INCOMING_TOPIC,
  }, { env });
  const prefix = s.KAFKA_TOPIC_PREFIX;
  return [s.KAFKA_INCOMING_TOPIC, `${prefix}.crawled_firehose`, `${prefix}.outbound_firehose`];
}

/** Options of {@linkcode up}. */
export interface UpOptions {
  /**
   * Ports of the services started here.
   * @default {{ redis: 6379, zookeeper: 2181, kafka: 9092, kafkaController: 9093 }}
   */
  ports?: ServicePorts;
  /**
   * Start the services and create the topics, but no component.
   * @default {false}
   */
  onlyServices?: boolean;
  /**
   * Environment: existing services (`REDIS_URL`, `KAFKA_HOSTS`, `ZOOKEEPER_HOSTS`), topic
   * names, and the base of every component's environment.
   * @default {Deno.env.toObject()}
   */
  env?: Record<string, string | undefined>;
  /**
   * The components to run.
   * @default {COMPONENTS}
   */
  components?: readonly ComponentSpec[];
  /** Supervision options (root, backoff, output sink, ...); `env` and `prefixWidth` are set here. */
  supervise?: Omit<SuperviseOptions, "env" | "prefixWidth">;
  /**
   * Grace period of each component on shutdown before SIGKILL, in milliseconds.
   * @default {15000}
   */
  stopGraceMs?: number;
  /**
   * Receives the banner lines.
   * @default {console.log}
   */
  print?: (line: string) => void;
  /**
   * Also serve the demo site, crawl it and show the progress (`demo.ts`); ignored with
   * `onlyServices`.
   * @default {false}
   */
  demo?: boolean | DemoOptions;
  /** Aborting it stops the cluster: components first, then the services. */
  signal?: AbortSignal;
  /** Aborting it kills everything at once (a second Ctrl-C); `up` then resolves to 130. */
  forceSignal?: AbortSignal;
}

/** The usual ports, which `deno task feed` and `deno task dump` expect by default. */
export const DEFAULT_PORTS: Required<ServicePorts> = {
  redis: 6379,
  zookeeper: 2181,
  kafka: 9092,
  kafkaController: 9093,
};

/**
 * Runs the cluster until `signal` aborts, then stops it; resolves to the exit code (0, or 130
 * after `forceSignal`).
 * @throws {Error} when a service cannot start (e.g. "Cannot start REDIS_URL: port 6379 ...")
 *   or the topics cannot be created; whatever was started is stopped first.
 */
export async function up(opts: UpOptions = {}): Promise<number> {
  const log = getLog("cluster");
  const t0 = performance.now();
  const env = opts.env ?? Deno.env.toObject();
  const components = opts.onlyServices ? [] : opts.components ?? COMPONENTS;
  const print = opts.print ?? console.log;
  const topics = clusterTopics(env);
  const running: SupervisedComponent[] = [];
  let services: LocalServices | null = null;

  log.info("Starting Redis, ZooKeeper and Kafka (existing ones named in the environment are used)");
  const starting = startLocalServices({
    ports: opts.ports ?? DEFAULT_PORTS,
    env,
    log: (line) => log.info(line),
  });
  _aborted(opts.signal).then(() => {
    if (!services) log.info("Stopping once the services have started (Ctrl-C again to force)");
  });

  const forced = _aborted(opts.forceSignal).then(async (): Promise<typeof _FORCED> => {
    log.warn("Forced stop: killing everything now");
    await Promise.all(running.map((c) => c.kill()));
    if (!services) {
      // Still starting: kill what runs, then let the start fail and clean up its data folder.
      await stopAllServers(0);
      const late = await Promise.race([
        starting.catch(() => null),
        sleep(_FORCED_CLEANUP_MS).then(() => null),
      ]);
      if (late) services = late;
    }
    if (services) {
      await Promise.all(services.processes.map((p) => p.stop(0)));
      await services.stop();
    }
    return _FORCED;
  });
  // Once forced, what was interrupted may fail (a killed server): that is not an error then.
  // Work that ends because the force killed what it waited for must not win the race.
  const orForced = <T>(work: Promise<T>): Promise<T | typeof _FORCED> =>
    Promise.race([
      (async () => {
        try {
          const value = await work;
          return opts.forceSignal?.aborted ? await forced : value;
        } catch (err) {
          if (opts.forceSignal?.aborted) return await forced;
          throw err;
        }
      })(),
      forced,
    ]);

  const started = await orForced(starting);
  if (started === _FORCED) return 130;
  services = started;
  const svc = started;
  try {
    if (opts.signal?.aborted) return await _stop(svc, running, opts.stopGraceMs);
    const kafka = createKafka(svc.env.KAFKA_HOSTS, "crawl-cluster");
    if ((await orForced(ensureTopics(kafka, topics))) === _FORCED) return 130;
    log.info(`Topics ready: ${topics.join(", ")}`);
  } catch (err) {
    await svc.stop();
    throw err;
  }

  // The demo site starts first: the components' environment opens the guard for its address.
  const demo = opts.demo && components.length > 0
    ? await ClusterDemo.start(opts.demo === true ? {} : opts.demo).catch(async (err) => {
      await svc.stop();
      throw err;
    })
    : null;
  const width = Math.max(0, ...components.map((c) => c.name.length));
  const childEnv = { ..._defined(env), ...svc.env, ...demo?.env(env) };
  const write = opts.supervise?.write ?? demo?.print;
  for (const spec of components) {
    running.push(superviseComponent(spec, {
      ...opts.supervise,
      ...(write && { write }),
      env: childEnv,
      prefixWidth: width,
    }));
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const line of banner(svc.env, topics, components, seconds)) (demo?.print ?? print)(line);
  demo?.run(childEnv);

  const end = await Promise.race([_aborted(opts.signal).then(() => "stop" as const), forced]);
  if (end === _FORCED) return 130;
  if (demo && (await orForced(demo.stop())) === _FORCED) return 130;
  return await orForced(_stop(svc, running, opts.stopGraceMs)) === _FORCED ? 130 : 0;
}

/** Options of {@linkcode shutdownSignals}. */
export interface ShutdownSignalsOptions {
  /**
   * A signal this soon after the previous one is the same request: `timeout -s INT` and some
   * shells deliver one interrupt to `deno task` and its child, and `deno task` forwards it too.
   * @default {1000}
   */
  repeatMs?: number;
  /** The clock, in milliseconds. @default {performance.now} */
  now?: () => number;
}

/**
 * Turns SIGINT/SIGTERM into two AbortSignals: the first interrupt aborts `stop` (orderly
 * shutdown), a later one aborts `force` (kill everything). `main.ts` calls `onSignal` from its
 * signal listeners.
 */
export function shutdownSignals(opts: ShutdownSignalsOptions = {}): {
  stop: AbortSignal;
  force: AbortSignal;
  onSignal(): void;
} {
  const repeatMs = opts.repeatMs ?? 1_000;
  const now = opts.now ?? (() => performance.now());
  const stop = new AbortController();
  const force = new AbortController();
  let last = -Infinity;
  return {
    stop: stop.signal,
    force: force.signal,
    onSignal() {
      const t = now();
      const repeat = t - last < repeatMs;
      last = t;
      if (!stop.signal.aborted) stop.abort();
      else if (!repeat) force.abort();
    },
  };
}

/** The lines printed once the cluster is up: addresses, and the commands to try next. */
export function banner(
  addresses: LocalServices["env"],
  topics: string[],
  components: readonly ComponentSpec[],
  seconds: number,
): string[] {
  // feed and dump default to localhost:9092 and localhost:6379; name other addresses.
  const usual = /^(127\.0\.0\.1|localhost):9092$/.test(addresses.KAFKA_HOSTS) &&
    /^redis:\/\/(127\.0\.0\.1|localhost):6379(\/0)?$/.test(addresses.REDIS_URL);
  const envPrefix = usual
    ? ""
    : `KAFKA_HOSTS=${addresses.KAFKA_HOSTS} REDIS_URL=${addresses.REDIS_URL} `;
  const names = components.map((c) => c.name).join(", ") || "none (--only-services)";
  return [
    "",
    `Crawl Cluster is up (ready in ${seconds.toFixed(1)} s)`,
    `  Redis       ${addresses.REDIS_URL}`,
    `  Kafka       ${addresses.KAFKA_HOSTS}`,
    `  ZooKeeper   ${addresses.ZOOKEEPER_HOSTS}`,
    `  Topics      ${topics.join(", ")}`,
    `  Components  ${names}`,
    "",
    "Try, in another terminal:",
    `  ${envPrefix}deno task feed '{"url": "http://example.com", "appid": "testapp", ` +
    `"crawlid": "abc123"}'`,
    `  ${envPrefix}deno task dump -t ${topics[0]} -b -p`,
    ...(components.some((c) => c.name === "rest") ? ["  curl localhost:5343"] : []),
    "",
    "Ctrl-C stops the cluster (a second Ctrl-C kills everything at once).",
    "",
  ];
}

const _FORCED: unique symbol = Symbol("forced");
/** How long a forced stop waits for a half-started service set to clean up after itself. */
const _FORCED_CLEANUP_MS = 3_000;

async function _stop(
  services: LocalServices,
  running: SupervisedComponent[],
  graceMs = DEFAULT_STOP_GRACE_MS,
): Promise<number> {
  const log = getLog("cluster");
  if (running.length > 0) {
    log.info(`Stopping ${running.map((c) => c.name).join(", ")} (Ctrl-C again to force)`);
    await Promise.all(running.map((c) => c.stop(graceMs)));
  }
  if (services.processes.length > 0) {
    log.info(`Stopping ${services.processes.map((p) => p.name).toReversed().join(", ")}`);
  }
  await services.stop();
  log.info("Cluster stopped");
  return 0;
}

/** Resolves when `signal` aborts; never without one. */
function _aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function _defined(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
