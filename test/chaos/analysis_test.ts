import assert from "node:assert/strict";
import { analyse, type Delivery, leasedUrls } from "./analysis.ts";

const ok = (path: string, time: number): Delivery => ({ path, time, status: 200 });

Deno.test("analyse() counts received, missing and duplicated pages", () => {
  const report = analyse(["/a", "/b", "/c", "/d"], [
    ok("/a", 1_000),
    ok("/b", 2_000),
    ok("/b", 9_000),
    { path: "/c", time: 3_000, status: 500 },
    ok("/x", 3_500),
  ], { startAt: 2_500, endAt: 5_000 });
  assert.equal(report.expected, 4);
  assert.equal(report.received, 2);
  assert.deepEqual(report.missing, ["/c", "/d"]);
  assert.equal(report.duplicates, 1);
  assert.equal(report.duplicatePages, 1);
  assert.equal(report.errorItems, 1);
  assert.equal(report.unexpected, 1);
  assert.equal(report.messages, 5);
  // A duplicate is no new page: nothing new came after the fault's end.
  assert.equal(report.resumeSec, null);
});

Deno.test("analyse() times the resumption from the fault's end to the first new page", () => {
  const report = analyse(["/a", "/b", "/c", "/d"], [
    ok("/a", 1_000),
    ok("/a", 5_200), // a duplicate after the fault: not a resumption
    ok("/b", 6_500),
    ok("/c", 6_600),
    ok("/d", 7_000),
  ], { startAt: 2_000, endAt: 5_000 });
  assert.equal(report.resumeSec, 1.5);
  assert.equal(report.longestGapSec, 4.5); // from the fault's start to /b
  assert.deepEqual(report.missing, []);
});

Deno.test("analyse() times the return of a killed crawler's leased pages", () => {
  const report = analyse(["/a", "/b", "/c"], [
    ok("/a", 900), // delivered before the kill: not an orphan
    ok("/b", 1_400),
    ok("/c", 13_000),
  ], { startAt: 1_000, endAt: 1_000, watch: ["/a", "/b", "/c", "/elsewhere"] });
  assert.equal(report.orphans, 2);
  assert.equal(report.orphansBackSec, 12);
  const lost = analyse(["/a", "/b"], [ok("/a", 2_000)], {
    startAt: 1_000,
    endAt: 1_000,
    watch: ["/a", "/b"],
  });
  assert.equal(lost.orphans, 2);
  assert.equal(lost.orphansBackSec, null);
});

Deno.test("leasedUrls() reads the request URL of old and new lease formats", () => {
  const member = JSON.stringify({ url: "http://127.0.0.1:8/s/1", crawlid: "c" });
  assert.deepEqual(
    leasedUrls([
      `127.0.0.1\n-68719476736\n${member}`,
      `127.0.0.1\n-68719476736\tabc123\t7.1\n${member}`,
      "garbage",
    ]),
    ["http://127.0.0.1:8/s/1", "http://127.0.0.1:8/s/1"],
  );
});
