import assert from "node:assert/strict";
import { HttpError } from "../errors.ts";
import { bodyLimit } from "./body_limit.ts";
import { type Handler, newContext } from "./compose.ts";

/** A route that reads the whole body as text. */
const readText: Handler = async (req) => new Response(await req.text());
const call = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  bodyLimit(10)(readText)(
    new Request("http://x/", { method: "POST", body, headers }),
    newContext(),
  );

function chunks(n: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent++ < n) c.enqueue(new Uint8Array(size).fill(0x61));
      else c.close();
    },
  });
}

async function assertTooLarge(res: Promise<Response>) {
  const err = await res.catch((e) => e);
  assert.ok(err instanceof HttpError, String(err));
  assert.equal(err.status, 413);
  assert.equal(err.opts.detail, "the limit is 10 bytes");
}

Deno.test("`bodyLimit()` passes a body up to the limit unchanged", async () => {
  assert.equal(await (await call("0123456789")).text(), "0123456789");
  assert.equal(await (await call(chunks(2, 5))).text(), "aaaaaaaaaa");
  assert.equal(await (await call(null)).text(), "");
});

Deno.test("`bodyLimit()` fails the read past the limit with 413, counted as it arrives", async () => {
  await assertTooLarge(call("0123456789x"));
  await assertTooLarge(call(chunks(100, 3)));
});

Deno.test("`bodyLimit()` refuses a declared Content-Length over the limit at the first read", async () => {
  await assertTooLarge(call("small", { "content-length": "11" }));
});

Deno.test("`bodyLimit()` reads nothing before the route does", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.close();
    },
  }, { highWaterMark: 0 });
  const res = await bodyLimit(10)(() => Promise.resolve(new Response("ignored the body")))(
    new Request("http://x/", { method: "POST", body }),
    newContext(),
  );
  assert.equal(await res.text(), "ignored the body");
  assert.equal(pulled, 0);
});
