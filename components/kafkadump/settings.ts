/**
 * kafkadump's settings: the shared Kafka settings and logging under the `kafkadump` logger.
 *
 * @module
 */

import { KAFKA_SETTINGS, logSettings, type SettingsOf } from "../../lib/config/settings.ts";

/** Every setting of kafkadump. */
export const KAFKADUMP_SETTINGS = {
  ...KAFKA_SETTINGS,
  ...logSettings("kafkadump", "kafkadump.log"),
};

/** The loaded kafkadump settings. */
export type KafkadumpSettings = SettingsOf<typeof KAFKADUMP_SETTINGS>;
