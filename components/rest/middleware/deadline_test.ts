import assert from "node:assert/strict";
import { HttpError, MESSAGES } from "../errors.ts";
import { type Handler, newContext } from "./compose.ts";
import { deadline } from "./deadline.ts";

const call = (handler: Handler, ms = 20) =>
  deadline(ms)(handler)(new Request("http://x/"), newContext()).catch((e) => e);

/** A route that sets `phase`, then waits until its signal aborts. */
const stall = (phase: "body" | "process", aborted: boolean[]): Handler => (_req, ctx) => {
  ctx.phase = phase;
  return new Promise((_, reject) =>
    ctx.signal.addEventListener("abort", () => {
      aborted.push(true);
      reject(new Error("aborted"));
    })
  );
};

Deno.test("`deadline()` answers 408 while the body arrives and aborts the route", async () => {
  const aborted: boolean[] = [];
  const err = await call(stall("body", aborted));
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 408);
  assert.equal(err.message, MESSAGES.bodyTimeout);
  assert.deepEqual(aborted, [true]);
});

Deno.test("`deadline()` answers 503 once the body was read", async () => {
  const err = await call(stall("process", []));
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 503);
  assert.equal(err.message, MESSAGES.timeout);
});

Deno.test("`deadline()` passes a timely answer and a thrown error through", async () => {
  const res = await call(() => Promise.resolve(new Response("in time")), 1000);
  assert.equal(await res.text(), "in time");
  const err = await call(() => {
    throw new HttpError(400, MESSAGES.invalidJson);
  }, 1000);
  assert.ok(err instanceof HttpError && err.status === 400);
});
