import assert from "node:assert/strict";
import { type Handler, newContext } from "./compose.ts";
import { cors } from "./cors.ts";

const answer = (res: () => Response): Handler => () => Promise.resolve(res());
const call = (handler: Handler, method: string, origin?: string) =>
  handler(
    new Request("http://x/feed", { method, headers: origin ? { origin } : {} }),
    newContext(),
  );

Deno.test("`cors()` adds the allowed origin to every answer, errors included", async () => {
  const handler = cors(["https://ui.example.com/"])(
    answer(() => Response.json({ status: "FAILURE" }, { status: 401 })),
  );
  const res = await call(handler, "POST", "https://UI.example.com");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://UI.example.com");
  assert.equal(res.headers.get("vary"), "Origin");
  const other = await call(handler, "POST", "https://evil.example");
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  assert.equal(other.headers.get("vary"), "Origin");
  const none = await call(handler, "POST");
  assert.equal(none.headers.get("vary"), null);
});

Deno.test("`cors()` turns a 204 OPTIONS answer with Allow into a preflight answer", async () => {
  const handler = cors(["*"])(
    answer(() => new Response(null, { status: 204, headers: { allow: "POST, OPTIONS" } })),
  );
  const res = await call(handler, "OPTIONS", "https://a.b");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  assert.equal(res.headers.get("access-control-max-age"), "600");
});

Deno.test("`cors()` with no origins adds nothing", () => {
  const inner = answer(() => new Response());
  assert.equal(cors([])(inner), inner);
  assert.equal(cors([" "])(inner), inner);
});
