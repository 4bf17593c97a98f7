import assert from "node:assert/strict";
import { HttpError } from "../errors.ts";
import { newContext } from "./compose.ts";
import { router } from "./router.ts";

const handler = router({
  "/": { name: "index", handler: () => Promise.resolve(new Response("index")) },
  "/feed": { name: "feed", handler: (_req, ctx) => Promise.resolve(new Response(ctx.route)) },
});

Deno.test("`router()` dispatches on the exact path and names the route in the context", async () => {
  const ctx = newContext();
  const res = await handler(new Request("http://x/feed?a=1", { method: "POST" }), ctx);
  assert.equal(await res.text(), "feed");
  assert.equal(ctx.route, "feed");
  assert.equal(await (await handler(new Request("http://x/"), newContext())).text(), "index");
});

Deno.test("`router()` answers 404 for any other path", async () => {
  for (const path of ["/feed/", "/nope", "/FEED"]) {
    const ctx = newContext();
    const err = await handler(new Request(`http://x${path}`), ctx).catch((e) => e);
    assert.ok(err instanceof HttpError && err.status === 404, path);
    assert.equal(ctx.route, null);
  }
});
