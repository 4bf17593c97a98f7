import assert from "node:assert/strict";
import { loadRankedPlugins, type Ranked } from "../config/plugin_loader.ts";
import { createClassifier, type RequestPlugin } from "./classify.ts";

const CRAWL = { url: "http://example.com", appid: "testapp", crawlid: "abc123" };
const STATS = { appid: "testapp", uuid: "u1" };

const ranked = (rank: number, name: string, schema: string): Ranked<RequestPlugin> => ({
  rank,
  key: name,
  plugin: { name, schema },
});

/** A plugin module as a data: URL, for `PLUGINS` keys that need no file. */
const moduleKey = (name: string, schema: string) =>
  `data:application/javascript,export default () => (${
    encodeURIComponent(JSON.stringify({ name, schema }))
  });`;

Deno.test("`createClassifier()` tries plugins by rank, whatever the list order", () => {
  const classifier = createClassifier([
    ranked(300, "LateStats", "stats"),
    ranked(100, "Crawl", "scraper"),
    ranked(200, "EarlyStats", "stats"),
  ]);
  const stats = classifier.classify(STATS);
  assert.ok(stats.ok);
  assert.equal(stats.plugin.name, "EarlyStats");
  const crawl = classifier.classify(CRAWL);
  assert.ok(crawl.ok);
  assert.equal(crawl.plugin.name, "Crawl");
});

Deno.test("`createClassifier()` lets the first accepting plugin win and fills defaults", () => {
  const classifier = createClassifier([ranked(1, "A", "stats"), ranked(1, "B", "stats")]);
  const result = classifier.classify(STATS);
  assert.ok(result.ok);
  assert.equal(result.plugin.name, "A", "ties go by key");
  assert.deepEqual(result.request, { ...STATS, stats: "all" });
});

Deno.test("`createClassifier()` leaves out a plugin PLUGINS disables", async () => {
  const plugins = await loadRankedPlugins<unknown, RequestPlugin>(
    {
      [moduleKey("Custom", "stats")]: 50,
      [moduleKey("Actions", "action")]: null,
    },
    {},
    { builtinDir: new URL("file:///nowhere/") },
  );
  assert.deepEqual(plugins.map((p) => p.plugin.name), ["Custom"]);
  const classifier = createClassifier(plugins);
  const stats = classifier.classify(STATS);
  assert.ok(stats.ok && stats.plugin.name === "Custom");
  const action = classifier.classify({ ...STATS, action: "info", spiderid: "link" });
  assert.deepEqual(action.ok ? null : [action.unhandledKind, action.cause], [
    "action",
    "no loaded plugin handles action requests (see PLUGINS)",
  ]);
  const crawl = classifier.classify(CRAWL);
  assert.ok(!crawl.ok && crawl.unhandledKind === "scraper");
});

Deno.test("`createClassifier()` names the closest schema's errors as the cause", () => {
  const classifier = createClassifier([
    ranked(100, "ScraperHandler", "scraper"),
    ranked(300, "StatsHandler", "stats"),
  ], { maxDepthLimit: 2 });
  const deep = classifier.classify({ ...CRAWL, maxdepth: 3 });
  assert.ok(!deep.ok);
  assert.equal(deep.cause, "scraper request: /maxdepth must be <= 2");
  assert.deepEqual(deep.rejections.map((r) => r.schema), ["scraper", "stats"]);
  assert.equal(deep.parsed, true);
  const short = classifier.classify({ appid: "ab", uuid: "u" });
  assert.ok(!short.ok);
  assert.equal(short.cause, "stats request: /appid must NOT have fewer than 3 characters");
  for (const value of [[], "x", 5, null]) {
    const result = classifier.classify(value);
    assert.ok(!result.ok && result.cause === "the request must be a JSON object");
  }
  const none = createClassifier([]).classify({ color: "blue" });
  assert.ok(!none.ok && none.cause === "no plugin loaded");
});

Deno.test("`createClassifier()` classifies raw messages, refusing bad JSON and big ones", () => {
  const classifier = createClassifier([ranked(1, "StatsHandler", "stats")], { maxBytes: 100 });
  const ok = classifier.classifyMessage(JSON.stringify(STATS));
  assert.ok(ok.ok && ok.plugin.name === "StatsHandler");
  const broken = classifier.classifyMessage("{broken");
  assert.ok(!broken.ok && !broken.parsed && broken.cause.startsWith("invalid JSON"));
  const big = classifier.classifyMessage(JSON.stringify({ ...STATS, pad: "x".repeat(100) }));
  assert.ok(!big.ok && !big.parsed && big.cause.startsWith("message of"));
});

Deno.test("`createClassifier()` fails at once for a plugin naming a missing schema", () => {
  assert.throws(() => createClassifier([ranked(1, "X", "no_such_schema")]), /Cannot load schema/);
});
