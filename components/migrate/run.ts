/**
 * One migration command, from parsed flags and settings to printed summary: which Redis is the
 * source and which the target, the shard count, progress, and the exit code (0 done or nothing
 * to do; 1 failed or interrupted, with one line saying why).
 *
 * The plain Redis is always the one the Redis settings name (`REDIS_URL`, or `REDIS_HOST`…);
 * the Redis Cluster is the one `--to-nodes` / `--from-nodes` names, else `REDIS_CLUSTER_NODES`.
 *
 * @module
 */

import { closeRedis, connectRedis, type RedisClient } from "../../lib/services/mod.ts";
import { DEFAULT_CLUSTER_SHARDS } from "../../lib/frontier/mod.ts";
import { fatalErrorText } from "../../lib/config/mod.ts";
import { MigrateError, recordedShards } from "./layouts.ts";
import { Progress } from "./progress.ts";
import { describeRelayout, relayout } from "./relayout.ts";
import { describeScrapy, migrateScrapy } from "./scrapy.ts";
import type { MigrateSettings } from "./settings.ts";

/** The flags of a migration command. */
export interface MigrateFlags {
  dryRun: boolean;
  force: boolean;
  spiders: string[];
  /** `--to-nodes` or `--from-nodes`: the Redis Cluster's nodes. */
  nodes: string | null;
  /** `--shards`: the target's shard count (to-cluster). */
  shards: number | null;
}

/** Where a command writes. */
export interface MigrateOutput {
  /** Summary lines. */
  print: (line: string) => void;
  /** The failure line. */
  error: (line: string) => void;
  progress: Progress;
}

/** Runs `scrapy`, `to-cluster` or `to-plain`; resolves with the exit code. */
export async function runMigrate(
  command: string,
  flags: MigrateFlags,
  settings: MigrateSettings,
  out: MigrateOutput,
  signal?: AbortSignal,
): Promise<number> {
  const clients: RedisClient[] = [];
  const connect = async (nodes: string | null) => {
    const client = await connectRedis({ ...settings, REDIS_CLUSTER_NODES: nodes }, "migrate");
    clients.push(client);
    return client;
  };
  const common = { dryRun: flags.dryRun, spiders: flags.spiders, signal, progress: out.progress };
  try {
    let lines: string[];
    let aborted: boolean;
    if (command === "scrapy") {
      const redis = await connect(settings.REDIS_CLUSTER_NODES ?? null);
      const summary = await migrateScrapy(redis, common);
      lines = describeScrapy(summary, flags.dryRun);
      aborted = summary.aborted;
    } else {
      const nodes = flags.nodes ?? settings.REDIS_CLUSTER_NODES ?? null;
      if (!nodes) {
        const flag = command === "to-cluster" ? "--to-nodes" : "--from-nodes";
        throw new MigrateError(`${command} needs the Redis Cluster: ${flag} host:port,…`);
      }
      const plain = await connect(null);
      const cluster = await connect(nodes);
      const [source, target] = command === "to-cluster" ? [plain, cluster] : [cluster, plain];
      const shards = command === "to-plain"
        ? 1
        : flags.shards ?? (settings.FRONTIER_SHARDS || null) ?? await recordedShards(target) ??
          DEFAULT_CLUSTER_SHARDS;
      const summary = await relayout(source, target, shards, { ...common, force: flags.force });
      lines = describeRelayout(summary, flags.dryRun);
      aborted = summary.aborted;
    }
    if (aborted) {
      out.error(`migrate: ${lines[0]}`);
      lines.slice(1).forEach(out.print);
      return 1;
    }
    lines.forEach(out.print);
    return 0;
  } catch (err) {
    out.progress.finish();
    // One line, whatever failed: the operator reruns once the cause is fixed.
    const text = err instanceof MigrateError ? err.message : fatalErrorText(err).split("\n")[0];
    out.error(`migrate: ${command} failed: ${text}`);
    return 1;
  } finally {
    await Promise.all(clients.map((c) => closeRedis(c)));
  }
}
