import assert from "node:assert/strict";
import { lookupPublicIp } from "./public_ip.ts";

const REGEX = "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})";

Deno.test("lookupPublicIp() reads the first address the service answers", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("Your IP: 203.0.113.7 (and not 10.0.0.1)"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  assert.equal(await lookupPublicIp({ url, regex: REGEX }), "203.0.113.7");
});

Deno.test("lookupPublicIp() gives null when unreachable, disabled or without an address", async () => {
  assert.equal(await lookupPublicIp({ url: "", regex: REGEX }), null);
  assert.equal(
    await lookupPublicIp({ url: "http://127.0.0.1:9/", regex: REGEX, timeoutMs: 500 }),
    null,
  );
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("no address here"),
  );
  assert.equal(
    await lookupPublicIp({ url: `http://127.0.0.1:${server.addr.port}/`, regex: REGEX }),
    null,
  );
});
