import assert from "node:assert/strict";
import { beatTime, heartbeatPattern } from "./check.ts";

Deno.test("beatTime() reads plain and crawler heartbeat values", () => {
  assert.equal(beatTime("1764000000"), 1764000000);
  assert.equal(beatTime('{"time":1764000000,"tags":["eu"]}'), 1764000000);
  assert.equal(beatTime(null), null);
  assert.equal(beatTime(""), null);
  assert.equal(beatTime("not a time"), null);
  assert.equal(beatTime('{"tags":["eu"]}'), null);
});

Deno.test("heartbeatPattern() matches the component's keys on this host only", () => {
  assert.deepEqual(heartbeatPattern("kafka-monitor", "node-1"), {
    pattern: "stats:kafka-monitor:self:node-1:*",
    segments: 5,
  });
  assert.deepEqual(heartbeatPattern("crawler", "node-1"), {
    pattern: "stats:crawler:node-1:*",
    segments: 5,
  });
  // Glob characters in a host name match only themselves.
  assert.equal(heartbeatPattern("rest", "a*b").pattern, "stats:rest:self:a\\*b:*");
});
