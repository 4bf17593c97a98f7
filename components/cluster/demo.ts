/**
 * `deno task cluster --demo`: a first crawl that works anywhere. Besides the cluster it serves
 * the built-in demo site (`demo_site.ts`) on loopback, opens the network guard for that one
 * address (`ALLOWED_PRIVATE_NETWORKS=<address>/32` added to every component's environment,
 * never `ALLOW_PRIVATE_ADDRESSES`), loosens the throttle for that domain alone through the
 * Kafka API (a `domain-update` in ZooKeeper: {@linkcode DEMO_HITS} pops per
 * {@linkcode DEMO_WINDOW_SEC} s instead of the default 10 per minute, so pages arrive within
 * seconds), then feeds a crawl of the site and shows its progress as `feed --watch` does.
 * The components' output is printed above the progress line, so neither garbles the other.
 *
 * The guard does not look at ports: the opening covers every port of the site's address. On
 * 127.0.0.2 (Linux) nothing else of the cluster listens there; where the site has to use
 * 127.0.0.1, the cluster's own services on 127.0.0.1 are reachable through it while the demo
 * runs.
 *
 * @example
 * ```ts ignore
 * const demo = await ClusterDemo.start({ tty: Deno.stdout.isTerminal() });
 * const env = { ...baseEnv, ...demo.env(baseEnv) };
 * // start the components with `env`, their output through demo.print, then:
 * const summary = await demo.run(env);
 * await demo.stop();
 * ```
 *
 * @module
 */

import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import { createKafka, KAFKA_TOPIC_SETTINGS } from "../../lib/services/mod.ts";
import { dumpTopic } from "../kafkadump/dump.ts";
import { feed } from "../kafka-monitor/feed.ts";
import { feedAndWatch } from "../kafka-monitor/feed_watch.ts";
import { KAFKA_MONITOR_SETTINGS } from "../kafka-monitor/settings.ts";
import { ProgressDisplay, type WatchSummary } from "../kafka-monitor/watch_render.ts";
import { DEMO_PAGES, type DemoSite, startDemoSite } from "./demo_site.ts";

/** Pops per window the demo domain is allowed (cluster-wide). */
export const DEMO_HITS = 10;
/** The demo domain's throttle window, seconds: 5 pages a second. */
export const DEMO_WINDOW_SEC = 2;
/** The application id of the demo crawl. */
export const DEMO_APPID = "demo";
/** How long the demo waits for the redis-monitor to confirm the throttle change. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Options of {@linkcode ClusterDemo.start}. */
export interface DemoOptions {
  /**
   * Redraw the progress line in place (a terminal) or print plain lines.
   * @default {Deno.stdout.isTerminal()}
   */
  tty?: boolean;
  /**
   * Receives all output (progress, component lines, summary), as text to write.
   * @default {a synchronous write to stdout}
   */
  write?: (text: string) => void;
  /**
   * Seconds with nothing pending after which the demo crawl counts as finished.
   * @default {5}
   */
  idleSec?: number;
  /** Receives the summary once the demo crawl is watched to the end. */
  onSummary?: (summary: WatchSummary) => void;
}

/** The demo of one `cluster --demo` run: its site, its display, its crawl. */
export class ClusterDemo {
  readonly site: DemoSite;
  readonly display: ProgressDisplay;
  /** The crawl id of the demo crawl (new each run, so the dupefilter never hides a page). */
  readonly crawlid = `demo-${crypto.randomUUID().slice(0, 8)}`;
  readonly #opts: DemoOptions;
  readonly #stop = new AbortController();
  #running: Promise<unknown> = Promise.resolve();

  private constructor(site: DemoSite, opts: DemoOptions) {
    this.site = site;
    this.#opts = opts;
    const tty = opts.tty ?? Deno.stdout.isTerminal();
    const encoder = new TextEncoder();
    this.display = new ProgressDisplay({
      tty,
      write: opts.write ?? ((text) => Deno.stdout.writeSync(encoder.encode(text))),
      label: "demo ",
      ...(tty && opts.write === undefined && { columns: Deno.consoleSize().columns }),
    });
  }

  /** Starts the demo site. */
  static async start(opts: DemoOptions = {}): Promise<ClusterDemo> {
    return new ClusterDemo(await startDemoSite(), opts);
  }

  /** The site's address as a one-host network, e.g. `127.0.0.2/32`. */
  get network(): string {
    return `${this.site.address}/32`;
  }

  /** What the components' environment needs: the guard opened for the site's address. */
  env(base: Record<string, string | undefined>): Record<string, string> {
    const existing = (base.ALLOWED_PRIVATE_NETWORKS ?? "").trim();
    return { ALLOWED_PRIVATE_NETWORKS: existing ? `${existing},${this.network}` : this.network };
  }

  /** Prints a line (a component's) above the progress line. */
  readonly print = (line: string): void => this.display.print(line);

  /** The crawl request the demo feeds. */
  crawlRequest(): Record<string, unknown> {
    return { url: `${this.site.origin}/`, appid: DEMO_APPID, crawlid: this.crawlid, maxdepth: 2 };
  }

  /**
   * Loosens the throttle of the site's domain, feeds the crawl and watches it; resolves with
   * the summary, or null when it could not feed (the reason is printed).
   */
  run(env: Record<string, string | undefined>): Promise<WatchSummary | null> {
    const running = this.#run(env);
    this.#running = running.catch(() => {});
    return running;
  }

  async #run(env: Record<string, string | undefined>): Promise<WatchSummary | null> {
    const log = getLog("cluster");
    const signal = this.#stop.signal;
    const print = this.print;
    print(
      `Demo site ${this.site.origin}/ (${DEMO_PAGES.length} pages and a robots.txt); the network guard lets ` +
        `${this.network} through (ALLOWED_PRIVATE_NETWORKS), nothing else`,
    );
    let settings;
    try {
      settings = loadSettings(KAFKA_MONITOR_SETTINGS, { env });
    } catch (err) {
      print(`Cannot run the demo: ${(err as Error).message}`);
      return null;
    }
    const uuid = `demo-throttle-${crypto.randomUUID().slice(0, 8)}`;
    const update = {
      uuid,
      appid: DEMO_APPID,
      action: "domain-update",
      domain: this.site.address,
      hits: DEMO_HITS,
      window: DEMO_WINDOW_SEC,
      scale: 1,
    };
    const prefix = loadSettings({ KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX }, {
      env,
    }).KAFKA_TOPIC_PREFIX;
    const answer = await this.#ask(
      settings,
      outboundFirehose(prefix),
      uuid,
      () => feed(JSON.stringify(update), settings, log),
    );
    if (signal.aborted) return null;
    print(
      answer === null
        ? `No answer to the demo's throttle change within ${ANSWER_TIMEOUT_MS / 1000} s: ` +
          "the crawl may go at the default pace (QUEUE_HITS per QUEUE_WINDOW)"
        : `Throttle of ${this.site.address}: ${DEMO_HITS} pages per ${DEMO_WINDOW_SEC} s ` +
          "(domain-update in ZooKeeper; other domains keep the defaults)",
    );
    let summary: WatchSummary | null = null;
    const code = await feedAndWatch(JSON.stringify(this.crawlRequest()), settings, log, {
      idleSec: this.#opts.idleSec ?? 5,
      display: this.display,
      signal,
      onSummary: (s) => summary = s,
    });
    if (code !== 0 || summary === null) return null;
    this.#opts.onSummary?.(summary);
    if ((summary as WatchSummary).ending === "finished") {
      print(
        "The cluster keeps running: feed more crawls in another terminal (see the lines " +
          "above), or Ctrl-C to stop it.",
      );
    }
    return summary;
  }

  /** Feeds through `send` and waits for the answer carrying `uuid`; null on timeout or stop. */
  async #ask(
    settings: Parameters<typeof feed>[1],
    topic: string,
    uuid: string,
    send: () => Promise<unknown>,
  ): Promise<Record<string, unknown> | null> {
    const done = new AbortController();
    const onStop = () => done.abort();
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(() => done.abort(), ANSWER_TIMEOUT_MS);
    let answer: Record<string, unknown> | null = null;
    const ready = Promise.withResolvers<void>();
    const reading = dumpTopic(createKafka(settings, "cluster-demo"), topic, {
      signal: done.signal,
      onReady: () => ready.resolve(),
      write: (line) => {
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          return; // not an answer of ours
        }
        if (message?.uuid !== uuid) return;
        answer = message;
        done.abort();
      },
    });
    try {
      await Promise.race([ready.promise, reading]);
      if (!done.signal.aborted) await send();
      await reading;
    } catch (err) {
      this.print(`Cannot change the demo's throttle: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      done.abort();
      this.#stop.signal.removeEventListener("abort", onStop);
    }
    return answer;
  }

  /** Stops watching and the site (the crawl itself ends with the cluster). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.display.end();
    await this.site.close();
  }
}
