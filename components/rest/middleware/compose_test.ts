import assert from "node:assert/strict";
import { compose, type Handler, type Middleware, newContext, passThrough } from "./compose.ts";

const ok: Handler = () => Promise.resolve(new Response("ok"));

Deno.test("`compose()` runs the first middleware outermost", async () => {
  const seen: string[] = [];
  const step = (name: string): Middleware => (next) => async (req, ctx) => {
    seen.push(`${name} in`);
    const res = await next(req, ctx);
    seen.push(`${name} out`);
    return res;
  };
  const handler = compose(step("a"), step("b"), passThrough, step("c"))(ok);
  assert.equal(await (await handler(new Request("http://x/"), newContext())).text(), "ok");
  assert.deepEqual(seen, ["a in", "b in", "c in", "c out", "b out", "a out"]);
});

Deno.test("`compose()` of nothing is the handler itself", () => {
  assert.equal(compose()(ok), ok);
});

Deno.test("`newContext()` starts with no route, in the body phase, never aborted", () => {
  const ctx = newContext();
  assert.deepEqual([ctx.route, ctx.phase, ctx.signal.aborted], [null, "body", false]);
});
