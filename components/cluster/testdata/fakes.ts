/**
 * Fake components for the cluster tests: scripts in this folder run as components.
 *
 * @module
 */

import type { ComponentSpec } from "../supervisor.ts";

/** A component running `components/cluster/testdata/<script>` with only `--allow-env`. */
export function fake(script: string, args: string[] = [], name = "fake"): ComponentSpec {
  return {
    name,
    main: `components/cluster/testdata/${script}`,
    args,
    permissions: ["--allow-env"],
  };
}

/** `pgrep -af` lines of fake components still running (there must be none after a test). */
export async function fakeProcesses(): Promise<string> {
  const out = await new Deno.Command("pgrep", { args: ["-af", "components/cluster/testdata/"] })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}
