import assert from "node:assert/strict";
import { loadSettings } from "../../lib/config/mod.ts";
import { exposureRefusal, isLoopbackHostname } from "./exposure.ts";
import { startRestService } from "./service.ts";
import { REST_SETTINGS } from "./settings.ts";
import { getLog } from "../../lib/config/mod.ts";

Deno.test("`isLoopbackHostname()` knows localhost, 127.0.0.0/8 and ::1", () => {
  for (const h of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]) {
    assert.ok(isLoopbackHostname(h), h);
  }
  const exposed = [
    "0.0.0.0",
    "::",
    "192.168.1.5",
    "10.0.0.1",
    "example.com",
    "127.0.0.256",
    "127.1",
  ];
  for (const h of exposed) assert.ok(!isLoopbackHostname(h), h);
});

Deno.test("`exposureRefusal()` refuses a non-loopback REST_HOST without keys or REST_ALLOW_NO_AUTH", () => {
  const base = { REST_HOST: "0.0.0.0", REST_API_KEYS: [], REST_ALLOW_NO_AUTH: false };
  assert.equal(
    exposureRefusal(base),
    "Cannot start: REST_HOST is 0.0.0.0, which other machines may reach, and REST_API_KEYS is " +
      "empty; set REST_API_KEYS, or REST_ALLOW_NO_AUTH=true to serve without keys on purpose",
  );
  assert.ok(exposureRefusal({ ...base, REST_HOST: "192.168.1.5" }) !== null);
  assert.equal(exposureRefusal({ ...base, REST_API_KEYS: ["k"] }), null);
  assert.equal(exposureRefusal({ ...base, REST_ALLOW_NO_AUTH: true }), null);
  assert.equal(exposureRefusal({ ...base, REST_HOST: "127.0.0.1" }), null);
});

Deno.test("`startRestService()` on 0.0.0.0 without REST_API_KEYS stops before connecting", async () => {
  // Nothing listens on these ports: a service that tried to connect would fail otherwise.
  const settings = loadSettings(REST_SETTINGS, {
    env: { REST_HOST: "0.0.0.0", REDIS_URL: "redis://127.0.0.1:1/0", KAFKA_HOSTS: "127.0.0.1:1" },
  });
  assert.equal(settings.REST_ALLOW_NO_AUTH, false);
  await assert.rejects(
    startRestService(settings, { log: getLog("rest", "test") }),
    { message: /^Cannot start: REST_HOST is 0\.0\.0\.0, which other machines may reach/ },
  );
});

Deno.test("`rest run` on 0.0.0.0 without REST_API_KEYS exits 1 with one line", async () => {
  const main = new URL("./main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", main, "run"],
    env: {
      REST_HOST: "0.0.0.0",
      REST_API_KEYS: "",
      REDIS_URL: "redis://127.0.0.1:1/0",
      KAFKA_HOSTS: "127.0.0.1:1",
      LOG_LEVEL: "CRITICAL",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 1, stderr);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /Cannot start: REST_HOST is 0\.0\.0\.0.*REST_ALLOW_NO_AUTH=true/);
});
