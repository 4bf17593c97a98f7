import assert from "node:assert/strict";
import { HttpError } from "../errors.ts";
import { requireApiKey } from "./auth.ts";
import { newContext } from "./compose.ts";

const route = () => Promise.resolve(new Response("route"));
const call = (keys: string[], headers: Record<string, string>) =>
  requireApiKey(keys)(route)(new Request("http://x/feed", { headers }), newContext());

Deno.test("`requireApiKey()` lets a request with a valid key through", async () => {
  assert.equal(await (await call(["k1", "k2"], { "x-api-key": "k2" })).text(), "route");
  assert.equal(await (await call(["k1"], { authorization: "Bearer k1" })).text(), "route");
});

Deno.test("`requireApiKey()` refuses a missing or wrong key with 401", async () => {
  const attempts: Record<string, string>[] = [{}, { "x-api-key": "k" }, {
    authorization: "Basic k1",
  }];
  for (const headers of attempts) {
    const err = await call(["k1"], headers).catch((e) => e);
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 401);
    assert.equal(err.opts.headers?.["www-authenticate"], 'Bearer realm="crawl-cluster"');
  }
});

Deno.test("`requireApiKey()` without keys lets everything through", () => {
  assert.equal(requireApiKey([])(route), route);
});
