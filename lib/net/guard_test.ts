import assert from "node:assert/strict";
import { dropProxyBypass, NetworkGuard } from "./guard.ts";
import { HostLookupError, NetworkRefusedError, type Resolver } from "./policy.ts";
import { REFUSED_SPELLINGS } from "./testdata/spellings.ts";
import { TEST_CA, TEST_CERT, TEST_KEY } from "./testdata/tls.ts";

/** A local server answering every request with its Host header; `seen` logs the paths. */
async function withServer(
  fn: (port: number, seen: string[]) => Promise<void>,
  opts: { tls?: boolean } = {},
): Promise<void> {
  const seen: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(opts.tls && { cert: TEST_CERT, key: TEST_KEY }),
  }, (req) => {
    const url = new URL(req.url);
    seen.push(url.pathname);
    if (url.pathname === "/redirect") {
      return new Response(null, { status: 302, headers: { location: "http://127.0.0.1/x" } });
    }
    return new Response(`host=${req.headers.get("host") ?? url.host}`);
  });
  try {
    await fn(server.addr.port, seen);
  } finally {
    await server.shutdown();
  }
}

const LOOPBACK_NAMES: Resolver = (host) =>
  host.endsWith(".example")
    ? Promise.resolve(["127.0.0.1"])
    : Promise.reject(new Error(`no such host ${host}`));

async function refusal(promise: Promise<unknown>): Promise<NetworkRefusedError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof NetworkRefusedError, String(err));
    return err;
  }
  assert.fail("expected a NetworkRefusedError");
}

Deno.test("`NetworkGuard.fetch()` refuses every spelling of a refused host, sending nothing", async () => {
  await withServer(async (port, seen) => {
    const guard = new NetworkGuard({ resolver: LOOPBACK_NAMES });
    try {
      for (const [host, kind] of REFUSED_SPELLINGS) {
        for (const scheme of ["http", "https"]) {
          const err = await refusal(guard.fetch(`${scheme}://${host}:${port}/spelling`));
          assert.equal(err.kind, kind, `${scheme} ${host}`);
        }
      }
      assert.deepEqual(seen, []);
    } finally {
      await guard.close();
    }
  });
});

Deno.test("`NetworkGuard.fetch()` refuses a name resolving to loopback, http and https", async () => {
  await withServer(async (port, seen) => {
    const guard = new NetworkGuard({ resolver: LOOPBACK_NAMES, caCerts: [TEST_CA] });
    try {
      for (const scheme of ["http", "https"]) {
        const err = await refusal(guard.fetch(`${scheme}://public-looking.example:${port}/`));
        assert.equal(err.address, "127.0.0.1");
        assert.match(err.message, /^public-looking\.example resolves to 127\.0\.0\.1, a loopback/);
      }
      assert.deepEqual(seen, []);
    } finally {
      await guard.close();
    }
  }, { tls: true });
});

Deno.test("`NetworkGuard.fetch()` connects to the checked address, keeping Host (http)", async () => {
  await withServer(async (port, seen) => {
    const guard = new NetworkGuard({ resolver: LOOPBACK_NAMES, allowedNetworks: ["127.0.0.0/8"] });
    try {
      const res = await guard.fetch(`http://public-looking.example:${port}/page`);
      assert.equal(await res.text(), `host=public-looking.example:${port}`);
      // Redirects are the caller's to follow.
      const redirect = await guard.fetch(`http://public-looking.example:${port}/redirect`);
      assert.equal(redirect.status, 302);
      await redirect.body?.cancel();
      assert.deepEqual(seen, ["/page", "/redirect"]);
      await assert.rejects(
        guard.fetch(`http://nowhere.invalid:${port}/`),
        (err: unknown) => err instanceof HostLookupError && /dns error/.test(err.message),
      );
      await assert.rejects(guard.fetch("file:///etc/passwd"), /only http and https/);
    } finally {
      await guard.close();
    }
  });
});

Deno.test("`NetworkGuard.fetch()` tunnels https to the checked address, TLS verified by name", async () => {
  await withServer(async (port, seen) => {
    const guard = new NetworkGuard({
      resolver: LOOPBACK_NAMES,
      allowedNetworks: ["127.0.0.0/8"],
      caCerts: [TEST_CA],
    });
    try {
      const res = await guard.fetch(`https://public-looking.example:${port}/secure`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /public-looking\.example/);
      // The certificate does not name other.example: TLS is between fetch and the server.
      await assert.rejects(guard.fetch(`https://other.example:${port}/wrong-name`));
      assert.deepEqual(seen, ["/secure"]);
    } finally {
      await guard.close();
    }
  }, { tls: true });
});

Deno.test("`NetworkGuard.fetch()` with the guard off is plain fetch, redirect manual", async () => {
  await withServer(async (port, seen) => {
    const guard = new NetworkGuard({ allowPrivate: true });
    try {
      assert.equal(guard.enabled, false);
      const res = await guard.fetch(`http://127.1:${port}/open`);
      assert.equal(await res.text(), `host=127.0.0.1:${port}`);
      const redirect = await guard.fetch(`http://127.0.0.1:${port}/redirect`);
      assert.equal(redirect.status, 302);
      await redirect.body?.cancel();
      assert.deepEqual(await guard.check(`http://127.0.0.1:${port}/`), []);
      assert.deepEqual(seen, ["/open", "/redirect"]);
    } finally {
      await guard.close();
    }
  });
});

Deno.test("`NetworkGuard` keeps a bounded number of clients", async () => {
  await withServer(async (portA) => {
    await withServer(async (portB, seen) => {
      const guard = new NetworkGuard({ allowedNetworks: ["127.0.0.1"], maxClients: 1 });
      try {
        for (const port of [portA, portB, portA, portB]) {
          await (await guard.fetch(`http://127.0.0.1:${port}/lru`)).text();
        }
        assert.equal(seen.length, 2);
      } finally {
        await guard.close();
      }
    });
  });
});

Deno.test("`NetworkGuard.fromSettings()` reads the settings; a bad CIDR throws", () => {
  const guard = NetworkGuard.fromSettings({
    ALLOW_PRIVATE_ADDRESSES: false,
    ALLOWED_PRIVATE_NETWORKS: ["10.0.0.0/8"],
  });
  assert.equal(guard.enabled, true);
  assert.deepEqual(guard.policy.allowedNetworks.map((n) => n.text), ["10.0.0.0/8"]);
  assert.throws(() => new NetworkGuard({ allowedNetworks: ["10.0.0.1/8"] }), /host bits/);
});

Deno.test("`dropProxyBypass()` removes NO_PROXY and no_proxy", () => {
  const env = new Map([["NO_PROXY", "*"], ["no_proxy", "internal"], ["PATH", "/bin"]]);
  const removed = dropProxyBypass({
    get: (n) => env.get(n),
    delete: (n) => void env.delete(n),
  });
  assert.equal(removed, "NO_PROXY=* no_proxy=internal");
  assert.deepEqual([...env.keys()], ["PATH"]);
  assert.equal(dropProxyBypass({ get: () => undefined, delete: () => {} }), null);
});
