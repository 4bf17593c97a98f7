/**
 * `deno task cluster [up] [options]`: starts a local Crawl Cluster; see `cluster.ts`.
 *
 * @module
 */

import { finish, startProgram } from "../../lib/config/mod.ts";
import { CLUSTER_SETTINGS, CLUSTER_SPEC, portsFromCli, shutdownSignals, up } from "./cluster.ts";

/** `up` is the default command: `deno task cluster` and `deno task cluster --only-services`. */
function withDefaultCommand(args: string[]): string[] {
  const first = args[0];
  if (first === undefined) return ["up"];
  if (first.startsWith("-") && first !== "-h" && first !== "--help") return ["up", ...args];
  return args;
}

async function main(): Promise<void> {
  const program = await startProgram(
    CLUSTER_SPEC,
    CLUSTER_SETTINGS,
    withDefaultCommand(Deno.args),
    Deno.env.toObject(),
  );
  let ports;
  try {
    ports = portsFromCli(program.values);
  } catch (err) {
    console.error((err as Error).message);
    await finish(2);
  }

  // First SIGINT/SIGTERM: orderly stop. A later one: kill everything at once.
  const signals = shutdownSignals();
  Deno.addSignalListener("SIGINT", signals.onSignal);
  Deno.addSignalListener("SIGTERM", signals.onSignal);

  let code: number;
  try {
    code = await up({
      ports,
      onlyServices: program.values["only-services"] === true,
      demo: program.values.demo === true,
      env: Deno.env.toObject(),
      signal: signals.stop,
      forceSignal: signals.force,
    });
  } catch (err) {
    // One line for a busy port; a server that failed to start adds the tail of its log.
    console.error(err instanceof Error ? err.message : String(err));
    code = 1;
  }
  await finish(code);
}

if (import.meta.main) await main();
