/**
 * health: `health <component>` exits 0 when that component beats on this machine (its
 * heartbeat key in Redis is fresh), 1 otherwise, with one line either way. The container
 * healthcheck of every component in compose.yaml: `deno task health crawler`.
 *
 * @module
 */

import { finish, type ProgramSpec, startProgram } from "../../lib/config/mod.ts";
import { closeRedis, connectRedis } from "../../lib/services/mod.ts";
import { hostName } from "../../lib/stats/mod.ts";
import { BEATING_COMPONENTS, findHeartbeat } from "./check.ts";
import { HEALTH_SETTINGS } from "./settings.ts";

const PROGRAM: ProgramSpec = {
  name: "health",
  description: "Exits 0 when the named component beats on this machine (a fresh heartbeat " +
    "key in Redis, at most HEALTH_MAX_AGE seconds old), 1 otherwise. Reads the same REDIS_* " +
    "settings as the component.",
  commands: BEATING_COMPONENTS.map((name) => ({
    name,
    summary: `check the ${name} of this machine`,
  })),
};

if (import.meta.main) {
  const { command, settings } = await startProgram(
    PROGRAM,
    HEALTH_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const component = command as typeof BEATING_COMPONENTS[number];
  const host = hostName();
  let code = 1;
  try {
    // A healthcheck has seconds, not REDIS_SOCKET_TIMEOUT's patience.
    const redis = await connectRedis(settings, "health", { timeoutMs: 5_000 });
    try {
      const beat = await findHeartbeat(redis, component, host, {
        maxAgeSec: settings.HEALTH_MAX_AGE,
      });
      if (beat?.fresh) {
        code = 0;
        console.log(`${component} on ${host}: healthy, beat ${Math.round(beat.ageSec)} s ago`);
      } else if (beat) {
        console.error(
          `${component} on ${host}: last beat ${Math.round(beat.ageSec)} s ago ` +
            `(more than HEALTH_MAX_AGE ${settings.HEALTH_MAX_AGE} s)`,
        );
      } else {
        console.error(`${component} on ${host}: no heartbeat in Redis`);
      }
    } finally {
      await closeRedis(redis);
    }
  } catch (err) {
    console.error(`${component} on ${host}: ${(err as Error).message.split("\n")[0]}`);
  }
  await finish(code);
}
