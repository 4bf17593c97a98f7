import assert from "node:assert/strict";
import { readBody, releaseBody } from "./response_body.ts";

const page = new TextEncoder().encode("<html>" + "é links ".repeat(3_000) + "</html>");

Deno.test("a body read in one go comes whole, in a buffer of its own", async () => {
  const res = new Response(page.slice(), { headers: { "content-length": String(page.length) } });
  const [body, truncated] = await readBody(res, 10_000_000);
  assert.equal(truncated, false);
  assert.deepEqual(body, page);
  assert.equal(body.byteOffset, 0);
  assert.equal(body.buffer.byteLength, page.length);
});

Deno.test("releaseBody frees a body's own buffer and leaves shared memory alone", () => {
  const own = page.slice();
  releaseBody(own);
  assert.ok((own.buffer as ArrayBuffer).detached);
  assert.equal(own.byteLength, 0);
  releaseBody(own); // twice: nothing happens

  const whole = page.slice();
  const view = whole.subarray(0, 100); // a truncated body: a view into a chunk
  releaseBody(view);
  assert.ok(!(whole.buffer as ArrayBuffer).detached);
  assert.equal(view.byteLength, 100);

  const empty = new Uint8Array(0); // the shared empty body of redirects and bodiless responses
  releaseBody(empty);
  assert.ok(!(empty.buffer as ArrayBuffer).detached);
});
