import assert from "node:assert/strict";
import { HttpError } from "../errors.ts";
import { newContext } from "./compose.ts";
import { allowMethods } from "./methods.ts";

const handler = allowMethods(["GET", "POST"])(() => Promise.resolve(new Response("route")));
const call = (method: string) => handler(new Request("http://x/", { method }), newContext());

Deno.test("`allowMethods()` lets the listed methods through", async () => {
  assert.equal(await (await call("POST")).text(), "route");
  assert.equal(await (await call("GET")).text(), "route");
});

Deno.test("`allowMethods()` answers OPTIONS with 204 and Allow", async () => {
  const res = await call("OPTIONS");
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("allow"), "GET, POST, OPTIONS");
});

Deno.test("`allowMethods()` refuses other methods with 405 and Allow", async () => {
  const err = await call("DELETE").catch((e) => e);
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 405);
  assert.equal(err.opts.headers?.allow, "GET, POST, OPTIONS");
});

Deno.test("`allowMethods()` answers 404 for the methods of `notFoundFor`, with no route", async () => {
  const guarded = allowMethods(["POST"], { notFoundFor: ["GET", "HEAD", "POST"] })(() =>
    Promise.resolve(new Response("route"))
  );
  const ctx = { ...newContext(), route: "feed" };
  const err = await guarded(new Request("http://x/", { method: "GET" }), ctx).catch((e) => e);
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 404);
  assert.equal(err.opts.headers, undefined);
  assert.equal(ctx.route, null, "counted like an unknown endpoint");
  const put = await guarded(new Request("http://x/", { method: "PUT" }), newContext())
    .catch((e) => e);
  assert.equal(put.status, 405);
  assert.equal(
    await (await guarded(new Request("http://x/", { method: "POST" }), ctx)).text(),
    "route",
  );
});
