/**
 * The health check's settings: the Redis the checked component writes its heartbeat to (the
 * same `REDIS_*` settings, from the same environment), how old a beat may be, and logging.
 *
 * @module
 */

import { int, logSettings, type SettingsOf } from "../../lib/config/mod.ts";
import { REDIS_SETTINGS } from "../../lib/services/mod.ts";

/** Every setting of the health check. */
export const HEALTH_SETTINGS = {
  ...REDIS_SETTINGS,
  HEALTH_MAX_AGE: int(
    30,
    "seconds a heartbeat may be old and still count (components beat every 5 s or faster)",
    { min: 1 },
  ),
  ...logSettings("health", "health.log"),
};

/** The loaded health check settings. */
export type HealthSettings = SettingsOf<typeof HEALTH_SETTINGS>;
