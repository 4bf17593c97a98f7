/**
 * The dashboard's routes through the whole handler (`createApp`), without Redis: the page and
 * its files need no key and carry a strict CSP; the state needs a valid key and tells its scopes.
 */

import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import type { DashboardSnapshot, DashboardState } from "./ui_state.ts";

const SNAPSHOT: DashboardSnapshot = { time: 1, crawls: [], spiders: [], nodes: [], failures: [] };

function app(keys: string[], dashboard?: Pick<DashboardState, "read">) {
  return createApp({
    settings: {
      WAIT_FOR_RESPONSE_TIME: 0,
      MAX_BODY_BYTES: 1024,
      REQUEST_TIMEOUT: 5,
      CORS_ALLOWED_ORIGINS: [],
      REST_API_KEYS: keys,
      MAXDEPTH_LIMIT: 3,
      REST_HOST: "127.0.0.1",
      REST_PORT: 5343,
    },
    plugins: [],
    feeder: { connected: true, send: () => Promise.resolve() },
    answers: { connected: true, expect: () => ({ answer: new Promise(() => {}), cancel() {} }) },
    polls: { connected: true, take: () => Promise.resolve(null) },
    dashboard: dashboard as DashboardState | undefined,
  });
}

const get = (path: string, key?: string) =>
  new Request(`http://127.0.0.1:5343${path}`, { headers: key ? { "x-api-key": key } : {} });

Deno.test("ui: the page and its files without a key, with a CSP that allows no inline script", async () => {
  const handler = app(["ops"]);
  const page = await handler(get("/ui/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /^text\/html/);
  assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="app.js"><\/script>/);
  const script = await handler(get("/ui/app.js"));
  assert.match(script.headers.get("content-type")!, /^text\/javascript/);
  assert.match(await script.text(), /api\/state/);
  const redirect = await handler(get("/ui"));
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get("location"), "/ui/");
  assert.equal((await handler(get("/ui/nothing.js"))).status, 404);
});

Deno.test("ui: the state needs a valid key and answers that key's scopes", async () => {
  const handler = app(["dash:poll", "ops"], { read: () => Promise.resolve(SNAPSHOT) });
  assert.equal((await handler(get("/ui/api/state"))).status, 401);
  assert.equal((await handler(get("/ui/api/state", "guess"))).status, 401);
  const dash = await (await handler(get("/ui/api/state", "dash"))).json();
  assert.deepEqual(dash, { ...SNAPSHOT, scopes: ["poll"] });
  const ops = await (await handler(get("/ui/api/state", "ops"))).json();
  assert.deepEqual(ops.scopes, ["feed", "poll", "admin"]);
});

Deno.test("ui: a failed Redis reading is a 500, no state is a 404", async () => {
  const failing = app([], { read: () => Promise.reject(new Error("down")) });
  assert.equal((await failing(get("/ui/api/state"))).status, 500);
  assert.equal((await app([])(get("/ui/api/state"))).status, 404);
});
