import assert from "node:assert/strict";
import { Progress } from "./progress.ts";

function recorder(tty: boolean) {
  let now = 0;
  const out: string[] = [];
  const progress = new Progress({ tty, write: (t) => out.push(t), now: () => now, width: 10 });
  return { progress, out, tick: (ms: number) => now += ms };
}

Deno.test("Progress draws one bar in place on a terminal: queues, requests, rate", () => {
  const { progress, out, tick } = recorder(true);
  progress.start("move", 4);
  tick(500);
  progress.queueDone(100);
  tick(500);
  progress.queueDone(100);
  progress.finish();
  assert.ok(out.every((t) => t === "\n" || t.startsWith("\r\x1b[2K")), "redrawn in place");
  assert.equal(out.at(-2), "\r\x1b[2K[#####-----] move: 2/4 queues, 200 requests, 200 requests/s");
  assert.equal(out.at(-1), "\n");
});

Deno.test("Progress writes plain lines at most once a second elsewhere, and the last state", () => {
  const { progress, out, tick } = recorder(false);
  progress.start("scrapy", 0);
  for (let i = 0; i < 20; i++) {
    tick(100);
    progress.queueDone(1);
  }
  progress.finish();
  assert.ok(out.every((t) => !t.includes("\r") && t.endsWith("\n")), "no control characters");
  assert.equal(out.length, 4, "start, one per second, the end");
  assert.equal(out.at(-1), "scrapy: 20 queues, 20 requests, 10 requests/s\n");
});

Deno.test("Progress.note clears the bar, writes the line, and draws the bar again", () => {
  const { progress, out } = recorder(true);
  progress.start("move", 2);
  out.length = 0;
  progress.note("hello");
  assert.deepEqual(out.slice(0, 2), ["\r\x1b[2K", "hello\n"]);
  assert.ok(out[2].startsWith("\r\x1b[2K[----------] move: 0/2 queues"), out[2]);
});
