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

Deno.test("`createClassifier()` refuses a crawl whose host is a refused address literal", () => {
  const classifier = createClassifier([ranked(1, "ScraperHandler", "scraper")]);
  const crawl = { appid: "app", crawlid: "c" };
  for (
    const url of [
      "http://localhost:8000/",
      "127.1",
      "http://0x7f000001/",
      "http://2130706433/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "https://10.1.2.3/",
      "http://169.254.169.254/latest/meta-data/",
      "http://100.64.0.1/",
      "http://[fc00::1]/",
      "http://[fe80::1]/",
      "http://0.0.0.0/",
      "http://224.0.0.1/",
    ]
  ) {
    const result = classifier.classify({ ...crawl, url });
    assert.ok(!result.ok, url);
    assert.match(
      result.cause,
      /^url: host \S+ is an? [A-Za-z -]+ (address|name)(?: \(IPv4 [\d.]+\))?; set ALLOW_PRIVATE_ADDRESSES or ALLOWED_PRIVATE_NETWORKS to allow it$/,
      url,
    );
    assert.equal(result.parsed, true);
    assert.deepEqual(result.rejections, [{ schema: "scraper", errors: [result.cause] }]);
  }
  assert.equal(
    (classifier.classify({ ...crawl, url: "http://127.0.0.1/" }) as { cause: string }).cause,
    "url: host 127.0.0.1 is a loopback address; set ALLOW_PRIVATE_ADDRESSES or " +
      "ALLOWED_PRIVATE_NETWORKS to allow it",
  );
  // Names are not looked up here: the crawler's guard checks them when it fetches.
  assert.ok(classifier.classify({ ...crawl, url: "http://public-looking.example/" }).ok);
  assert.ok(classifier.classify({ ...crawl, url: "http://93.184.216.34/" }).ok);
});

Deno.test("`createClassifier()` lets refused literals through as the guard settings say", () => {
  const crawl = { appid: "app", crawlid: "c", url: "http://127.0.0.1:8000/" };
  const off = createClassifier([ranked(1, "ScraperHandler", "scraper")], {
    network: { ALLOW_PRIVATE_ADDRESSES: true, ALLOWED_PRIVATE_NETWORKS: [] },
  });
  assert.ok(off.classify(crawl).ok);
  assert.ok(off.classify({ ...crawl, url: "http://localhost/" }).ok);
  const open = createClassifier([ranked(1, "ScraperHandler", "scraper")], {
    network: { ALLOW_PRIVATE_ADDRESSES: false, ALLOWED_PRIVATE_NETWORKS: ["127.0.0.0/8"] },
  });
  assert.ok(open.classify(crawl).ok);
  assert.ok(!open.classify({ ...crawl, url: "http://10.0.0.1/" }).ok);
});
