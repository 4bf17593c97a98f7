import assert from "node:assert/strict";
import { CrawlerStats } from "./stats.ts";

function stats(statusCodes = true) {
  const writes: Record<string, number>[] = [];
  const crawlerStats = new CrawlerStats((counts) => {
    writes.push(Object.fromEntries(counts));
    return Promise.resolve();
  }, { host: "h", spiderid: "link", statusCodes, countedCodes: ["200", "404", "504"] });
  return { writes, crawlerStats };
}

Deno.test("`CrawlerStats.count()` counts the configured codes and failures", async () => {
  const { writes, crawlerStats } = stats();
  crawlerStats.count(200);
  crawlerStats.count(200);
  crawlerStats.count(500); // not in STATS_RESPONSE_CODES
  crawlerStats.count(504);
  crawlerStats.count("fail");
  assert.equal(await crawlerStats.flush(), true);
  assert.deepEqual(writes, [{ "h:link:200": 2, "h:link:504": 1, "h:link:fail": 1 }]);
});

Deno.test("`CrawlerStats.count()` counts only failures without STATS_STATUS_CODES", async () => {
  const { writes, crawlerStats } = stats(false);
  crawlerStats.count(200);
  crawlerStats.count("fail");
  await crawlerStats.flush();
  assert.deepEqual(writes, [{ "h:link:fail": 1 }]);
});
