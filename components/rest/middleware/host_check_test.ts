import assert from "node:assert/strict";
import { HttpError } from "../errors.ts";
import { newContext } from "./compose.ts";
import { acceptedHostNames, hostCheck, type ListenAddress } from "./host_check.ts";

const route = () => Promise.resolve(new Response("route"));

/** The status `hostCheck(listen)` gives a request with `Host: host` (200: let through). */
async function status(listen: ListenAddress, host: string | null): Promise<number> {
  const headers: Record<string, string> = host === null ? {} : { host };
  try {
    const res = await hostCheck(listen)(route)(
      new Request("http://url.invalid/feed", { headers }),
      newContext(),
    );
    assert.equal(await res.text(), "route");
    return res.status;
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
}

Deno.test("`hostCheck()` lets through the loopback names with the port", async () => {
  const listen = { hostname: "127.0.0.1", port: 5343 };
  for (const host of ["localhost:5343", "127.0.0.1:5343", "[::1]:5343", "LocalHost:5343"]) {
    assert.equal(await status(listen, host), 200, host);
  }
});

Deno.test("`hostCheck()` refuses other names, ports and malformed hosts with 403", async () => {
  const listen = { hostname: "127.0.0.1", port: 5343 };
  const refused = [
    "rebound.example:5343", // DNS rebinding: the attacker's name, resolved to 127.0.0.1
    "localhost.rebound.example:5343",
    "localhost:5344",
    "localhost",
    "localhost:",
    "localhost:5343:5343",
    "127.0.0.1.nip.io:5343",
    "[::1]",
    "::1:5343",
    "2130706433:5343",
    "",
  ];
  for (const host of refused) assert.equal(await status(listen, host), 403, host);
});

Deno.test("`hostCheck()` takes the URL's host when there is no Host header", async () => {
  const check = hostCheck({ hostname: "127.0.0.1", port: 5343 })(route);
  const ok = await check(new Request("http://localhost:5343/"), newContext());
  assert.equal(ok.status, 200);
  await assert.rejects(check(new Request("http://x.example:5343/"), newContext()), HttpError);
});

Deno.test("`hostCheck()` accepts exactly REST_HOST:REST_PORT besides the loopback names", async () => {
  const lan = { hostname: "192.0.2.7", port: 8000 };
  assert.equal(await status(lan, "192.0.2.7:8000"), 200);
  assert.equal(await status(lan, "localhost:8000"), 200);
  assert.equal(await status(lan, "192.0.2.7:8001"), 403);
  const v6 = { hostname: "2001:db8::7", port: 8000 };
  assert.equal(await status(v6, "[2001:db8::7]:8000"), 200);
  assert.deepEqual(acceptedHostNames(v6), ["localhost", "127.0.0.1", "[::1]", "[2001:db8::7]"]);
  // A wildcard is no name anyone addresses: only the loopback names.
  for (const hostname of ["0.0.0.0", "::"]) {
    assert.deepEqual(acceptedHostNames({ hostname, port: 1 }), ["localhost", "127.0.0.1", "[::1]"]);
    assert.equal(await status({ hostname, port: 5343 }, `${hostname}:5343`), 403);
  }
});

Deno.test("`hostCheck()` accepts a missing port on port 80 and any port on port 0", async () => {
  assert.equal(await status({ hostname: "127.0.0.1", port: 80 }, "localhost"), 200);
  assert.equal(await status({ hostname: "127.0.0.1", port: 80 }, "localhost:80"), 200);
  assert.equal(await status({ hostname: "127.0.0.1", port: 0 }, "127.0.0.1:41234"), 200);
  assert.equal(await status({ hostname: "127.0.0.1", port: 0 }, "evil.example:41234"), 403);
});

Deno.test("`hostCheck()` explains the refusal and caps the echoed host", async () => {
  const err = await hostCheck({ hostname: "127.0.0.1", port: 5343 })(route)(
    new Request("http://x/", { headers: { host: `${"a".repeat(1000)}.example` } }),
    newContext(),
  ).catch((e) => e);
  assert.ok(err instanceof HttpError);
  assert.equal(err.message, "The Host header does not name this server.");
  assert.match(err.opts.detail!, /^Host "a{300}" is not localhost:5343, 127\.0\.0\.1:5343, /);
});

Deno.test("`hostCheck(null)` lets everything through (API keys are set)", () => {
  assert.equal(hostCheck(null)(route), route);
});
