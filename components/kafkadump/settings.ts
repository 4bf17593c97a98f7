/**
 * kafkadump's settings: the brokers and how to reach them (TLS, SASL: `KAFKA_SETTINGS`), the
 * largest message fetched, and logging under the `kafkadump` logger. Topic and consumer group
 * come from its flags (`-t`, `-c`, `-b`).
 *
 * @module
 */

import { logSettings, type SettingsOf } from "../../lib/config/mod.ts";
import { KAFKA_CONSUMER_SETTINGS, KAFKA_SETTINGS } from "../../lib/services/mod.ts";

/** Every setting of kafkadump. */
export const KAFKADUMP_SETTINGS = {
  ...KAFKA_SETTINGS,
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES:
    KAFKA_CONSUMER_SETTINGS.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
  ...logSettings("kafkadump", "kafkadump.log"),
};

/** The loaded kafkadump settings. */
export type KafkadumpSettings = SettingsOf<typeof KAFKADUMP_SETTINGS>;
