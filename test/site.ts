/**
 * The local test website: a real HTTP server on 127.0.0.1 with a table of routes, a log of
 * every request it received, a known link graph ({@linkcode LINK_GRAPH_ROUTES}) for crawler
 * tests and a cheap synthetic site ({@linkcode syntheticSiteHandler}) for the benchmark.
 *
 * @example
 * ```ts ignore
 * import { startTestSite } from "./site.ts";
 *
 * const site = await startTestSite({ routes: { "/": { body: "<a href='/x'>x</a>" } } });
 * try {
 *   const res = await fetch(site.url("/"));
 *   await res.text();
 *   if (site.hits("/") !== 1) throw new Error("not logged");
 * } finally {
 *   await site.close();
 * }
 * ```
 *
 * @module
 */

import { sleep } from "../lib/async/mod.ts";

/** One request the site received. */
export interface SiteRequestLogEntry {
  /** Path and query, e.g. `/a?x=1`. */
  path: string;
  /** When it arrived, ms since the epoch. */
  time: number;
  /** The `User-Agent` header, null when absent. */
  userAgent: string | null;
  /** The `Cookie` header, null when absent. */
  cookie: string | null;
  /** The HTTP method. */
  method: string;
}

/** A running test site. */
export interface TestSite {
  /** `http://127.0.0.1:<port>` (or the `hostname` asked for). */
  origin: string;
  port: number;
  /** The absolute URL of `path` on this site. */
  url(path: string): string;
  /** Every request received, oldest first. */
  requests: SiteRequestLogEntry[];
  /** How many requests `path` (path and query, exactly as logged) received. */
  hits(path: string): number;
  /** Stops the server (pending delayed routes answer at once) and waits until it is down. */
  close(): Promise<void>;
}

/** What a function route gets besides the request. */
export interface RouteContext {
  /** Requests this path (path and query) received so far on this site, this one included. */
  hits: number;
  /** Aborted when the site closes: delays must stop waiting then. */
  signal: AbortSignal;
}

/**
 * A route: a static answer, or a handler. A static answer defaults to status 200 and
 * `text/html; charset=utf-8` for a string body (`application/octet-stream` for bytes);
 * `redirect` answers 302 with that `Location`; `delayMs` waits before answering.
 */
export type Route =
  | {
    status?: number;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
    delayMs?: number;
    redirect?: string;
  }
  | ((req: Request, ctx: RouteContext) => Response | Promise<Response>);

/** Options for {@linkcode startTestSite}. */
export interface TestSiteOptions {
  /**
   * Path → route. A request is matched on its path and query first, then on its path alone.
   * @default {LINK_GRAPH_ROUTES}
   */
  routes?: Record<string, Route>;
  /**
   * The interface to listen on.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The route for paths no entry of `routes` matches (e.g. a {@linkcode syntheticSiteHandler}).
   * @default {a 404 with a small HTML body}
   */
  fallback?: Route;
  /**
   * Keep the request log (`requests`); `hits()` counts either way. Turn it off for long
   * benchmarks.
   * @default {true}
   */
  log?: boolean;
}

const HTML = "text/html; charset=utf-8";
const NOT_FOUND_BODY = "<!doctype html><html><head><title>404 Not Found</title></head>" +
  "<body><h1>Not Found</h1></body></html>";

/** Starts a test site on a free port. Close it with `await site.close()`. */
export function startTestSite(opts: TestSiteOptions = {}): Promise<TestSite> {
  const routes = new Map(Object.entries(opts.routes ?? LINK_GRAPH_ROUTES));
  const keepLog = opts.log ?? true;
  const hostname = opts.hostname ?? "127.0.0.1";
  const requests: SiteRequestLogEntry[] = [];
  const counts = new Map<string, number>();
  const closing = new AbortController();

  const handler = async (req: Request): Promise<Response> => {
    const path = _pathOf(req.url);
    const hits = (counts.get(path) ?? 0) + 1;
    counts.set(path, hits);
    if (keepLog) {
      requests.push({
        path,
        time: Date.now(),
        userAgent: req.headers.get("user-agent"),
        cookie: req.headers.get("cookie"),
        method: req.method,
      });
    }
    const q = path.indexOf("?");
    const route = routes.get(path) ?? (q >= 0 ? routes.get(path.slice(0, q)) : undefined) ??
      opts.fallback;
    if (route === undefined) {
      return new Response(NOT_FOUND_BODY, { status: 404, headers: { "content-type": HTML } });
    }
    if (typeof route === "function") return await route(req, { hits, signal: closing.signal });
    if (route.delayMs) await sleep(route.delayMs, closing.signal);
    if (route.redirect !== undefined) {
      return new Response(null, {
        status: route.status ?? 302,
        headers: { location: route.redirect, ...route.headers },
      });
    }
    const body = route.body ?? "";
    const headers = new Headers(route.headers);
    if (!headers.has("content-type")) {
      headers.set("content-type", typeof body === "string" ? HTML : "application/octet-stream");
    }
    return new Response(body as string | Uint8Array<ArrayBuffer>, {
      status: route.status ?? 200,
      headers,
    });
  };

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname,
      port: 0,
      onListen({ port }) {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        const origin = `http://${host}:${port}`;
        let closed: Promise<void> | null = null;
        resolve({
          origin,
          port,
          url: (path) => new URL(path, origin).href,
          requests,
          hits: (path) => counts.get(path) ?? 0,
          close() {
            closed ??= (async () => {
              closing.abort();
              await server.shutdown();
            })();
            return closed;
          },
        });
      },
    }, handler);
  });
}

/** Path and query of an absolute URL, without parsing it. */
function _pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const hash = url.indexOf("#", start);
  return hash < 0 ? url.slice(start) : url.slice(start, hash);
}

// --- The link graph ------------------------------------------------------------------------

/** A small HTML page; `head` goes into `<head>`, `links` become `<a>` in order. */
function _page(title: string, links: string[], extra = "", head = ""): string {
  const anchors = links.map((href) => `<a href="${href}">${href}</a>`).join("\n");
  return `<!doctype html>\n<html><head><title>${title}</title>${head}</head>\n<body>\n` +
    `<h1>${title}</h1>\n${anchors}\n${extra}</body></html>\n`;
}

/** One byte per character (every character must be below U+0100). */
function _bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** How long `/slow` waits before answering. */
export const SLOW_MS = 3000;

/** The link on `/` to a host that never resolves. */
export const EXTERNAL_LINK = "http://external.invalid/x";

/** Links on `/` that the default `deny_extensions` (Scrapy's IGNORED_EXTENSIONS) drop. */
export const DENIED_LINKS: readonly string[] = Object.freeze(["/file.pdf", "/image.png"]);

/** Redirecting paths → where they land. */
export const REDIRECTS: Readonly<Record<string, string>> = Object.freeze({ "/redirect": "/d" });

/** "café" in ISO-8859-1 bytes (`é` = 0xE9), as served by `/latin1`. */
export const LATIN1_TEXT = "café";

/** "naïve – “quotes”" in windows-1252 bytes, as served by `/meta-charset`. */
export const CP1252_TEXT = "naïve – “quotes”";

/** The windows-1252 bytes of {@linkcode CP1252_TEXT}. */
const CP1252_BYTES = [0x6e, 0x61, 0xef, 0x76, 0x65, 0x20, 0x96, 0x20, 0x93]
  .concat([0x71, 0x75, 0x6f, 0x74, 0x65, 0x73, 0x94]);

/** The bytes `/meta-charset` serves: windows-1252 declared only by `<meta charset>`. */
const META_CHARSET_PAGE = (() => {
  const [before, after] = _page(
    "Meta charset",
    ["/"],
    "<p>@</p>\n",
    '<meta charset="windows-1252">',
  )
    .split("@");
  const a = _bytes(before), b = _bytes(after);
  const out = new Uint8Array(a.length + CP1252_BYTES.length + b.length);
  out.set(a);
  out.set(CP1252_BYTES, a.length);
  out.set(b, a.length + CP1252_BYTES.length);
  return out;
})();

/** A 1×1 transparent PNG. */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** A tiny PDF-looking file with a NUL byte in it. */
const PDF = _bytes("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n\0\ntrailer\n%%EOF\n");

/**
 * The known link graph. Every page is HTML (`text/html; charset=utf-8` unless said otherwise):
 *
 * ```text
 * /             (depth 0) links, in this order:
 *                 /a, /b, /c#frag (= /c), /a (duplicate), mailto:x@y.z, javascript:void(0),
 *                 http://external.invalid/x (never resolves: DNS error),
 *                 /file.pdf, /image.png (binary; dropped by the default deny_extensions),
 *                 /redirect (302 → /d), /missing (404, no route), /error (500 always),
 *                 /slow (answers after SLOW_MS = 3000 ms), <area href="/e"> in a <map>,
 *                 sub/f (relative → /sub/f)
 * /a            → /a1, /a2, / (back link)
 * /b            has <base href="/sub/">; → /b1, /c, /latin1 (absolute paths) and the relative
 *                 link "f", which resolves against the base to /sub/f (not /f!)
 * /c            → /c1, /meta-charset
 * /d            → /d1 (reached only through /redirect)
 * /a1 /a2 /b1 /c1 /d1 /e /sub/f /slow /latin1 /meta-charset   leaves: → / only
 * /latin1       text/html; charset=iso-8859-1, contains "café" as bytes 63 61 66 E9
 * /meta-charset text/html (no charset param), <meta charset="windows-1252">, contains
 *               "naïve – “quotes”" in windows-1252 bytes
 * /file.pdf     application/pdf, binary;  /image.png  image/png, a 1×1 PNG
 * /error        500 with a small HTML body without links
 * /missing      404 (any unknown path: small HTML body without links)
 * /flaky        503 for its first 2 requests on a site, then 200 (no links); linked from
 *               nowhere: tests seed it directly
 * ```
 *
 * The `EXPECTED_DEPTH_*` constants list what a link-following crawl seeded at `/` requests.
 */
export const LINK_GRAPH_ROUTES: Readonly<Record<string, Route>> = Object.freeze({
  "/": {
    body: _page(
      "Root",
      [
        "/a",
        "/b",
        "/c#frag",
        "/a",
        "mailto:x@y.z",
        "javascript:void(0)",
        EXTERNAL_LINK,
        "/file.pdf",
        "/image.png",
        "/redirect",
        "/missing",
        "/error",
        "/slow",
      ],
      '<map name="m"><area shape="rect" coords="0,0,10,10" href="/e" alt="E"></map>\n' +
        '<a href="sub/f">relative sub/f</a>\n',
    ),
  },
  "/a": { body: _page("A", ["/a1", "/a2", "/"]) },
  "/b": {
    body: _page(
      "B",
      ["/b1", "/c", "/latin1"],
      '<a href="f">relative f (base /sub/)</a>\n',
      '<base href="/sub/">',
    ),
  },
  "/c": { body: _page("C", ["/c1", "/meta-charset"]) },
  "/d": { body: _page("D", ["/d1"]) },
  "/a1": { body: _page("A1", ["/"]) },
  "/a2": { body: _page("A2", ["/"]) },
  "/b1": { body: _page("B1", ["/"]) },
  "/c1": { body: _page("C1", ["/"]) },
  "/d1": { body: _page("D1", ["/"]) },
  "/e": { body: _page("E", ["/"]) },
  "/sub/f": { body: _page("F", ["/"]) },
  "/slow": { delayMs: SLOW_MS, body: _page("Slow", ["/"]) },
  "/redirect": { redirect: "/d" },
  "/error": { status: 500, body: _page("Internal Server Error", []) },
  "/latin1": {
    headers: { "content-type": "text/html; charset=iso-8859-1" },
    body: _bytes(_page("Latin-1", ["/"], `<p>${LATIN1_TEXT}</p>\n`)),
  },
  "/meta-charset": { headers: { "content-type": "text/html" }, body: META_CHARSET_PAGE },
  "/file.pdf": { headers: { "content-type": "application/pdf" }, body: PDF },
  "/image.png": { headers: { "content-type": "image/png" }, body: PNG },
  "/flaky": (_req: Request, ctx: RouteContext) =>
    ctx.hits <= 2
      ? new Response(_page("Service Unavailable", []), {
        status: 503,
        headers: { "content-type": HTML },
      })
      : new Response(_page("Flaky", []), { headers: { "content-type": HTML } }),
});

/**
 * Paths (sorted) that a link-following crawl seeded at `/` requests with maxdepth 0, 1, 2,
 * given: only http(s) links; the default deny_extensions (no .pdf/.png); the external link
 * excluded (e.g. `allowed_domains: ["127.0.0.1"]`; without it, a crawler also requests
 * {@linkcode EXTERNAL_LINK} at depth 1 and gets a DNS error); fragments removed; duplicates
 * requested once; `<base href>` honoured; `<area>` followed; redirects followed through the frontier
 * (the request is `/redirect`, its response URL `/d`, and `/d`'s links are depth 2).
 * Whether `/error` (500), `/missing` (404) and `/slow` (3 s) also yield an item depends on the
 * crawler's retry and timeout settings; each is requested at least once. Depth 2 is the whole
 * graph: maxdepth 3 or more requests the same set.
 */
export const EXPECTED_DEPTH_0: readonly string[] = Object.freeze(["/"]);
/** See {@linkcode EXPECTED_DEPTH_0}. 10 paths. */
export const EXPECTED_DEPTH_1: readonly string[] = Object.freeze(
  [
    ...EXPECTED_DEPTH_0,
    "/a",
    "/b",
    "/c",
    "/redirect",
    "/missing",
    "/error",
    "/slow",
    "/e",
    "/sub/f",
  ].sort(),
);
/** See {@linkcode EXPECTED_DEPTH_0}. 17 paths. */
export const EXPECTED_DEPTH_2: readonly string[] = Object.freeze(
  [
    ...EXPECTED_DEPTH_1,
    "/a1",
    "/a2",
    "/b1",
    "/latin1",
    "/c1",
    "/meta-charset",
    "/d1",
  ].sort(),
);

/**
 * A fan-out site: `/` links to `/p0` … `/p<pages-1>`; each page answers `body(i)` (default
 * "page i", no links) after `delayMs`.
 */
export function fanOutRoutes(
  pages: number,
  opts: { delayMs?: number; body?: (i: number) => string } = {},
): Record<string, Route> {
  const routes: Record<string, Route> = {
    "/": { body: Array.from({ length: pages }, (_, i) => `<a href="/p${i}">p${i}</a>`).join("") },
  };
  for (let i = 0; i < pages; i++) {
    routes[`/p${i}`] = { body: opts.body?.(i) ?? `page ${i}`, delayMs: opts.delayMs ?? 0 };
  }
  return routes;
}

// --- The synthetic site --------------------------------------------------------------------

/** Options for {@linkcode syntheticSiteHandler}. */
export interface SyntheticSiteOptions {
  /** Number of pages: `/p/0` … `/p/<pages-1>`. */
  pages: number;
  /** Links on each page (the first always goes to the next page, so all are reachable). */
  linksPerPage: number;
  /** Approximate size of each page in bytes (never less than the links need). */
  pageBytes: number;
  /**
   * Seed of the link choice.
   * @default {1}
   */
  seed?: number;
}

/**
 * A handler for a synthetic site of `pages` HTML pages `/p/<n>`. Page n links first to
 * `/p/<(n+1) % pages>` (so every page is reachable from `/p/0`), then to `linksPerPage - 1`
 * pseudo-random pages, deterministic for a seed ({@linkcode syntheticPageLinks}). Pages are
 * built once and cached (up to 256 MB in all), so serving costs next to nothing. Anything else
 * is a 404.
 *
 * @example
 * ```ts ignore
 * const site = await startTestSite({
 *   routes: {},
 *   fallback: syntheticSiteHandler({ pages: 1000, linksPerPage: 10, pageBytes: 8192 }),
 *   log: false,
 * });
 * ```
 */
export function syntheticSiteHandler(opts: SyntheticSiteOptions): (req: Request) => Response {
  const { pages } = opts;
  const cache = opts.pages * opts.pageBytes <= 256 * 2 ** 20
    ? new Array<Uint8Array<ArrayBuffer> | undefined>(pages)
    : null;
  const encoder = new TextEncoder();
  const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. ";
  const build = (n: number): Uint8Array<ArrayBuffer> => {
    const links = syntheticPageLinks(n, opts)
      .map((m) => `<li><a href="/p/${m}">page ${m}</a></li>`).join("");
    const head = `<!doctype html><html><head><meta charset="utf-8"><title>Page ${n}</title>` +
      `</head><body><h1>Page ${n}</h1><ul>${links}</ul><p>`;
    const tail = "</p></body></html>\n";
    const room = Math.max(0, opts.pageBytes - head.length - tail.length);
    const text = filler.repeat(Math.ceil(room / filler.length)).slice(0, room);
    return encoder.encode(head + text + tail);
  };
  const notFound = encoder.encode(NOT_FOUND_BODY);
  return (req) => {
    const path = _pathOf(req.url);
    let n = -1;
    if (path.startsWith("/p/")) {
      const digits = path.slice(3);
      if (/^\d{1,9}$/.test(digits)) n = Number(digits);
    }
    if (n < 0 || n >= pages) {
      return new Response(notFound, { status: 404, headers: { "content-type": HTML } });
    }
    let body = cache?.[n];
    if (body === undefined) {
      body = build(n);
      if (cache) cache[n] = body;
    }
    return new Response(body, { headers: { "content-type": HTML } });
  };
}

/** The page numbers `/p/<n>` links to on a {@linkcode syntheticSiteHandler} site, in order. */
export function syntheticPageLinks(n: number, opts: SyntheticSiteOptions): number[] {
  const { pages, linksPerPage } = opts;
  const out: number[] = [];
  if (linksPerPage <= 0 || pages <= 0) return out;
  out.push((n + 1) % pages);
  // mulberry32 seeded by (seed, n): deterministic and cheap.
  let state = (Math.imul(opts.seed ?? 1, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0;
  for (let i = 1; i < linksPerPage; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(((t ^ (t >>> 14)) >>> 0) % pages);
  }
  return out;
}
