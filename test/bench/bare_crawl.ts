/**
 * The benchmark's baseline: the least a crawler must do per page — `fetch`, read the body,
 * extract links with the crawler's own htmlparser2-based extractor (no filters), and follow the
 * unseen ones from an in-memory frontier (a Set and an array) — at a fixed concurrency, with no
 * Redis and no Kafka. Prints one JSON line of figures, measured on itself:
 *
 * `{"pages", "seconds", "pagesPerSec", "cpuSec", "peakRssMb", "errors"}`: `seconds` runs from
 * the first finished page to the `--pages`-th, `cpuSec` from the first request to the last
 * counted page.
 *
 * ```sh
 * deno run --allow-all test/bench/bare_crawl.ts --seed http://127.0.0.1:8000/p/0 \
 *   --pages 5000 --concurrency 64
 * ```
 *
 * @module
 */

import { extractLinks } from "../../components/crawler/links/link_extractor.ts";
import { cpuSeconds, peakRssMb } from "./proc.ts";

/** Figures of one baseline run. */
export interface BareResult {
  pages: number;
  seconds: number;
  pagesPerSec: number;
  cpuSec: number;
  peakRssMb: number;
  errors: number;
}

/** Options of {@linkcode bareCrawl}. */
export interface BareCrawlOptions {
  /** Stop after this many pages. */
  pages: number;
  /** Pages in flight. */
  concurrency: number;
}

/** Crawls from `seed` until `opts.pages` pages are done or nothing is left to crawl. */
export function bareCrawl(seed: string, opts: BareCrawlOptions): Promise<BareResult> {
  const seen = new Set<string>([seed]);
  const queue: string[] = [seed];
  let head = 0;
  let inFlight = 0;
  let done = 0;
  let errors = 0;
  let firstAt = 0;
  const cpu0 = cpuSeconds("self");
  const t0 = performance.now();
  const { promise, resolve } = Promise.withResolvers<BareResult>();
  let finished = false;

  const finish = () => {
    if (finished) return;
    finished = true;
    const seconds = (performance.now() - (firstAt || t0)) / 1000;
    resolve({
      pages: done,
      seconds,
      pagesPerSec: done > 1 ? (done - 1) / seconds : 0,
      cpuSec: cpuSeconds("self") - cpu0,
      peakRssMb: peakRssMb("self"),
      errors,
    });
  };

  const crawl = async (url: string) => {
    try {
      const res = await fetch(url);
      const html = await res.text();
      for (const link of extractLinks(html, res.url)) {
        if (!seen.has(link.url)) {
          seen.add(link.url);
          queue.push(link.url);
        }
      }
      if (done++ === 0) firstAt = performance.now();
    } catch {
      errors++;
    }
    inFlight--;
    if (done >= opts.pages) finish();
    else pump();
  };

  const pump = () => {
    while (inFlight < opts.concurrency && head < queue.length) {
      inFlight++;
      crawl(queue[head++]);
    }
    if (inFlight === 0) finish();
  };

  pump();
  return promise;
}

if (import.meta.main) {
  const flags = new Map<string, string>();
  for (let i = 0; i < Deno.args.length; i += 2) {
    flags.set(Deno.args[i].replace(/^--/, ""), Deno.args[i + 1]);
  }
  const seed = flags.get("seed");
  if (!seed) throw new Error("Cannot run: --seed <url> is required");
  const result = await bareCrawl(seed, {
    pages: Number(flags.get("pages") ?? 5000),
    concurrency: Number(flags.get("concurrency") ?? 64),
  });
  console.log(JSON.stringify(result));
  Deno.exit(0);
}
