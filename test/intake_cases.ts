/**
 * The intake table: good and bad requests both intake paths (REST `/feed` and the
 * kafka-monitor) must judge alike (`test/unit/intake_contract_test.ts`,
 * `test/integration/intake_contract_test.ts`).
 *
 * @module
 */

/** The kafka-monitor's default PLUGINS, as both paths see them (name and schema). */
export const BUILTIN_PLUGINS = [
  { rank: 100, key: "scraper_handler", plugin: { name: "ScraperHandler", schema: "scraper" } },
  { rank: 200, key: "action_handler", plugin: { name: "ActionHandler", schema: "action" } },
  { rank: 300, key: "stats_handler", plugin: { name: "StatsHandler", schema: "stats" } },
  {
    rank: 400,
    key: "zookeeper_handler",
    plugin: { name: "ZookeeperHandler", schema: "zookeeper" },
  },
];

/** A crawl request's text. */
export const crawl = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ url: "http://example.com", appid: "testapp", crawlid: "c1", ...extra });
/** A ZooKeeper request's text. */
export const zk = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    uuid: "u1",
    appid: "testapp",
    domain: "a.com",
    action: "blacklist-update",
    ...extra,
  });

/** [what, raw message, accepted?]. */
export const INTAKE_CASES: [string, string, boolean][] = [
  ["a crawl", crawl(), true],
  ["a crawl without scheme", crawl({ url: "www.stuff.com" }), true],
  ["an https crawl with a port", crawl({ url: "https://example.com:8443/x?y=1" }), true],
  ["maxdepth at the limit", crawl({ maxdepth: 3 }), true],
  ["maxdepth over the limit", crawl({ maxdepth: 4 }), false],
  ["expires 0 (never)", crawl({ expires: 0 }), true],
  ["expires already past (queued, then expired)", crawl({ expires: 1 }), true],
  ["expires -1", crawl({ expires: -1 }), false],
  ["a file: URL", crawl({ url: "file:///etc/passwd" }), false],
  ["an ftp: URL", crawl({ url: "ftp://example.com/a" }), false],
  ["a gopher: URL", crawl({ url: "gopher://example.com/" }), false],
  ["a javascript: URL", crawl({ url: "javascript:alert(1)" }), false],
  ["an http URL without host", crawl({ url: "http://" }), false],
  ["a loopback literal", crawl({ url: "http://127.0.0.1/" }), false],
  ["localhost", crawl({ url: "http://localhost:8080/" }), false],
  ["an appid with ':'", crawl({ appid: "test:app" }), false],
  ["an unknown property", crawl({ colour: "red" }), false],
  ["priority 101", crawl({ priority: 101 }), false],
  ["a BOM before a crawl", `\uFEFF${crawl()}`, true],
  ["a crawl of 300 KiB", crawl({ attrs: { x: "x".repeat(300 * 1024) } }), false],
  ["a crawl just under the limit", crawl({ attrs: { x: "x".repeat(200 * 1024) } }), true],
  [
    "an info request",
    JSON.stringify({
      action: "info",
      appid: "testapp",
      uuid: "u1",
      spiderid: "link",
      crawlid: "c1",
    }),
    true,
  ],
  [
    "a stop request",
    JSON.stringify({
      action: "stop",
      appid: "testapp",
      uuid: "u2",
      spiderid: "link",
      crawlid: "c1",
    }),
    true,
  ],
  [
    "an action without uuid",
    JSON.stringify({ action: "info", appid: "testapp", spiderid: "link" }),
    false,
  ],
  [
    "a stats request",
    JSON.stringify({ stats: "kafka-monitor", appid: "testapp", uuid: "u3" }),
    true,
  ],
  ["a domain-update", zk({ action: "domain-update", hits: 10, window: 60 }), true],
  ["a blacklist-update of an empty domain", zk({ domain: "" }), false],
  ["a domain-remove of an empty domain", zk({ action: "domain-remove", domain: "" }), false],
  ["truncated JSON", "{", false],
  ["an empty body", "", false],
  ["a JSON array", "[1, 2]", false],
  ["a JSON number", "5", false],
];
