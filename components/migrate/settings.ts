/**
 * The migration's settings: where the plain Redis is (`REDIS_URL`, or `REDIS_HOST`/`_PORT`/
 * `_DB`/`_PASSWORD`), the Redis Cluster when no `--to-nodes`/`--from-nodes` flag names it
 * (`REDIS_CLUSTER_NODES`), the shard count a move to Redis Cluster records when `--shards` is not
 * given (`FRONTIER_SHARDS`), and logging.
 *
 * @module
 */

import { logSettings, type SettingsOf } from "../../lib/config/mod.ts";
import { FRONTIER_SETTINGS } from "../../lib/frontier/mod.ts";
import { REDIS_SETTINGS } from "../../lib/services/mod.ts";

/** Every setting of `deno task migrate`. */
export const MIGRATE_SETTINGS = {
  ...REDIS_SETTINGS,
  ...FRONTIER_SETTINGS,
  ...logSettings("migrate", "migrate.log"),
};

/** The loaded migration settings. */
export type MigrateSettings = SettingsOf<typeof MIGRATE_SETTINGS>;
