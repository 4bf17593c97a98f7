/**
 * The built-in demo site of `deno task cluster --demo`: 21 small interlinked HTML pages made
 * in code (a home page, four topics, four articles per topic), a robots.txt that keeps crawlers
 * out of `/drafts/` (the home page links there, so the demo shows a refusal too), served on a
 * free loopback port so a first crawl works without internet access.
 *
 * It listens on 127.0.0.2 where the system allows it (Linux routes all of 127.0.0.0/8 to the
 * loopback interface), otherwise on 127.0.0.1: the network guard is opened for the site's
 * address alone, and on 127.0.0.2 nothing of the cluster's own listens (Redis, Kafka and REST
 * bind 127.0.0.1), so the crawler cannot be sent to them through the opening.
 *
 * @example
 * ```ts ignore
 * const site = await startDemoSite();
 * console.log(site.origin); // http://127.0.0.2:40123
 * await site.close();
 * ```
 *
 * @module
 */

/** The topics of the demo site, each with {@linkcode ARTICLES_PER_TOPIC} articles. */
export const DEMO_TOPICS: readonly string[] = ["rivers", "mountains", "forests", "deserts"];
const ARTICLES_PER_TOPIC = 4;

/** Every page a crawl of depth 2 from `/` fetches (robots.txt aside), in path order. */
export const DEMO_PAGES: readonly string[] = [
  "/",
  ...DEMO_TOPICS.flatMap((topic) => [
    `/${topic}/`,
    ...Array.from({ length: ARTICLES_PER_TOPIC }, (_, i) => `/${topic}/${i + 1}.html`),
  ]),
].sort();

/** The page robots.txt disallows (linked from the home page). */
export const DEMO_DISALLOWED = "/drafts/";

/** A running demo site. */
export interface DemoSite {
  /** `http://<address>:<port>`. */
  readonly origin: string;
  /** The address it listens on, `127.0.0.2` or `127.0.0.1`. */
  readonly address: string;
  /** Requests served so far, by path (robots.txt included). */
  readonly hits: ReadonlyMap<string, number>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Addresses tried in order; the first that can be bound is used. */
const ADDRESSES = ["127.0.0.2", "127.0.0.1"] as const;

/** Starts the site on a free port of the first loopback address that can be bound. */
export function startDemoSite(addresses: readonly string[] = ADDRESSES): Promise<DemoSite> {
  const hits = new Map<string, number>();
  const handler = (req: Request): Response => {
    const path = new URL(req.url).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    return demoResponse(path);
  };
  let lastError: unknown;
  for (const address of addresses) {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({ hostname: address, port: 0, onListen: () => {} }, handler);
    } catch (err) {
      lastError = err; // e.g. 127.0.0.2 on macOS, where only 127.0.0.1 is configured
      continue;
    }
    const origin = `http://${address}:${server.addr.port}`;
    return Promise.resolve({ origin, address, hits, close: () => server.shutdown() });
  }
  return Promise.reject(
    new Error(`Cannot start the demo site on ${addresses.join(" or ")}: ${lastError}`),
  );
}

/** The answer for `path`: a page, robots.txt, or 404. */
export function demoResponse(path: string): Response {
  if (path === "/robots.txt") {
    return new Response(`User-agent: *\nDisallow: ${DEMO_DISALLOWED}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const html = demoPage(path);
  if (html === null) return new Response("Not found", { status: 404 });
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** The HTML of a page of the site, or null for a path that is not one. */
export function demoPage(path: string): string | null {
  if (path === "/") {
    return page(
      "Crawl Cluster demo",
      "A small site to crawl, served by deno task cluster --demo.",
      [
        ...DEMO_TOPICS.map((t) => link(`/${t}/`, title(t))),
        link(DEMO_DISALLOWED, "Drafts (robots.txt keeps crawlers out)"),
      ],
    );
  }
  if (path === DEMO_DISALLOWED) return page("Drafts", "Crawlers never see this page.", []);
  const match = /^\/([a-z]+)\/(?:(\d+)\.html)?$/.exec(path);
  const topic = match?.[1];
  if (!topic || !DEMO_TOPICS.includes(topic)) return null;
  const articles = Array.from({ length: ARTICLES_PER_TOPIC }, (_, i) => i + 1);
  if (match[2] === undefined) {
    return page(title(topic), `Articles about ${topic}.`, [
      link("/", "Home"),
      ...articles.map((n) => link(`/${topic}/${n}.html`, `${title(topic)}, part ${n}`)),
    ]);
  }
  const n = Number(match[2]);
  if (!articles.includes(n)) return null;
  // Articles link home, to their topic and to their neighbours: many links, few new pages.
  return page(`${title(topic)}, part ${n}`, `Part ${n} of ${ARTICLES_PER_TOPIC} on ${topic}.`, [
    link("/", "Home"),
    link(`/${topic}/`, title(topic)),
    ...articles.filter((m) => m !== n).map((m) => link(`/${topic}/${m}.html`, `Part ${m}`)),
  ]);
}

function page(heading: string, text: string, links: string[]): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${heading}` +
    `</title></head>\n<body><h1>${heading}</h1><p>${text}</p>\n<ul>\n${
      links.map((l) => `  <li>${l}</li>\n`).join("")
    }</ul></body></html>\n`;
}

function link(href: string, text: string): string {
  return `<a href="${href}">${text}</a>`;
}

function title(topic: string): string {
  return topic[0].toUpperCase() + topic.slice(1);
}
