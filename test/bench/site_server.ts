/**
 * The benchmark's synthetic site in a process of its own, so serving pages never shares an
 * event loop with the crawler being measured. Every page is built before listening, so serving
 * costs only the HTTP work; `--delay-ms N` answers every request N ms late (a slow site for the
 * `slow` bench; the wait costs no CPU). Prints `LISTENING <origin>` once ready; stops on SIGTERM/SIGINT.
 *
 * ```sh
 * deno run --allow-net test/bench/site_server.ts --pages 5000 --links 40 --bytes 20480 \
 *   --hostname 127.0.0.1
 * ```
 *
 * @module
 */

import { startTestSite, syntheticSiteHandler, type SyntheticSiteOptions } from "../site.ts";

/** Parses `--name value` pairs. */
function _flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) out.set(args[i].replace(/^--/, ""), args[i + 1]);
  return out;
}

if (import.meta.main) {
  const flags = _flags(Deno.args);
  const opts: SyntheticSiteOptions = {
    pages: Number(flags.get("pages") ?? 5000),
    linksPerPage: Number(flags.get("links") ?? 40),
    pageBytes: Number(flags.get("bytes") ?? 20_480),
  };
  const handler = syntheticSiteHandler(opts);
  const delayMs = Number(flags.get("delay-ms") ?? 0);
  const delayed = (req: Request) =>
    new Promise<Response>((resolve) => setTimeout(() => resolve(handler(req)), delayMs));
  // Warm the page cache: the crawl then measures serving, not page building.
  for (let n = 0; n < opts.pages; n++) handler(new Request(`http://warm/p/${n}`));
  const site = await startTestSite({
    routes: {},
    fallback: delayMs > 0 ? delayed : handler,
    log: false,
    hostname: flags.get("hostname") ?? "127.0.0.1",
  });
  const stop = () => site.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  console.log(`LISTENING ${site.origin}`);
}
