import assert from "node:assert/strict";
import { getLog } from "../../../lib/config/mod.ts";
import { HttpError, MESSAGES } from "../errors.ts";
import { catchErrors } from "./catch_errors.ts";
import { newContext } from "./compose.ts";

const call = (error: unknown) =>
  catchErrors(getLog("rest", "test"))(() => Promise.reject(error))(
    new Request("http://x/feed"),
    newContext(),
  );

Deno.test("`catchErrors()` answers an HttpError with its envelope and headers", async () => {
  const res = await call(
    new HttpError(405, MESSAGES.method, { detail: "why", headers: { allow: "POST" } }),
  );
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST");
  assert.deepEqual(await res.json(), {
    data: null,
    error: { cause: "why", message: MESSAGES.method },
    status: "FAILURE",
  });
});

Deno.test("`catchErrors()` answers anything else 500 without its details", async () => {
  const res = await call(new TypeError("secret at /srv/app.ts:1"));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes("secret"));
  assert.deepEqual(JSON.parse(text).error, { message: MESSAGES.internal });
});

Deno.test("`catchErrors()` passes answers through", async () => {
  const res = await catchErrors(getLog("rest", "test"))(() =>
    Promise.resolve(new Response("fine", { status: 201 }))
  )(new Request("http://x/"), newContext());
  assert.equal(res.status, 201);
  assert.equal(await res.text(), "fine");
});
