/**
 * The chaos crawl's site: `sections` section pages `/s/<i>`, each linking to its
 * `perSection - 1` leaves `/s/<i>/<j>`, so `sections × perSection` pages in all (40 × 50 =
 * 2,000). Each section is one seed (maxdepth 1), so a crawl can be fed through Kafka a section
 * at a time while faults happen. Every page answers after `delayMs`, which paces the crawl:
 * with `n` pages in flight it runs at about `n / delayMs` pages per millisecond.
 *
 * @module
 */

import { sleep } from "../../lib/async/mod.ts";
import { type Route, startTestSite, type TestSite } from "../site.ts";

/** The shape of the chaos site. */
export interface ChaosSiteOptions {
  /** Section pages (seeds). */
  sections: number;
  /** Pages per section, the section page included. */
  perSection: number;
  /** Milliseconds each page takes to answer. */
  delayMs: number;
}

/** A running chaos site with a count of the fetches of each path. */
export interface ChaosSite {
  readonly site: TestSite;
  /** Absolute URLs of the seeds, in feed order. */
  readonly seeds: string[];
  /** Every path the crawl must deliver, sorted. */
  readonly expected: string[];
  /** How many times each path was fetched. */
  readonly fetches: Map<string, number>;
  close(): Promise<void>;
}

/** The section page path of section `i`. */
export function sectionPath(i: number): string {
  return `/s/${i}`;
}

/** Every page path of a chaos site, sorted. */
export function chaosPaths(opts: Pick<ChaosSiteOptions, "sections" | "perSection">): string[] {
  const out: string[] = [];
  for (let i = 0; i < opts.sections; i++) {
    out.push(sectionPath(i));
    for (let j = 1; j < opts.perSection; j++) out.push(`${sectionPath(i)}/${j}`);
  }
  return out.sort();
}

/** The HTML of one chaos page (sections link to their leaves; leaves link nowhere). */
export function chaosPage(path: string, perSection: number): string | null {
  const m = /^\/s\/(\d+)(?:\/(\d+))?$/.exec(path);
  if (!m) return null;
  const links = m[2] === undefined
    ? Array.from({ length: perSection - 1 }, (_, j) => `<a href="${path}/${j + 1}">${j + 1}</a>`)
      .join("")
    : "";
  return `<!doctype html><html><head><title>${path}</title></head><body>${links}</body></html>`;
}

/** Starts the chaos site on 127.0.0.1. */
export async function startChaosSite(opts: ChaosSiteOptions): Promise<ChaosSite> {
  const expected = chaosPaths(opts);
  const known = new Set(expected);
  const fetches = new Map<string, number>();
  const page: Route = async (req, ctx) => {
    const path = new URL(req.url).pathname;
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    const body = known.has(path) ? chaosPage(path, opts.perSection) : null;
    if (opts.delayMs > 0) await sleep(opts.delayMs, ctx.signal);
    return body === null
      ? new Response("not found", { status: 404 })
      : new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
  };
  const site = await startTestSite({ routes: {}, fallback: page, log: false });
  return {
    site,
    seeds: Array.from({ length: opts.sections }, (_, i) => site.url(sectionPath(i))),
    expected,
    fetches,
    close: () => site.close(),
  };
}
