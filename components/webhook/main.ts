/**
 * webhook: `run` POSTs result items from the crawled firehose to the HTTP endpoints
 * applications registered with `webhook-add`. Run as many as you like in one `WEBHOOK_GROUP`.
 *
 * @module
 */

import { getLog, type ProgramSpec, runUntilStopped, startProgram } from "../../lib/config/mod.ts";
import { checkKafka, closeRedis, connectRedis } from "../../lib/services/mod.ts";
import { runWebhook } from "./service.ts";
import { WEBHOOK_SETTINGS } from "./settings.ts";

const PROGRAM: ProgramSpec = {
  name: "webhook",
  description: "POSTs crawled items to the webhooks applications registered.",
  commands: [{ name: "run", summary: "deliver until stopped" }],
};

if (import.meta.main) {
  const { settings } = await startProgram(
    PROGRAM,
    WEBHOOK_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const log = getLog("webhook");
  await runUntilStopped(log, async (signal) => {
    const redis = await connectRedis(settings, "webhook", {
      outage: { log, meanwhile: "deliveries wait, will retry" },
    });
    await checkKafka(settings);
    await runWebhook({ settings, redis, log }, signal);
    await closeRedis(redis);
  });
}
