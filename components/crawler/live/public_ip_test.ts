import assert from "node:assert/strict";
import { NetworkGuard } from "../../../lib/net/mod.ts";
import { lookupPublicIp } from "./public_ip.ts";

const REGEX = "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})";
/** The local services below live on 127.0.0.1: the guard must be off to reach them. */
const OPEN = new NetworkGuard({ allowPrivate: true });

Deno.test("lookupPublicIp() reads the first address the service answers", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("Your IP: 203.0.113.7 (and not 10.0.0.1)"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  assert.equal(await lookupPublicIp({ url, regex: REGEX, guard: OPEN }), "203.0.113.7");
});

Deno.test("lookupPublicIp() gives null when unreachable, disabled or without an address", async () => {
  assert.equal(await lookupPublicIp({ url: "", regex: REGEX, guard: OPEN }), null);
  assert.equal(
    await lookupPublicIp({ url: "http://127.0.0.1:9/", regex: REGEX, timeoutMs: 500, guard: OPEN }),
    null,
  );
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("no address here"),
  );
  assert.equal(
    await lookupPublicIp({
      url: `http://127.0.0.1:${server.addr.port}/`,
      regex: REGEX,
      guard: OPEN,
    }),
    null,
  );
});

Deno.test("lookupPublicIp() goes through the network guard: a refused service is not asked", async () => {
  let asked = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => (asked++, new Response("203.0.113.7")),
  );
  const guard = new NetworkGuard();
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    assert.equal(await lookupPublicIp({ url, regex: REGEX, guard }), null);
    assert.equal(asked, 0);
  } finally {
    await guard.close();
  }
});
