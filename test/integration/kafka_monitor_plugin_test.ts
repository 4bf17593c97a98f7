import assert from "node:assert/strict";
import { getLog } from "../../lib/config/log.ts";
import { loadSettings } from "../../lib/config/settings.ts";
import { testRedis } from "../harness.ts";
import { pluginModuleUrl } from "../../lib/config/plugin_loader.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
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
