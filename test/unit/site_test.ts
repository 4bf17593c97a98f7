import assert from "node:assert/strict";
import {
  CP1252_TEXT,
  EXPECTED_DEPTH_0,
  EXPECTED_DEPTH_1,
  EXPECTED_DEPTH_2,
  LATIN1_TEXT,
  LINK_GRAPH_ROUTES,
  startTestSite,
  syntheticPageLinks,
  syntheticSiteHandler,
  type TestSite,
} from "../site.ts";

/** Runs `fn` against a fresh link-graph site and closes it afterwards. */
async function withSite(fn: (site: TestSite) => Promise<void>): Promise<void> {
  const site = await startTestSite();
  try {
    await fn(site);
  } finally {
    await site.close();
  }
}

/** Fetches without following redirects; returns the status, headers and body bytes. */
async function get(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: "manual", ...init });
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: new TextDecoder().decode(body) };
}

/** True when `needle` occurs in `hay`. */
function includesBytes(hay: Uint8Array, needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test("`startTestSite()` listens on 127.0.0.1 and builds URLs", async () => {
  await withSite(async (site) => {
    assert.match(site.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(site.origin, `http://127.0.0.1:${site.port}`);
    assert.equal(site.url("/a?x=1"), `${site.origin}/a?x=1`);
    const res = await get(site.url("/"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  });
});

Deno.test("`startTestSite()` serves the link graph's links on /", async () => {
  await withSite(async (site) => {
    const { text } = await get(site.url("/"));
    for (
      const href of [
        "/a",
        "/b",
        "/c#frag",
        "mailto:x@y.z",
        "javascript:void(0)",
        "http://external.invalid/x",
        "/file.pdf",
        "/image.png",
        "/redirect",
        "/missing",
        "/error",
        "/slow",
        "sub/f",
      ]
    ) {
      assert.ok(text.includes(`<a href="${href}">`), href);
    }
    assert.equal(text.split('<a href="/a">').length - 1, 2, "/a is linked twice");
    assert.match(text, /<map name="m"><area [^>]*href="\/e"/);
    const b = await get(site.url("/b"));
    assert.ok(b.text.includes('<base href="/sub/">'));
    assert.ok(b.text.includes('<a href="f">'));
  });
});

Deno.test("`startTestSite()` answers status codes and redirects", async () => {
  await withSite(async (site) => {
    const missing = await get(site.url("/missing"));
    assert.equal(missing.status, 404);
    assert.match(missing.text, /Not Found/);
    assert.equal(missing.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal((await get(site.url("/error"))).status, 500);
    assert.equal((await get(site.url("/error"))).status, 500, "always 500");
    const redirect = await get(site.url("/redirect"));
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get("location"), "/d");
    const d = await fetch(site.url("/redirect"));
    assert.equal(d.url, site.url("/d"));
    assert.match(await d.text(), /href="\/d1"/);
  });
});

Deno.test("`startTestSite()` serves Latin-1 and meta-declared windows-1252 bytes", async () => {
  await withSite(async (site) => {
    const latin1 = await get(site.url("/latin1"));
    assert.equal(latin1.headers.get("content-type"), "text/html; charset=iso-8859-1");
    assert.ok(includesBytes(latin1.body, [0x63, 0x61, 0x66, 0xe9]));
    assert.equal(new TextDecoder("iso-8859-1").decode(latin1.body).includes(LATIN1_TEXT), true);

    const meta = await get(site.url("/meta-charset"));
    assert.equal(meta.headers.get("content-type"), "text/html");
    assert.ok(meta.text.includes('<meta charset="windows-1252">'));
    assert.ok(includesBytes(meta.body, [0x6e, 0x61, 0xef, 0x76, 0x65, 0x20, 0x96, 0x20, 0x93]));
    assert.ok(new TextDecoder("windows-1252").decode(meta.body).includes(CP1252_TEXT));
  });
});

Deno.test("`startTestSite()` serves binary files with their content types", async () => {
  await withSite(async (site) => {
    const pdf = await get(site.url("/file.pdf"));
    assert.equal(pdf.headers.get("content-type"), "application/pdf");
    assert.deepEqual([...pdf.body.subarray(0, 5)], [...new TextEncoder().encode("%PDF-")]);
    assert.ok(pdf.body.includes(0));
    const png = await get(site.url("/image.png"));
    assert.equal(png.headers.get("content-type"), "image/png");
    assert.deepEqual([...png.body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });
});

Deno.test("`startTestSite()` answers /flaky with 503 twice, then 200, per site", async () => {
  await withSite(async (site) => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(site.url("/flaky"))).status);
    assert.deepEqual(statuses, [503, 503, 200, 200]);
  });
  await withSite(async (site) => {
    assert.equal((await get(site.url("/flaky"))).status, 503, "a new site starts over");
  });
});

Deno.test("`startTestSite()` logs every request with its path, agent and cookie", async () => {
  await withSite(async (site) => {
    const before = Date.now();
    await get(site.url("/a?q=1#frag"), { headers: { "user-agent": "ua/1", cookie: "a=b; c=d" } });
    await get(site.url("/nowhere"), { method: "HEAD" });
    assert.equal(site.requests.length, 2);
    const [first, second] = site.requests;
    assert.deepEqual({ ...first, time: 0 }, {
      path: "/a?q=1",
      time: 0,
      userAgent: "ua/1",
      cookie: "a=b; c=d",
      method: "GET",
    });
    assert.ok(first.time >= before && first.time <= Date.now());
    assert.equal(second.path, "/nowhere");
    assert.equal(second.method, "HEAD");
    assert.equal(second.cookie, null);
    assert.equal(site.hits("/a?q=1"), 1);
    assert.equal(site.hits("/a"), 0, "hits() matches path and query exactly");
    assert.equal(site.hits("/never"), 0);
  });
});

Deno.test("`startTestSite()` takes routes, matches queries and uses a fallback", async () => {
  const site = await startTestSite({
    routes: {
      "/json": { headers: { "content-type": "application/json" }, body: '{"a":1}' },
      "/q?x=1": { body: "exact query" },
      "/q": { body: "any query" },
      "/moved": { redirect: "/json", status: 301 },
      "/fn": (req, ctx) => new Response(`${req.method} ${ctx.hits}`),
    },
    fallback: () => new Response("fallback", { status: 410 }),
  });
  try {
    const json = await get(site.url("/json"));
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.equal(json.text, '{"a":1}');
    assert.equal((await get(site.url("/q?x=1"))).text, "exact query");
    assert.equal((await get(site.url("/q?x=2"))).text, "any query");
    const moved = await get(site.url("/moved"));
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get("location"), "/json");
    assert.equal((await get(site.url("/fn"))).text, "GET 1");
    assert.equal((await get(site.url("/fn"))).text, "GET 2");
    const other = await get(site.url("/"));
    assert.equal(other.status, 410);
    assert.equal(other.text, "fallback");
  } finally {
    await site.close();
  }
});

Deno.test("`startTestSite()` delays routes, and close() cuts the delay short", async () => {
  const site = await startTestSite({ routes: { "/wait": { delayMs: 150, body: "done" } } });
  try {
    const started = performance.now();
    assert.equal((await get(site.url("/wait"))).text, "done");
    assert.ok(performance.now() - started >= 140);
  } finally {
    await site.close();
  }

  const slow = await startTestSite();
  const started = performance.now();
  const pending = get(slow.url("/slow"));
  while (slow.hits("/slow") === 0) await new Promise((r) => setTimeout(r, 5));
  await slow.close();
  await pending.catch(() => {});
  await slow.close(); // idempotent
  assert.ok(performance.now() - started < 2000, "close() does not wait out /slow");
});

Deno.test("`LINK_GRAPH_ROUTES` serves every expected page", () => {
  assert.deepEqual(EXPECTED_DEPTH_0, ["/"]);
  assert.equal(EXPECTED_DEPTH_1.length, 10);
  assert.equal(EXPECTED_DEPTH_2.length, 17);
  for (const path of EXPECTED_DEPTH_1) assert.ok(EXPECTED_DEPTH_2.includes(path));
  for (const path of EXPECTED_DEPTH_2) {
    assert.ok(path === "/missing" || path in LINK_GRAPH_ROUTES, path);
  }
  assert.deepEqual([...EXPECTED_DEPTH_2].sort(), EXPECTED_DEPTH_2);
});

Deno.test("`syntheticSiteHandler()` serves deterministic pages of the asked size", async () => {
  const opts = { pages: 50, linksPerPage: 8, pageBytes: 4096, seed: 7 };
  const handler = syntheticSiteHandler(opts);
  const res = handler(new Request("http://x/p/3"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const text = await res.text();
  assert.ok(Math.abs(new TextEncoder().encode(text).length - 4096) < 32, `${text.length}`);
  const hrefs = [...text.matchAll(/href="\/p\/(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(hrefs, syntheticPageLinks(3, opts));
  assert.equal(hrefs.length, 8);
  assert.equal(hrefs[0], 4);
  assert.ok(hrefs.every((n) => n >= 0 && n < 50));
  assert.deepEqual(syntheticPageLinks(3, opts), syntheticPageLinks(3, { ...opts }));
  assert.notDeepEqual(syntheticPageLinks(3, opts), syntheticPageLinks(3, { ...opts, seed: 8 }));
  assert.equal(await handler(new Request("http://x/p/3")).text(), text, "same bytes again");
  for (const path of ["/p/50", "/p/-1", "/p/x", "/", "/p/3/extra"]) {
    const missing = handler(new Request(`http://x${path}`));
    assert.equal(missing.status, 404, path);
    await missing.body?.cancel();
  }
});

Deno.test("`syntheticSiteHandler()` serves a crawlable site through startTestSite()", async () => {
  const opts = { pages: 20, linksPerPage: 3, pageBytes: 1000 };
  const site = await startTestSite({
    routes: {},
    fallback: syntheticSiteHandler(opts),
    log: false,
  });
  try {
    const seen = new Set<number>([0]);
    const todo = [0];
    while (todo.length > 0) {
      const n = todo.pop()!;
      const { status, text } = await get(site.url(`/p/${n}`));
      assert.equal(status, 200);
      for (const m of text.matchAll(/href="\/p\/(\d+)"/g)) {
        const k = Number(m[1]);
        if (!seen.has(k)) seen.add(k), todo.push(k);
      }
    }
    assert.equal(seen.size, 20, "every page is reachable from /p/0");
    assert.equal(site.requests.length, 0, "log: false keeps no log");
    assert.equal(site.hits("/p/0"), 1);
  } finally {
    await site.close();
  }
});
