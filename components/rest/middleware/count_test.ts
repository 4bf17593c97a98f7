import assert from "node:assert/strict";
import { newContext } from "./compose.ts";
import { countRequests } from "./count.ts";

Deno.test("`countRequests()` counts each answer for the route the context names", async () => {
  const counted: [string | null, boolean][] = [];
  const mw = countRequests({ count: (route, failed) => counted.push([route, failed]) });
  const handler = mw((req, ctx) => {
    const path = new URL(req.url).pathname;
    if (path !== "/nope") ctx.route = path.slice(1);
    return Promise.resolve(new Response(null, { status: path === "/feed" ? 200 : 404 }));
  });
  for (const path of ["/feed", "/poll", "/nope"]) {
    await handler(new Request(`http://x${path}`), newContext());
  }
  assert.deepEqual(counted, [["feed", false], ["poll", true], [null, true]]);
});

Deno.test("`countRequests()` without a counter changes nothing", () => {
  const handler = () => Promise.resolve(new Response());
  assert.equal(countRequests(undefined)(handler), handler);
});
