import assert from "node:assert/strict";
import { getLog, loadSettings, pluginModuleUrl } from "../../lib/config/mod.ts";
import { testRedis } from "../harness.ts";
import { createClassifier } from "../../lib/api/mod.ts";
import { loadPlugins, loadPluginsToClassify } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";

Deno.test("pluginModuleUrl() maps built-in, Scrapy Cluster and path names", () => {
  const dir = new URL("file:///app/plugins/");
  const url = (key: string, cwd = "/x") => pluginModuleUrl(key, dir, cwd).href;
  assert.equal(url("scraper_handler"), "file:///app/plugins/scraper_handler.ts");
  assert.equal(
    url("plugins.scraper_handler.ScraperHandler"),
    "file:///app/plugins/scraper_handler.ts",
  );
  assert.equal(url("./my/plugin.ts", "/srv/app"), "file:///srv/app/my/plugin.ts");
  assert.equal(url("/abs/p.ts", "/srv"), "file:///abs/p.ts");
});

Deno.test("loadPlugins() orders by rank, skips null ranks and loads custom modules", async () => {
  const redis = testRedis();
  try {
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {
      overrides: {
        PLUGINS: { "components/kafka-monitor/testdata/upper_plugin.ts": 50, scraper_handler: null },
      },
    });
    // Dicts merge one level deep: scraper_handler is disabled, the custom plugin added.
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log: getLog("t") });
    assert.deepEqual(plugins.map((p) => [p.rank, p.plugin.name]), [
      [50, "UpperHandler"],
      [200, "ActionHandler"],
      [300, "StatsHandler"],
      [400, "ZookeeperHandler"],
      [500, "WebhookHandler"],
    ]);
    const both = await loadPlugins(
      { scraper_handler: 100, "components/kafka-monitor/testdata/upper_plugin.ts": 150 },
      { settings, redis, log: getLog("t") },
    );
    assert.deepEqual(both.map((p) => p.plugin.name), ["ScraperHandler", "UpperHandler"]);
  } finally {
    await redis.quit();
  }
});

Deno.test("loadPlugins() stops with one clear line for a plugin that cannot load", async () => {
  const redis = testRedis();
  try {
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {});
    await assert.rejects(
      () => loadPlugins({ no_such_handler: 1 }, { settings, redis, log: getLog("t") }),
      /^Error: Cannot start: plugin 'no_such_handler' could not be loaded/,
    );
    await assert.rejects(
      () => loadPlugins({ "lib/frontier/keys.ts": 1 }, { settings, redis, log: getLog("t") }),
      /has no default export|does not build a plugin/,
    );
  } finally {
    await redis.quit();
  }
});

Deno.test("loadPluginsToClassify() builds PLUGINS, custom ones included, for a classifier", async () => {
  const redis = testRedis();
  try {
    // Settings of another component (the rest service): the kafka-monitor's defaults fill in.
    const plugins = await loadPluginsToClassify(
      { "components/kafka-monitor/testdata/upper_plugin.ts": 50, scraper_handler: 100 },
      { settings: { MAXDEPTH_LIMIT: 1 }, redis, log: getLog("t") },
    );
    const classifier = createClassifier(plugins, { maxDepthLimit: 1 });
    const stats = classifier.classify({ appid: "testapp", uuid: "u1" });
    assert.ok(stats.ok && stats.plugin.name === "UpperHandler");
    const crawl = classifier.classify({ url: "http://a.com", appid: "testapp", crawlid: "c" });
    assert.ok(crawl.ok && crawl.plugin.name === "ScraperHandler");
    const action = classifier.classify({
      action: "info",
      appid: "testapp",
      uuid: "u1",
      spiderid: "link",
    });
    assert.ok(!action.ok && action.unhandledKind === "action");
  } finally {
    await redis.quit();
  }
});

Deno.test("loadPlugins() stops at load for a plugin naming a schema that does not exist", async () => {
  const redis = testRedis();
  try {
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {});
    const key = "data:application/javascript,export default () => " +
      encodeURIComponent('({ name: "X", schema: "no_such_schema", handle() {} })');
    await assert.rejects(
      () => loadPlugins({ [key]: 1 }, { settings, redis, log: getLog("t") }),
      /names a schema that cannot be used: Cannot load schema "no_such_schema"/,
    );
  } finally {
    await redis.quit();
  }
});
