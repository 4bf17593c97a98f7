import assert from "node:assert/strict";
import { watchCrawl } from "./watch.ts";
import { type CrawlProgress, ProgressDisplay } from "./watch_render.ts";
import { crawlOfRequest } from "./feed_watch.ts";

/** A fake clock that each reading advances by one second, and readings from a script. */
function scripted(readings: (Partial<CrawlProgress> | Error)[]) {
  let t = 0;
  let i = 0;
  return {
    now: () => t,
    read: () => {
      const r = readings[Math.min(i++, readings.length - 1)];
      t += 1_000;
      if (r instanceof Error) return Promise.reject(r);
      return Promise.resolve({ done: 0, errors: 0, refused: 0, pending: 0, ratePerSec: 0, ...r });
    },
  };
}

function display() {
  const printed: string[] = [];
  return {
    printed,
    display: new ProgressDisplay({ tty: false, write: (t) => printed.push(t.trimEnd()) }),
  };
}

Deno.test("watchCrawl() finishes once nothing was pending for idleSec", async () => {
  const s = scripted([{ pending: 3 }, { pending: 1, done: 2 }, { done: 4 }, { done: 5 }, {
    done: 5,
  }, { done: 5 }]);
  const d = display();
  const summary = await watchCrawl({ ...s, idleSec: 2, display: d.display, intervalMs: 0 });
  assert.equal(summary.ending, "finished");
  assert.equal(summary.done, 5);
  assert.equal(summary.pending, 0);
  assert.ok(summary.seenAny);
  assert.ok(summary.idleSec >= 2);
});

Deno.test("watchCrawl() restarts the idle clock when work appears again", async () => {
  const s = scripted([{ done: 1 }, { pending: 2 }, { done: 3 }, { done: 3 }, { done: 3 }]);
  const d = display();
  const summary = await watchCrawl({ ...s, idleSec: 2, display: d.display, intervalMs: 0 });
  assert.equal(summary.done, 3, "the idle period began again after the pending reading");
});

Deno.test("watchCrawl() shows a failing read once and does not count it as idle", async () => {
  const down = new Error("Connection is closed.");
  const s = scripted([{ done: 1 }, down, down, down, { done: 2 }, { done: 2 }]);
  const d = display();
  const summary = await watchCrawl({ ...s, idleSec: 1, display: d.display, intervalMs: 0 });
  assert.equal(summary.done, 2);
  const notices = d.printed.filter((l) => l.startsWith("Cannot read"));
  assert.deepEqual(notices, [
    "Cannot read the crawl's progress (will retry): Connection is closed.",
  ]);
  assert.ok(d.printed.includes("Progress can be read again."));
});

Deno.test("watchCrawl() ends as interrupted when the signal aborts", async () => {
  const stop = new AbortController();
  const d = display();
  const running = watchCrawl({
    read: () => Promise.resolve({ done: 1, errors: 0, refused: 0, pending: 9, ratePerSec: 0 }),
    idleSec: 1,
    display: d.display,
    signal: stop.signal,
    intervalMs: 60_000,
  });
  stop.abort();
  const summary = await running;
  assert.equal(summary.ending, "interrupted");
  assert.equal(summary.pending, 9);
});

Deno.test("crawlOfRequest() takes spiderid (default link), appid and crawlid", () => {
  assert.deepEqual(crawlOfRequest('{"url":"http://a.com","appid":"x","crawlid":"c"}'), {
    spiderid: "link",
    appid: "x",
    crawlid: "c",
  });
  assert.equal(
    crawlOfRequest('{"url":"u","appid":"x","crawlid":"c","spiderid":"wander"}').spiderid,
    "wander",
  );
  assert.throws(
    () => crawlOfRequest('{"action":"info","appid":"x","uuid":"u"}'),
    /^Error: Cannot watch: --watch follows a crawl request, which names url, appid and crawlid$/,
  );
  assert.throws(() => crawlOfRequest("not json"), /Cannot watch/);
});
