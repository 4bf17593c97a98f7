import assert from "node:assert/strict";
import {
  formatRate,
  formatSeconds,
  plainLine,
  ProgressDisplay,
  statusLine,
  summaryLines,
} from "./watch_render.ts";

const P = { done: 5, errors: 1, refused: 0, pending: 15, ratePerSec: 2.345 };

Deno.test("statusLine() fills the bar by done / (done + pending) and fits the width", () => {
  assert.equal(
    statusLine(P, 7),
    "[#####---------------] 5 done, 15 pending, 2.3 pages/s, 1 error  7s",
  );
  assert.match(statusLine({ ...P, done: 0, pending: 0 }, 0), /^\[-{20}\] 0 done/);
  assert.match(statusLine({ ...P, pending: 0 }, 0), /^\[#{20}\]/);
  assert.equal(statusLine(P, 7, 30).length, 29);
  assert.match(statusLine({ ...P, refused: 2 }, 61, 200, "c1 "), /^c1 \[.*, 2 refused {2}1m01s$/);
});

Deno.test("plainLine() is one line without control characters", () => {
  assert.equal(plainLine(P, 12), "[12s] 5 done, 15 pending, 2.3 pages/s, 1 error");
  assert.ok(!plainLine(P, 12).includes("\r") && !plainLine(P, 12).includes("\x1b"));
});

Deno.test("formatRate() and formatSeconds()", () => {
  assert.equal(formatRate(0), "0.0");
  assert.equal(formatRate(NaN), "0.0");
  assert.equal(formatRate(12.25), "12.3");
  assert.equal(formatRate(250.4), "250");
  assert.equal(formatSeconds(9.9), "9s");
  assert.equal(formatSeconds(125), "2m05s");
});

Deno.test("ProgressDisplay on a TTY redraws one line in place and prints lines above it", () => {
  let out = "";
  const display = new ProgressDisplay({ tty: true, write: (t) => out += t, columns: 120 });
  display.print("before");
  display.update(P, 1);
  display.update({ ...P, done: 6 }, 2);
  display.print("crawler | a log line");
  display.end();
  const second = statusLine({ ...P, done: 6 }, 2, 120);
  assert.equal(
    out,
    "before\n" +
      `\r\x1b[2K${statusLine(P, 1, 120)}` +
      `\r\x1b[2K${second}` +
      `\r\x1b[2Kcrawler | a log line\n${second}` +
      "\n",
  );
});

Deno.test("ProgressDisplay off a TTY prints a plain line every plainEverySec, no escapes", () => {
  const lines: string[] = [];
  const display = new ProgressDisplay({
    tty: false,
    write: (t) => lines.push(t),
    plainEverySec: 5,
  });
  for (let s = 0; s <= 12; s += 0.5) display.update({ ...P, done: Math.floor(s) }, s);
  display.print("note");
  display.end();
  assert.deepEqual(lines, [
    "[0s] 0 done, 15 pending, 2.3 pages/s, 1 error\n",
    "[5s] 5 done, 15 pending, 2.3 pages/s, 1 error\n",
    "[10s] 10 done, 15 pending, 2.3 pages/s, 1 error\n",
    "note\n",
  ]);
});

Deno.test("summaryLines() says how the watch ended and warns when nothing was seen", () => {
  const finished = summaryLines(
    { ...P, pending: 0, ending: "finished", seconds: 20, idleSec: 10, seenAny: true },
    "abc",
  );
  assert.deepEqual(finished, [
    "Crawl abc finished: nothing pending for 10s.",
    "  5 pages done, 1 error, 0 refused, 0 pending, in 20s (0.3 pages/s on average)",
  ]);
  const none = summaryLines(
    { ...P, done: 0, ending: "interrupted", seconds: 3, idleSec: 0, seenAny: false },
    "abc",
  );
  assert.match(none[0], /^Stopped watching crawl abc \(the crawl goes on/);
  assert.match(none[2], /is a kafka-monitor running/);
});
