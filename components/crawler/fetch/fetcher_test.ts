import assert from "node:assert/strict";
import {
  CP1252_TEXT,
  LATIN1_TEXT,
  LINK_GRAPH_ROUTES,
  type Route,
  startTestSite,
  type TestSite,
} from "../../../test/site.ts";
import {
  cookieHeader,
  DEFAULT_USER_AGENT,
  FetchError,
  type FetchOptions,
  fetchPage,
  isRedirect,
} from "./fetcher.ts";

const OPTS: FetchOptions = { timeoutMs: 5000, maxBytes: 1 << 20 };
const encode = (text: string) => new TextEncoder().encode(text);

/** Runs `fn` against a site serving the link graph plus `routes`, then closes it. */
async function withSite(
  fn: (site: TestSite) => Promise<void>,
  routes: Record<string, Route> = {},
): Promise<void> {
  const site = await startTestSite({ routes: { ...LINK_GRAPH_ROUTES, ...routes } });
  try {
    await fn(site);
  } finally {
    await site.close();
  }
}

/** The FetchError `promise` rejects with. */
async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FetchError, String(err));
    return err;
  }
  assert.fail("expected a FetchError");
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

// --- fetchPage() ---------------------------------------------------------------------------

Deno.test("`fetchPage()` downloads a page with its status, headers and text", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/a"), OPTS);
    assert.equal(page.url, site.url("/a"));
    assert.equal(page.responseUrl, site.url("/a"));
    assert.equal(page.status, 200);
    assert.equal(page.statusText, "OK");
    assert.equal(page.contentType, "text/html");
    assert.deepEqual(page.headers["content-type"], ["text/html; charset=utf-8"]);
    assert.ok(Object.keys(page.headers).every((name) => name === name.toLowerCase()));
    assert.equal(page.encoding, "utf-8");
    assert.match(page.text ?? "", /<a href="\/a1">/);
    assert.equal(page.text, new TextDecoder().decode(page.body));
    assert.equal(page.truncated, false);
    assert.equal(page.requestHeaders["User-Agent"], DEFAULT_USER_AGENT);
    assert.equal(page.requestHeaders["Accept-Encoding"], "gzip, br");
  });
});

Deno.test("`fetchPage()` returns error statuses as pages", async () => {
  await withSite(async (site) => {
    const missing = await fetchPage(site.url("/missing"), OPTS);
    assert.equal(missing.status, 404);
    assert.equal(missing.statusText, "Not Found");
    assert.match(missing.text ?? "", /Not Found/);
    const error = await fetchPage(site.url("/error"), OPTS);
    assert.equal(error.status, 500);
    const flaky = await fetchPage(site.url("/flaky"), OPTS);
    assert.equal(flaky.status, 503);
  });
});

Deno.test("`fetchPage()` returns a redirect as it is, without following it", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/redirect"), { ...OPTS, userAgent: "bot/2" });
    assert.equal(page.url, site.url("/redirect"));
    assert.equal(page.responseUrl, site.url("/redirect"));
    assert.ok(isRedirect(page.status, page.headers), `status ${page.status}`);
    assert.deepEqual(page.headers["location"], ["/d"]);
    assert.equal(page.body.length, 0, "no body for a redirect");
    assert.equal(page.text, null);
    assert.equal(page.requestHeaders["User-Agent"], "bot/2");
    assert.deepEqual(site.requests.map((r) => [r.path, r.userAgent]), [["/redirect", "bot/2"]]);
  });
});

Deno.test("`fetchPage()` returns every redirect status as it is, Location unresolved", async () => {
  const routes: Record<string, Route> = {
    "/r/301": { status: 301, redirect: "/r/302" },
    "/r/302": { status: 302, redirect: "303" }, // relative to /r/
    "/r/303": { status: 303, redirect: "../r/307?x=1#frag" },
    "/r/307": { status: 307, redirect: "/r/308" },
    "/r/308": (req) =>
      new Response(null, { status: 308, headers: { location: new URL("/b1", req.url).href } }),
    "/r/none": { status: 302, body: "no location" },
    "/loop": { redirect: "/loop" },
    "/to-mailto": { redirect: "mailto:x@y.z" },
  };
  await withSite(async (site) => {
    const expected: [string, number, string][] = [
      ["/r/301", 301, "/r/302"],
      ["/r/302", 302, "303"],
      ["/r/303", 303, "../r/307?x=1#frag"],
      ["/r/307", 307, "/r/308"],
      ["/r/308", 308, site.url("/b1")],
      ["/loop", 302, "/loop"],
      ["/to-mailto", 302, "mailto:x@y.z"],
    ];
    for (const [path, status, location] of expected) {
      const page = await fetchPage(site.url(path), OPTS);
      assert.equal(page.status, status, path);
      assert.deepEqual(page.headers["location"], [location], path);
      assert.equal(page.responseUrl, site.url(path));
    }
    assert.deepEqual(
      site.requests.map((r) => `${r.method} ${r.path}`),
      expected.map(([path]) => `GET ${path}`),
      "one request each, no redirect followed",
    );
    const none = await fetchPage(site.url("/r/none"), OPTS);
    assert.equal(none.status, 302, "a 3xx without Location is the page");
    assert.equal(none.text, "no location");
    assert.equal(isRedirect(none.status, none.headers), false);
  }, routes);
});

Deno.test("`isRedirect()` wants a redirect status and a Location", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    assert.equal(isRedirect(status, { Location: ["/x"] }), true);
    assert.equal(isRedirect(status, new Headers({ location: "/x" })), true);
    assert.equal(isRedirect(status, {}), false);
  }
  for (const status of [200, 300, 304, 305, 404]) {
    assert.equal(isRedirect(status, { location: ["/x"] }), false);
  }
});

Deno.test("`fetchPage()` times out as a whole with a retryable error", async () => {
  await withSite(async (site) => {
    const started = performance.now();
    const err = await fetchError(fetchPage(site.url("/slow"), { ...OPTS, timeoutMs: 150 }));
    assert.equal(err.kind, "timeout");
    assert.equal(err.retryable, true);
    assert.ok(performance.now() - started < 1000);
  });
});

Deno.test("`fetchPage()` times out on a body that trickles in", async () => {
  const routes: Record<string, Route> = {
    "/trickle": (_req, ctx) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encode("<html>"));
          timer = setTimeout(() => controller.close(), 2000);
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            controller.close();
          });
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return new Response(body, { headers: { "content-type": "text/html" } });
    },
  };
  await withSite(async (site) => {
    const err = await fetchError(fetchPage(site.url("/trickle"), { ...OPTS, timeoutMs: 200 }));
    assert.equal(err.kind, "timeout");
  }, routes);
});

Deno.test("`fetchPage()` reports a refused connection as retryable", async () => {
  const err = await fetchError(fetchPage(`http://127.0.0.1:${closedPort()}/`, OPTS));
  assert.equal(err.kind, "connection");
  assert.equal(err.retryable, true);
  assert.match(err.message, /^Cannot fetch http:\/\/127\.0\.0\.1:\d+\/: /);
});

Deno.test("`fetchPage()` reports a DNS failure as retryable", async () => {
  const err = await fetchError(fetchPage("http://external.invalid/x", OPTS));
  assert.equal(err.kind, "dns");
  assert.equal(err.retryable, true);
});

Deno.test("`fetchPage()` refuses invalid URLs and other schemes", async () => {
  for (const url of ["not a url", "mailto:x@y.z", "ftp://127.0.0.1/", "javascript:void(0)"]) {
    const err = await fetchError(fetchPage(url, OPTS));
    assert.equal(err.kind, "invalid_url", url);
    assert.equal(err.retryable, false);
  }
});

Deno.test("`fetchPage()` stops reading at maxBytes and marks the page truncated", async () => {
  const big = "<html>" + "x".repeat(300_000) + "</html>";
  await withSite(async (site) => {
    const cut = await fetchPage(site.url("/big"), { ...OPTS, maxBytes: 100 });
    assert.equal(cut.body.length, 100);
    assert.equal(cut.truncated, true);
    assert.equal(cut.text, big.slice(0, 100));
    const exact = await fetchPage(site.url("/big"), { ...OPTS, maxBytes: big.length });
    assert.equal(exact.truncated, false);
    assert.equal(exact.text, big);
    const unlimited = await fetchPage(site.url("/big"), { ...OPTS, maxBytes: 0 });
    assert.equal(unlimited.body.length, big.length);
    assert.equal(unlimited.truncated, false);
    // Without a Content-Length the body streams in chunks.
    const chunked = await fetchPage(site.url("/chunked"), { ...OPTS, maxBytes: 2500 });
    assert.equal(chunked.truncated, true);
    assert.equal(chunked.text, "a".repeat(1000) + "b".repeat(1000) + "c".repeat(500));
    const fits = await fetchPage(site.url("/chunked"), { ...OPTS, maxBytes: 3000 });
    assert.equal(fits.truncated, false);
    assert.equal(fits.body.length, 3000);
  }, {
    "/big": { body: big },
    "/chunked": () =>
      new Response(
        ReadableStream.from(["a", "b", "c"].map((c) => encode(c.repeat(1000)))),
        { headers: { "content-type": "text/plain" } },
      ),
  });
});

Deno.test("`fetchPage()` decompresses gzip bodies", async () => {
  const html = "<html><body>" + "gzip me ".repeat(500) + "</body></html>";
  const routes: Record<string, Route> = {
    "/gz": async (req) => {
      const gz = await new Response(
        new Blob([html]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer();
      return new Response(gz, {
        headers: {
          "content-type": "text/html",
          "content-encoding": "gzip",
          "x-accept-encoding": req.headers.get("accept-encoding") ?? "",
        },
      });
    },
  };
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/gz"), OPTS);
    assert.equal(page.text, html);
    assert.deepEqual(page.headers["x-accept-encoding"], ["gzip, br"]);
    const cut = await fetchPage(site.url("/gz"), { ...OPTS, maxBytes: 100 });
    assert.equal(cut.truncated, true, "maxBytes counts decompressed bytes");
    assert.equal(cut.text, html.slice(0, 100));
  }, routes);
});

Deno.test("`fetchPage()` decodes a Latin-1 page declared in the header", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/latin1"), OPTS);
    assert.equal(page.encoding, "windows-1252");
    assert.ok(page.text?.includes(`<p>${LATIN1_TEXT}</p>`), page.text ?? "");
  });
});

Deno.test("`fetchPage()` decodes a page declared by <meta charset>", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/meta-charset"), OPTS);
    assert.equal(page.contentType, "text/html");
    assert.equal(page.encoding, "windows-1252");
    assert.ok(page.text?.includes(CP1252_TEXT), page.text ?? "");
  });
});

Deno.test("`fetchPage()` keeps binary bodies as bytes without text", async () => {
  await withSite(async (site) => {
    const png = await fetchPage(site.url("/image.png"), OPTS);
    assert.equal(png.contentType, "image/png");
    assert.equal(png.text, null);
    assert.equal(png.encoding, null);
    assert.deepEqual([...png.body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const pdf = await fetchPage(site.url("/file.pdf"), OPTS);
    assert.equal(pdf.text, null);
    const unknown = await fetchPage(site.url("/blob"), OPTS);
    assert.equal(unknown.contentType, "");
    assert.equal(unknown.text, null, "NUL bytes in an untyped body: binary");
    const plain = await fetchPage(site.url("/untyped"), OPTS);
    assert.equal(plain.text, "just text");
    assert.equal(plain.encoding, "utf-8");
  }, {
    "/blob": () => new Response(new Uint8Array([1, 0, 2])),
    "/untyped": () => new Response(encode("just text")),
  });
});

Deno.test("`fetchPage()` sends the user agent, cookies and extra headers", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/a"), {
      ...OPTS,
      userAgent: "my-agent/1.0",
      cookie: "session=abc; Path=/; Domain=.example.com; Secure; HttpOnly; lang=en; " +
        "expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=3600; SameSite=Lax",
      headers: { "x-extra": "1", "accept-language": "fr" },
    });
    assert.deepEqual(site.requests.map((r) => [r.userAgent, r.cookie]), [
      ["my-agent/1.0", "session=abc; lang=en"],
    ]);
    assert.equal(page.requestHeaders["User-Agent"], "my-agent/1.0");
    assert.equal(page.requestHeaders["Cookie"], "session=abc; lang=en");
    assert.equal(page.requestHeaders["x-extra"], "1");
    assert.equal(page.requestHeaders["accept-language"], "fr");
    assert.equal(page.requestHeaders["Accept-Language"], undefined, "replaced, not doubled");

    await fetchPage(site.url("/b"), { ...OPTS, userAgent: null, headers: { "user-agent": "h/1" } });
    assert.equal(site.requests[1].userAgent, "h/1");
    assert.equal(site.requests[1].cookie, null);
  });
});

Deno.test("`fetchPage()` sends the cookie with a redirect's request and follows nowhere", async () => {
  const other = await startTestSite({ hostname: "127.0.0.2", routes: { "/x": { body: "x" } } });
  try {
    await withSite(async (site) => {
      const away = await fetchPage(site.url("/away"), { ...OPTS, cookie: "a=1", userAgent: "u/1" });
      assert.equal(away.responseUrl, site.url("/away"));
      assert.equal(away.requestHeaders.Cookie, "a=1");
      assert.deepEqual(site.requests.map((r) => [r.userAgent, r.cookie]), [["u/1", "a=1"]]);
      assert.deepEqual(other.requests, [], "the other host is never asked");
    }, { "/away": { redirect: other.url("/x") } });
  } finally {
    await other.close();
  }
});

Deno.test("`fetchPage()` keeps repeated response headers and each Set-Cookie", async () => {
  await withSite(async (site) => {
    const page = await fetchPage(site.url("/cookies"), OPTS);
    assert.deepEqual(page.headers["set-cookie"], ["a=1; Path=/", "b=2"]);
    assert.deepEqual(page.headers["x-multi"], ["1, 2"]);
  }, {
    "/cookies": () => {
      const headers = new Headers({ "X-Multi": "1" });
      headers.append("x-multi", "2");
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2");
      return new Response("ok", { headers });
    },
  });
});

Deno.test("`fetchPage()` stops with a non-retryable error when its signal aborts", async () => {
  await withSite(async (site) => {
    const pre = await fetchError(
      fetchPage(site.url("/a"), { ...OPTS, signal: AbortSignal.abort() }),
    );
    assert.equal(pre.kind, "aborted");
    assert.equal(pre.retryable, false);

    const controller = new AbortController();
    const pending = fetchPage(site.url("/slow"), { ...OPTS, signal: controller.signal });
    while (site.hits("/slow") === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const mid = await fetchError(pending);
    assert.equal(mid.kind, "aborted");
    assert.equal(mid.retryable, false);
  });
});

// --- helpers -------------------------------------------------------------------------------

Deno.test("`cookieHeader()` keeps name=value pairs and drops attributes", () => {
  assert.equal(cookieHeader("a=b; c=d"), "a=b; c=d");
  assert.equal(cookieHeader(" a = b ;;c=d=e; path=/; DOMAIN=x; secure; HTTPONLY"), "a=b; c=d=e");
  assert.equal(cookieHeader("samesite=None; max-age=1; expires=now"), "");
  assert.equal(cookieHeader("x=1\r\nInjected: yes"), "x=1 Injected: yes");
  assert.equal(cookieHeader(""), "");
});

Deno.test("`FetchError` carries its kind, URL and retryability", () => {
  const err = new FetchError("dns", "http://x/", "Cannot fetch http://x/: DNS lookup failed");
  assert.ok(err instanceof Error);
  assert.equal(err.name, "FetchError");
  assert.equal(err.url, "http://x/");
  assert.equal(err.retryable, true);
  assert.equal(new FetchError("aborted", "u", "m").retryable, false);
  assert.equal(new FetchError("too_many_redirects", "u", "m").retryable, false);
});
