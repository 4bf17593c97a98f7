/**
 * End-to-end: per-key scopes of `REST_API_KEYS` on the rest service wired to the real Kafka and
 * Redis, with a kafka-monitor and redis-monitor running in-process (`api_fixture.ts`), over
 * HTTP. A read-only dashboard key (`poll`) cannot stop a crawl; an admin key can, and the crawl's
 * queued requests are purged. Run with `deno task test test/e2e/rest_scopes_test.ts`.
 */

import assert from "node:assert/strict";
import { getLog } from "../../lib/config/mod.ts";
import { startRestService } from "../../components/rest/service.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { queued } from "./redis_kinds.ts";

Deno.test("rest scopes: a poll-only dashboard key cannot stop a crawl, an admin key can", async () => {
  const f = await ApiFixture.start();
  // Text form, as an operator writes it in the environment.
  const settings = f.restSettings({ REST_API_KEYS: "dash-key:poll,ops-key:feed+poll+admin" }, {
    REST_PORT: 0,
  });
  const service = await startRestService(settings, {
    log: getLog("rest", "test"),
    id: crypto.randomUUID().slice(-12),
  });
  const stopServer = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stopServer.signal, onListen: () => {} },
    service.handler,
  );
  const post = async (path: string, key: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  try {
    const crawlid = randomName("c");
    const fed = await post("/feed", "ops-key", {
      url: "http://example.com/",
      appid: "testapp",
      crawlid,
    });
    assert.equal(fed.status, 200, JSON.stringify(fed.json));
    await eventually(
      () => queued(f.redis, "link", "example.com").then((m) => m.length ? m : undefined),
      { what: "the crawl request in Redis" },
    );
    const stop = { action: "stop", appid: "testapp", crawlid, spiderid: "link" };

    const refused = await post("/feed", "dash-key", { ...stop, uuid: randomName("s") });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.status, "FAILURE");
    assert.match(refused.json.error.cause, /^missing scope 'admin': action 'stop' needs it/);
    // Nothing was fed: the request is still queued.
    assert.equal((await queued(f.redis, "link", "example.com")).length, 1);
    // The dashboard key does what it is for: polling (an unknown poll_id is 404, not 403).
    const polled = await post("/poll", "dash-key", { poll_id: randomName("p") });
    assert.equal(polled.status, 404, JSON.stringify(polled.json));

    const uuid = randomName("s");
    const stopped = await post("/feed", "ops-key", { ...stop, uuid });
    assert.equal(stopped.status, 200, JSON.stringify(stopped.json));
    assert.equal(stopped.json.data.action, "stop");
    assert.equal(stopped.json.data.uuid, uuid);
    await eventually(
      () => queued(f.redis, "link", "example.com").then((m) => m.length === 0 || undefined),
      { what: "the stopped crawl's request purged" },
    );
  } finally {
    stopServer.abort();
    await server.finished;
    await service.close();
    await f.close();
  }
});
