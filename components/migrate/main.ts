/**
 * migrate: moves a frontier between layouts, on a stopped cluster (see README "Migrating from
 * Scrapy Cluster"). `scrapy` converts a Scrapy Cluster 1.3 Redis in place; `to-cluster` and
 * `to-plain` move the frontier between a plain Redis and a Redis Cluster. Every command is
 * idempotent and resumable, and takes `--dry-run`.
 *
 * @module
 */

import {
  finish,
  type OptionSpec,
  type ProgramSpec,
  shutdownSignal,
  startProgram,
} from "../../lib/config/mod.ts";
import { Progress } from "./progress.ts";
import { runMigrate } from "./run.ts";
import { MIGRATE_SETTINGS } from "./settings.ts";

const COMMON: Record<string, OptionSpec> = {
  "dry-run": { type: "boolean", description: "count what would change, change nothing" },
  spider: {
    type: "string",
    multiple: true,
    description: "only this spider type (may repeat; default: every one found)",
    valueName: "SPIDERID",
  },
};

const MOVE: Record<string, OptionSpec> = {
  ...COMMON,
  force: {
    type: "boolean",
    description: "move even while crawlers of the moved spider types beat on the source",
  },
};

const PROGRAM: ProgramSpec = {
  name: "migrate",
  description: "Moves the crawl frontier in Redis between layouts. Stop the cluster first. " +
    "The plain Redis is the one REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_DB) names; the " +
    "Redis Cluster the one --to-nodes/--from-nodes names, else REDIS_CLUSTER_NODES.",
  commands: [
    {
      name: "scrapy",
      summary: "convert a Scrapy Cluster 1.3 Redis in place (queues rescored, index, counters)",
      options: COMMON,
    },
    {
      name: "to-cluster",
      summary: "move the frontier from the plain Redis to a Redis Cluster",
      options: {
        ...MOVE,
        "to-nodes": {
          type: "string",
          description: "the Redis Cluster's nodes (default: REDIS_CLUSTER_NODES)",
          valueName: "HOST:PORT,…",
        },
        shards: {
          type: "string",
          description: "frontier shards on the cluster (default: FRONTIER_SHARDS, else the " +
            "cluster's recorded count, else 16)",
          valueName: "N",
        },
      },
    },
    {
      name: "to-plain",
      summary: "move the frontier from a Redis Cluster back to the plain Redis",
      options: {
        ...MOVE,
        "from-nodes": {
          type: "string",
          description: "the Redis Cluster's nodes (default: REDIS_CLUSTER_NODES)",
          valueName: "HOST:PORT,…",
        },
      },
    },
  ],
};

if (import.meta.main) {
  const { command, values, settings } = await startProgram(
    PROGRAM,
    MIGRATE_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const shards = typeof values.shards === "string" ? Number(values.shards) : null;
  if (shards !== null && !(Number.isInteger(shards) && shards >= 1 && shards <= 1024)) {
    console.error(
      `migrate: --shards must be a whole number from 1 to 1024, not '${values.shards}'`,
    );
    await finish(2);
  }
  const nodes = values["to-nodes"] ?? values["from-nodes"];
  const code = await runMigrate(
    command,
    {
      dryRun: values["dry-run"] === true,
      force: values.force === true,
      spiders: Array.isArray(values.spider) ? values.spider : [],
      nodes: typeof nodes === "string" ? nodes : null,
      shards,
    },
    settings,
    {
      print: (line) => console.log(line),
      error: (line) => console.error(line),
      progress: Progress.onStderr(),
    },
    shutdownSignal(),
  );
  await finish(code);
}
