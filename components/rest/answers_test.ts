import assert from "node:assert/strict";
import { AnswerWaiters, routeAnswer } from "./answers.ts";

Deno.test("`AnswerWaiters` resolves every wait for a uuid once, and forgets cancelled ones", async () => {
  const waiters = new AnswerWaiters();
  const a = waiters.expect("u1");
  const b = waiters.expect("u1");
  const c = waiters.expect("u2");
  assert.equal(waiters.size, 2);
  c.cancel();
  assert.equal(waiters.size, 1);
  assert.equal(waiters.deliver("u2", "{}"), false, "a cancelled wait takes no answer");
  assert.equal(waiters.deliver("u1", '{"uuid":"u1"}'), true);
  assert.deepEqual(await Promise.all([a.answer, b.answer]), ['{"uuid":"u1"}', '{"uuid":"u1"}']);
  assert.equal(waiters.deliver("u1", "{}"), false, "delivered once");
  assert.equal(waiters.size, 0);
});

Deno.test("`AnswerWaiters` keeps the other waits for a uuid when one is cancelled", async () => {
  const waiters = new AnswerWaiters();
  const a = waiters.expect("u");
  const b = waiters.expect("u");
  a.cancel();
  assert.ok(waiters.deliver("u", "1"));
  assert.equal(await b.answer, "1");
});

Deno.test("`routeAnswer()` delivers to waits, stores the rest and ignores what has no uuid", () => {
  const waiters = new AnswerWaiters();
  waiters.expect("waited");
  const stored: [string, string][] = [];
  const store = (uuid: string, json: string) => stored.push([uuid, json]);
  assert.deepEqual(routeAnswer('{"uuid":"waited","data":1}', waiters, store), {
    routed: "delivered",
    uuid: "waited",
  });
  assert.deepEqual(routeAnswer('{"uuid":"late","data":2}', waiters, store), {
    routed: "stored",
    uuid: "late",
  });
  assert.equal(
    routeAnswer('{"action":"expired","total_expired":3}', waiters, store).routed,
    "ignored",
  );
  assert.equal(routeAnswer("{not json", waiters, store).routed, "ignored");
  assert.equal(routeAnswer('["uuid"]', waiters, store).routed, "ignored");
  assert.equal(routeAnswer('{"uuid":7}', waiters, store).routed, "ignored");
  assert.equal(routeAnswer('{"uuid":""}', waiters, store).routed, "ignored");
  assert.equal(routeAnswer(null, waiters, store).routed, "ignored");
  assert.deepEqual(stored, [["late", '{"uuid":"late","data":2}']]);
});
