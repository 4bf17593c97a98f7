import assert from "node:assert/strict";
import {
  type DomainConfig,
  domainConfigPath,
  effectiveHits,
  emptyDomainConfig,
  formatDomainConfig,
  parseDomainConfig,
  updateDomainConfig,
  updateDomainConfigText,
} from "./domain_config.ts";

// The three byte-exact documents of Scrapy Cluster's zookeeper monitor tests (reference §5.7).
const AFTER_DOMAIN_UPDATE = "blacklist: []\ndomains:\n  cnn.com:\n    hits: 15\n    scale: 0.9\n" +
  "    window: 60\n  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n";
const AFTER_BLACKLIST_UPDATE = "blacklist:\n- bingo.com\ndomains: {}\n";
const EMPTY = "blacklist: []\ndomains: {}\n";

Deno.test("formatDomainConfig() writes Scrapy Cluster's YAML byte for byte", () => {
  const start = parseDomainConfig(
    "blacklist: []\ndomains:\n  dmoztools.net:\n    hits: 60\n    scale: 1.0\n    window: 60\n",
  );
  const updated = updateDomainConfig(start, {
    action: "domain-update",
    domain: "cnn.com",
    hits: 15,
    window: 60,
    scale: 0.9,
  });
  assert.equal(formatDomainConfig(updated), AFTER_DOMAIN_UPDATE);
  const blacklisted = updateDomainConfig(emptyDomainConfig(), {
    action: "blacklist-update",
    domain: "bingo.com",
  });
  assert.equal(formatDomainConfig(blacklisted), AFTER_BLACKLIST_UPDATE);
  const domainRemoved = updateDomainConfig(
    parseDomainConfig("domains:\n  a.com: {hits: 1, window: 2}"),
    {
      action: "domain-remove",
      domain: "a.com",
    },
  );
  assert.equal(formatDomainConfig(domainRemoved), EMPTY);
  const unblacklisted = updateDomainConfig(parseDomainConfig(AFTER_BLACKLIST_UPDATE), {
    action: "blacklist-remove",
    domain: "bingo.com",
  });
  assert.equal(formatDomainConfig(unblacklisted), EMPTY);
});

Deno.test("formatDomainConfig() writes floats, ints and odd domain names as PyYAML does", () => {
  const config: DomainConfig = {
    blacklist: ["yes", "[::1]", "123", "é.com", "a.b-c"],
    domains: {
      "b.com": { hits: 10, window: 1.5, scale: 0 },
      "a.com": { hits: 3, window: 60, scale: 0.00001 },
      "c.com": { hits: 7, window: 30 },
    },
  };
  assert.equal(
    formatDomainConfig(config),
    "blacklist:\n- 'yes'\n- '[::1]'\n- '123'\n- \"\\xE9.com\"\n- a.b-c\ndomains:\n" +
      "  a.com:\n    hits: 3\n    scale: 1.0e-05\n    window: 60\n" +
      "  b.com:\n    hits: 10\n    scale: 0.0\n    window: 1.5\n" +
      "  c.com:\n    hits: 7\n    window: 30\n",
  );
});

// Scrapy Cluster's own crawler/config/example.yml, as it ships.
const EXAMPLE_YML = "domains:\n    dmoztools.net:\n        window: 60\n        hits: 60\n" +
  "        scale: 1.0\n    wikipedia.org:\n        window: 60\n        hits: 30\n        scale: 0.5\n";

Deno.test("formatDomainConfig() round-trips Scrapy Cluster's example.yml as PyYAML dumps it", () => {
  const config = parseDomainConfig(EXAMPLE_YML);
  assert.deepEqual(config, {
    blacklist: [],
    domains: {
      "dmoztools.net": { window: 60, hits: 60, scale: 1 },
      "wikipedia.org": { window: 60, hits: 30, scale: 0.5 },
    },
  });
  // yaml.dump(config, default_flow_style=False), checked with PyYAML 6.0.3.
  const dumped = "blacklist: []\ndomains:\n  dmoztools.net:\n    hits: 60\n    scale: 1.0\n" +
    "    window: 60\n  wikipedia.org:\n    hits: 30\n    scale: 0.5\n    window: 60\n";
  assert.equal(formatDomainConfig(config), dumped);
  assert.equal(formatDomainConfig(parseDomainConfig(dumped)), dumped);
});

Deno.test("formatDomainConfig() quotes and escapes strings as PyYAML does", () => {
  const config: DomainConfig = {
    // deno-fmt-ignore
    blacklist: [
      "<<", "=", "---a", "...", "a\u00a0b", "a\tb", "\u65e5\u672c.jp", "\u{1f600}.com", "it's", "'a",
      "0x1F", "2001-12-14", "null",
    ],
    domains: {
      "m\u00fcnchen.de": { hits: 1e21, window: 1e-7, scale: 0.00001 },
      "on": { hits: 5, window: 10, scale: 1 },
      "1:20": { hits: 1, window: 0.1, scale: 1 / 3 },
    },
  };
  // yaml.dump(config, default_flow_style=False), checked with PyYAML 6.0.3.
  assert.equal(
    formatDomainConfig(config),
    "blacklist:\n- '<<'\n- '='\n- '---a'\n- '...'\n- \"a\\_b\"\n- \"a\\tb\"\n" +
      "- \"\\u65E5\\u672C.jp\"\n- \"\\U0001F600.com\"\n- it's\n- '''a'\n- '0x1F'\n" +
      "- '2001-12-14'\n- 'null'\ndomains:\n" +
      "  '1:20':\n    hits: 1\n    scale: 0.3333333333333333\n    window: 0.1\n" +
      '  "m\\xFCnchen.de":\n    hits: 1000000000000000000000\n    scale: 1.0e-05\n' +
      "    window: 1.0e-07\n" +
      "  'on':\n    hits: 5\n    scale: 1.0\n    window: 10\n",
  );
  assert.deepEqual(parseDomainConfig(formatDomainConfig(config)), config);
});

Deno.test("formatDomainConfig() output parses back to the same config", () => {
  const config: DomainConfig = {
    blacklist: ["ebay.com", "yes", "[::1]"],
    domains: { "dmoz.org": { hits: 60, window: 60, scale: 0.9 }, "x.com": { hits: 1, window: 5 } },
  };
  assert.deepEqual(parseDomainConfig(formatDomainConfig(config)), config);
});

Deno.test("parseDomainConfig() keeps only entries with positive window and hits, clamps scale", () => {
  const config = parseDomainConfig(
    [
      "blacklist: [ebay.com, ebay.com, 42, {x: 1}]",
      "domains:",
      "  ok.com: {window: 60, hits: 10}",
      "  scaled.com: {window: 60, hits: 10, scale: 0.5}",
      "  big.com: {window: 60, hits: 10, scale: 7}",
      "  negative.com: {window: 60, hits: 10, scale: -1}",
      "  odd-scale.com: {window: 60, hits: 10, scale: lots}",
      "  no-hits.com: {window: 60}",
      "  no-window.com: {hits: 60}",
      "  zero.com: {window: 0, hits: 10}",
      "  text.com: {window: '60', hits: 10}",
      "  scalar.com: 5",
      "other: ignored",
    ].join("\n"),
  );
  assert.deepEqual(config, {
    blacklist: ["ebay.com", "42"],
    domains: {
      "ok.com": { window: 60, hits: 10 },
      "scaled.com": { window: 60, hits: 10, scale: 0.5 },
      "big.com": { window: 60, hits: 10, scale: 1 },
      "negative.com": { window: 60, hits: 10, scale: 0 },
      "odd-scale.com": { window: 60, hits: 10 },
    },
  });
});

Deno.test("parseDomainConfig() reads empty, missing and comment-only documents as empty", () => {
  for (const text of [null, "", "  \n", "# nothing yet\n", "---\n", "blacklist:\ndomains:\n"]) {
    assert.deepEqual(parseDomainConfig(text), { blacklist: [], domains: {} }, String(text));
  }
});

Deno.test("parseDomainConfig() rejects invalid YAML and non-mapping documents clearly", () => {
  assert.throws(
    () => parseDomainConfig("domains: [a, b"),
    /^Error: Cannot parse the domain config: /,
  );
  assert.throws(() => parseDomainConfig("blacklist: x\n  bad: indent: here"), /Cannot parse/);
  assert.throws(() => parseDomainConfig("- a.com\n- b.com\n"), /expected a mapping.*got a list/);
  assert.throws(() => parseDomainConfig("just text"), /expected a mapping.*got string/);
});

Deno.test("effectiveHits() is floor(hits × scale), and scale 0 pauses the domain", () => {
  assert.equal(effectiveHits({ window: 60, hits: 60, scale: 0.9 }), 54);
  assert.equal(effectiveHits({ window: 60, hits: 60 }), 60);
  assert.equal(effectiveHits({ window: 60, hits: 15, scale: 0.5 }), 7);
  assert.equal(effectiveHits({ window: 60, hits: 10, scale: 3 }), 10);
  assert.equal(effectiveHits({ window: 60, hits: 60, scale: 0 }), 0);
  assert.equal(effectiveHits({ window: 60, hits: 1, scale: 0.5 }), 0);
  assert.equal(effectiveHits({ window: 60, hits: 100, scale: 0.29 }), 28); // as Python's int()
  const paused = parseDomainConfig("domains:\n  p.com: {window: 60, hits: 10, scale: 0}\n");
  assert.equal(effectiveHits(paused.domains["p.com"]), 0);
});

Deno.test("updateDomainConfig() replaces, removes, de-duplicates and leaves its input alone", () => {
  const start: DomainConfig = {
    blacklist: ["a.com"],
    domains: { "d.com": { window: 10, hits: 5, scale: 0.5 } },
  };
  const frozen = structuredClone(start);
  let next = updateDomainConfig(start, {
    action: "domain-update",
    domain: "d.com",
    window: 60,
    hits: 30,
  });
  assert.deepEqual(next.domains["d.com"], { window: 60, hits: 30 });
  next = updateDomainConfig(next, { action: "blacklist-update", domain: "a.com" });
  next = updateDomainConfig(next, { action: "blacklist-update", domain: "b.com" });
  assert.deepEqual(next.blacklist, ["a.com", "b.com"]);
  next = updateDomainConfig(next, { action: "blacklist-remove", domain: "nope.com" });
  next = updateDomainConfig(next, { action: "domain-remove", domain: "nope.com" });
  assert.deepEqual(next.blacklist, ["a.com", "b.com"]);
  assert.deepEqual(start, frozen);
});

Deno.test("domainConfigPath() joins the assign path and id as Scrapy Cluster did", () => {
  assert.equal(domainConfigPath("/scrapy-cluster/crawler/", "all"), "/scrapy-cluster/crawler/all");
  assert.equal(domainConfigPath("/x/y", "all"), "/x/y/all");
});

Deno.test("updateDomainConfigText() keeps ignored entries and unknown keys verbatim", () => {
  const doc = "blacklist:\n- a.com\n- {x: 1}\ndomains:\n  bad.com:\n    hits: 5\n" +
    "  good.com:\n    hits: 10\n    window: 60\nnote: hand-written\n";
  const { text, ignored } = updateDomainConfigText(doc, {
    action: "blacklist-update",
    domain: "b.com",
  });
  assert.deepEqual(ignored, [
    "note: unknown key",
    "blacklist[1]: not a domain name",
    "domains.bad.com: needs positive numbers 'window' and 'hits'",
  ]);
  assert.equal(
    text,
    "blacklist:\n- a.com\n- b.com\n- x: 1\ndomains:\n  bad.com:\n    hits: 5\n" +
      "  good.com:\n    hits: 10\n    window: 60\nnote: hand-written\n",
  );
  // Updating the invalid entry replaces it; removing it removes it.
  const fixed = updateDomainConfigText(text, {
    action: "domain-update",
    domain: "bad.com",
    hits: 5,
    window: 30,
  });
  assert.deepEqual(parseDomainConfig(fixed.text).domains["bad.com"], { hits: 5, window: 30 });
  const removed = updateDomainConfigText(text, { action: "domain-remove", domain: "bad.com" });
  assert.ok(!removed.text.includes("bad.com"));
  assert.ok(removed.text.includes("note: hand-written"));
});

Deno.test("updateDomainConfigText() refuses an empty domain and changes that would erase", () => {
  assert.throws(
    () => updateDomainConfigText("", { action: "blacklist-update", domain: "" }),
    /the domain is empty/,
  );
  assert.throws(
    () => updateDomainConfigText("blacklist: a.com\n", { action: "blacklist-update", domain: "b" }),
    /'blacklist' is not a list/,
  );
  assert.throws(
    () => updateDomainConfigText("domains: [a]\n", { action: "domain-remove", domain: "a" }),
    /'domains' is not a mapping/,
  );
  // A change elsewhere keeps the odd value as it is.
  const { text } = updateDomainConfigText("domains: [a]\n", {
    action: "blacklist-update",
    domain: "b.com",
  });
  assert.equal(text, "blacklist:\n- b.com\ndomains:\n- a\n");
});
