import assert from "node:assert/strict";
import { startTestSite } from "../../../test/site.ts";
import { NetworkGuard } from "../../../lib/net/mod.ts";
import { FetchError } from "../fetch/fetcher.ts";
import { fetchRobots, MAX_ROBOTS_REDIRECTS } from "./fetch_robots.ts";

const opts = { timeoutMs: 2000, maxBytes: 10_000_000, userAgent: "crawl-cluster/0.1" };

Deno.test("`fetchRobots()` turns each kind of answer into its verdict", async () => {
  const site = await startTestSite({
    routes: {
      "/ok/robots.txt": {
        body: "User-agent: *\nDisallow: /x\n",
        headers: { "content-type": "text/plain" },
      },
      "/gone/robots.txt": { status: 410, body: "gone" },
      "/down/robots.txt": { status: 503, body: "down" },
      "/busy/robots.txt": { status: 429, body: "slow down" },
      "/moved/robots.txt": { redirect: "/ok/robots.txt" },
      "/loop/robots.txt": { redirect: "/loop/robots.txt" },
    },
  });
  try {
    // Paths stand in for origins here: fetchRobots fetches the URL it is given.
    assert.deepEqual(await fetchRobots(site.url("/ok/robots.txt"), opts), {
      kind: "rules",
      status: 200,
      text: "User-agent: *\nDisallow: /x\n",
    });
    assert.equal((await fetchRobots(site.url("/missing/robots.txt"), opts)).kind, "allow");
    assert.equal((await fetchRobots(site.url("/gone/robots.txt"), opts)).kind, "allow");
    assert.equal((await fetchRobots(site.url("/down/robots.txt"), opts)).kind, "retry");
    assert.equal((await fetchRobots(site.url("/busy/robots.txt"), opts)).kind, "retry");
    const moved = await fetchRobots(site.url("/moved/robots.txt"), opts);
    assert.equal(moved.kind, "rules", "a redirect is followed");
    const loop = await fetchRobots(site.url("/loop/robots.txt"), opts);
    assert.equal(loop.kind, "allow");
    assert.equal(site.hits("/loop/robots.txt"), MAX_ROBOTS_REDIRECTS + 1);
    // Never the crawl's cookie: robots.txt is not a page of any crawl.
    assert.ok(site.requests.every((r) => r.cookie === null && r.userAgent === opts.userAgent));
  } finally {
    await site.close();
  }
});

Deno.test("`fetchRobots()` calls an origin that does not answer unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const got = await fetchRobots(`http://127.0.0.1:${port}/robots.txt`, opts);
  assert.equal(got.kind, "unreachable");
});

Deno.test("`fetchRobots()` flags a name that does not resolve, throws a refused origin, drops a refused redirect", async () => {
  const site = await startTestSite({
    routes: {
      // Private, outside the guard's allowed range: refused before any connection.
      "/robots.txt": { redirect: "http://10.0.0.1/robots.txt" },
    },
  });
  // Names ending in .example resolve to the site (loopback); others do not resolve at all.
  const resolver = (host: string) =>
    host.endsWith(".example")
      ? Promise.resolve(["127.0.0.1"])
      : Promise.reject(new Error(`no such host ${host}`));
  const open = new NetworkGuard({ resolver, allowedNetworks: ["127.0.0.0/8"] });
  const closed = new NetworkGuard({ resolver });
  try {
    const missing = await fetchRobots("http://missing.invalid/robots.txt", {
      ...opts,
      guard: open,
    });
    assert.deepEqual(missing.kind === "unreachable" && missing.dns, true);
    // The origin itself refused: its pages would be too, so the refusal is the caller's.
    await assert.rejects(
      fetchRobots(`http://site.example:${site.port}/robots.txt`, { ...opts, guard: closed }),
      (err) => err instanceof FetchError && err.kind === "refused",
    );
    // A redirect the guard refuses is not followed: no robots.txt, everything allowed.
    const moved = await fetchRobots(`http://site.example:${site.port}/robots.txt`, {
      ...opts,
      guard: open,
    });
    assert.equal(moved.kind, "allow");
    assert.equal(site.hits("/robots.txt"), 1);
  } finally {
    await open.close();
    await closed.close();
    await site.close();
  }
});
