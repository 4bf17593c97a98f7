/**
 * The cluster-wide domain config: one YAML document in ZooKeeper, at
 * `ZOOKEEPER_ASSIGN_PATH + ZOOKEEPER_ID` (default `/scrapy-cluster/crawler/all`), written by the
 * redis-monitor's zookeeper plugin and read live by every crawler.
 *
 * ```yaml
 * blacklist:
 * - ebay.com
 * domains:
 *   dmoztools.net:
 *     hits: 60
 *     scale: 1.0
 *     window: 60
 * ```
 *
 * - `blacklist`: registered domains nobody crawls.
 * - `domains`: per-domain throttle overriding `QUEUE_HITS` / `QUEUE_WINDOW`: at most
 *   {@linkcode effectiveHits} = `floor(hits × scale)` pops per `window` seconds.
 *
 * Parsing follows Scrapy Cluster's crawler: entries without both `window` and `hits` are ignored
 * (we also ignore non-positive or non-numeric ones), `scale` is clamped to [0, 1]. An update
 * ({@linkcode updateDomainConfigText}) keeps what parsing ignores — invalid domain entries,
 * blacklist items that are not scalars, unknown top-level keys — verbatim in the document it
 * writes back, and names them so the writer can log them; it refuses (throws) a change it
 * cannot apply without erasing something (a blacklist change when `blacklist` is not a list, a
 * domain change when `domains` is not a mapping) and an empty domain. Formatting
 * reproduces PyYAML's `yaml.dump(doc, default_flow_style=False)` byte for byte (`pyyaml.ts`), so
 * the document looks exactly as Scrapy Cluster's tools wrote it.
 *
 * **`scale: 0` pauses the domain**: {@linkcode effectiveHits} is 0, no request of it is popped
 * until the scale is raised or the entry removed (Scrapy Cluster divided by zero there). The
 * same holds whenever `floor(hits × scale)` is 0 (e.g. `hits: 1, scale: 0.5`), as in Scrapy
 * Cluster, where `int(hits * scale)` was the limit.
 *
 * @module
 */

import { parse } from "yaml";
import { dumpLikePyYaml, PyFloat, pyNumber } from "./pyyaml.ts";

/** One domain's throttle. */
export interface DomainEntry {
  /** Seconds of the throttle window (> 0). */
  window: number;
  /** Pops allowed per window before scaling (> 0). */
  hits: number;
  /** Factor applied to `hits`, in [0, 1]; absent means 1. 0 pauses the domain. */
  scale?: number;
}

/** The whole document. */
export interface DomainConfig {
  /** Registered domains nobody crawls (no duplicates, in document order). */
  blacklist: string[];
  /** Registered domain → throttle. */
  domains: Record<string, DomainEntry>;
}

/** One Zookeeper API change (`zk:<action>:<domain>:<appid>` jobs). */
export type DomainConfigChange =
  | { action: "domain-update"; domain: string; window: number; hits: number; scale?: number }
  | { action: "domain-remove" | "blacklist-update" | "blacklist-remove"; domain: string };

/** The Zookeeper API actions. */
export const DOMAIN_CONFIG_ACTIONS = [
  "domain-update",
  "domain-remove",
  "blacklist-update",
  "blacklist-remove",
] as const;

/**
 * The ZooKeeper node of the config: `assignPath + id` as in Scrapy Cluster, with a `/` put
 * between them when `assignPath` lacks its trailing slash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { domainConfigPath } from "./domain_config.ts";
 *
 * assert.equal(domainConfigPath("/scrapy-cluster/crawler/", "all"), "/scrapy-cluster/crawler/all");
 * ```
 */
export function domainConfigPath(assignPath: string, id: string): string {
  return assignPath.endsWith("/") ? `${assignPath}${id}` : `${assignPath}/${id}`;
}

/** An empty config (no blacklist, no domain throttles). */
export function emptyDomainConfig(): DomainConfig {
  return { blacklist: [], domains: {} };
}

/**
 * Parses the YAML document; `null`, empty or comment-only text is the empty config. Throws
 * "Cannot parse the domain config: ..." on invalid YAML or a document that is not a mapping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDomainConfig } from "./domain_config.ts";
 *
 * const config = parseDomainConfig("domains:\n  a.com: {window: 60, hits: 10, scale: 2}\n");
 * assert.deepEqual(config.domains, { "a.com": { window: 60, hits: 10, scale: 1 } });
 * ```
 */
export function parseDomainConfig(text: string | null): DomainConfig {
  const config = emptyDomainConfig();
  if (text === null || text.trim() === "") return config;
  let doc: unknown;
  try {
    // PyYAML reads YAML 1.1 and lets a repeated key win; do the same.
    doc = parse(text, { version: "1.1", uniqueKeys: false });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new Error(`Cannot parse the domain config: ${reason}`);
  }
  if (doc === null || doc === undefined) return config;
  if (!_isMapping(doc)) {
    throw new Error(
      `Cannot parse the domain config: expected a mapping with 'blacklist' and 'domains', ` +
        `got ${Array.isArray(doc) ? "a list" : typeof doc}`,
    );
  }
  if (Array.isArray(doc.blacklist)) {
    for (const item of doc.blacklist) {
      if (!_isScalar(item)) continue;
      const domain = String(item);
      if (!config.blacklist.includes(domain)) config.blacklist.push(domain);
    }
  }
  if (_isMapping(doc.domains)) {
    for (const [domain, raw] of Object.entries(doc.domains)) {
      if (!_isMapping(raw) || !_isPositive(raw.window) || !_isPositive(raw.hits)) continue;
      const entry: DomainEntry = { window: raw.window, hits: raw.hits };
      if (typeof raw.scale === "number" && !Number.isNaN(raw.scale)) {
        entry.scale = clampScale(raw.scale);
      }
      config.domains[domain] = entry;
    }
  }
  return config;
}

/** A parsed document with what {@linkcode parseDomainConfig} would leave out. */
export interface DomainConfigDocument {
  /** The usable config (as {@linkcode parseDomainConfig} returns it). */
  config: DomainConfig;
  /** The document as parsed (empty mapping for an empty document). */
  doc: Record<string, unknown>;
  /** What the config ignores, one line each (e.g. `domains.a.com: ...`), for logs. */
  ignored: string[];
}

/**
 * Parses the YAML document like {@linkcode parseDomainConfig}, also returning the raw document
 * and a description of every entry the config ignores. Throws as `parseDomainConfig` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDomainConfigDocument } from "./domain_config.ts";
 *
 * const { ignored } = parseDomainConfigDocument("domains:\n  a.com: {hits: 10}\n");
 * assert.deepEqual(ignored, ["domains.a.com: needs positive numbers 'window' and 'hits'"]);
 * ```
 */
export function parseDomainConfigDocument(text: string | null): DomainConfigDocument {
  const config = parseDomainConfig(text);
  const parsed = text === null || text.trim() === ""
    ? null
    : parse(text, { version: "1.1", uniqueKeys: false });
  const doc: Record<string, unknown> = _isMapping(parsed) ? parsed : {};
  const ignored: string[] = [];
  for (const key of Object.keys(doc)) {
    if (key !== "blacklist" && key !== "domains") ignored.push(`${key}: unknown key`);
  }
  if (Array.isArray(doc.blacklist)) {
    doc.blacklist.forEach((item, i) => {
      if (!_isScalar(item)) ignored.push(`blacklist[${i}]: not a domain name`);
    });
  } else if (doc.blacklist !== undefined && doc.blacklist !== null) {
    ignored.push("blacklist: not a list");
  }
  if (_isMapping(doc.domains)) {
    for (const domain of Object.keys(doc.domains)) {
      if (!(domain in config.domains)) {
        ignored.push(`domains.${domain}: needs positive numbers 'window' and 'hits'`);
      }
    }
  } else if (doc.domains !== undefined && doc.domains !== null) {
    ignored.push("domains: not a mapping");
  }
  return { config, doc, ignored };
}

/**
 * Applies one change to the document `text` and formats the result, keeping every entry the
 * config ignores verbatim (see the module doc); `ignored` names them for a log line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { updateDomainConfigText } from "./domain_config.ts";
 *
 * const { text } = updateDomainConfigText("domains:\n  bad.com: {hits: 0}\n", {
 *   action: "blacklist-update",
 *   domain: "ebay.com",
 * });
 * assert.equal(text, "blacklist:\n- ebay.com\ndomains:\n  bad.com:\n    hits: 0\n");
 * ```
 *
 * @throws {Error} "Cannot parse the domain config: ..." (as {@linkcode parseDomainConfig}), or
 *   "Cannot update the domain config: ..." for an empty domain or a change that would erase
 *   what the document holds.
 */
export function updateDomainConfigText(
  text: string | null,
  change: DomainConfigChange,
): { text: string; ignored: string[] } {
  if (change.domain === "") {
    throw new Error("Cannot update the domain config: the domain is empty");
  }
  const { config, doc, ignored } = parseDomainConfigDocument(text);
  const next = updateDomainConfig(config, change);
  const out: Record<string, unknown> = { ...doc };
  const isBlacklist = change.action.startsWith("blacklist-");
  if (Array.isArray(doc.blacklist) || doc.blacklist === undefined || doc.blacklist === null) {
    const kept = Array.isArray(doc.blacklist) ? doc.blacklist.filter((i) => !_isScalar(i)) : [];
    out.blacklist = [...next.blacklist, ...kept];
  } else if (isBlacklist) {
    throw new Error("Cannot update the domain config: 'blacklist' is not a list; fix it by hand");
  }
  if (_isMapping(doc.domains) || doc.domains === undefined || doc.domains === null) {
    const domains: Record<string, unknown> = {};
    for (const [domain, raw] of Object.entries(_isMapping(doc.domains) ? doc.domains : {})) {
      // Invalid entries stay as they are, unless this change replaces or removes them.
      if (!(domain in config.domains) && domain !== change.domain) domains[domain] = raw;
    }
    for (const [domain, entry] of Object.entries(next.domains)) domains[domain] = entry;
    out.domains = domains;
  } else if (!isBlacklist) {
    throw new Error("Cannot update the domain config: 'domains' is not a mapping; fix it by hand");
  }
  return { text: _formatDocument(out, next), ignored };
}

/** `scale` clamped to [0, 1]; absent or NaN is 1. */
export function clampScale(scale: number | undefined): number {
  if (scale === undefined || Number.isNaN(scale)) return 1;
  return Math.min(1, Math.max(0, scale));
}

/**
 * Pops allowed per window: `floor(hits × clamp(scale, 0, 1))`, as Scrapy Cluster's
 * `int(hits * scale)`. **0 means the domain is paused** (never a division by zero).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectiveHits } from "./domain_config.ts";
 *
 * assert.equal(effectiveHits({ window: 60, hits: 60, scale: 0.9 }), 54);
 * assert.equal(effectiveHits({ window: 60, hits: 60 }), 60);
 * assert.equal(effectiveHits({ window: 60, hits: 60, scale: 0 }), 0); // paused
 * ```
 */
export function effectiveHits(entry: DomainEntry): number {
  return Math.max(0, Math.floor(entry.hits * clampScale(entry.scale)));
}

/**
 * Applies one Zookeeper API change, returning a new config (the argument is not modified):
 * `domain-update` replaces the entry, `domain-remove` deletes it, `blacklist-update` appends
 * the domain unless present, `blacklist-remove` removes it.
 */
export function updateDomainConfig(config: DomainConfig, change: DomainConfigChange): DomainConfig {
  const next: DomainConfig = { blacklist: [...config.blacklist], domains: { ...config.domains } };
  switch (change.action) {
    case "domain-update": {
      const entry: DomainEntry = { window: change.window, hits: change.hits };
      if (change.scale !== undefined) entry.scale = clampScale(change.scale);
      next.domains[change.domain] = entry;
      break;
    }
    case "domain-remove":
      delete next.domains[change.domain];
      break;
    case "blacklist-update":
      if (!next.blacklist.includes(change.domain)) next.blacklist.push(change.domain);
      break;
    case "blacklist-remove":
      next.blacklist = next.blacklist.filter((d) => d !== change.domain);
      break;
  }
  return next;
}

/**
 * The document as PyYAML's `yaml.dump(doc, default_flow_style=False)` writes it (Scrapy
 * Cluster's zookeeper monitor): block style, keys sorted, 2-space indent, list items not
 * indented under their key, empty collections as `[]` / `{}`, `scale` always a float (`1.0`,
 * `0.9`), `hits` / `window` integers when whole, strings quoted only when PyYAML would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDomainConfig } from "./domain_config.ts";
 *
 * assert.equal(formatDomainConfig({ blacklist: ["bingo.com"], domains: {} }),
 *   "blacklist:\n- bingo.com\ndomains: {}\n");
 * ```
 */
export function formatDomainConfig(config: DomainConfig): string {
  return _formatDocument({ blacklist: config.blacklist, domains: config.domains }, config);
}

/** `doc` as PyYAML writes it, the valid entries of `config.domains` in their typed form. */
function _formatDocument(doc: Record<string, unknown>, config: DomainConfig): string {
  const out: Record<string, unknown> = { ...doc };
  if (_isMapping(doc.domains)) {
    const domains: Record<string, unknown> = {};
    for (const [domain, raw] of Object.entries(doc.domains)) {
      const entry = config.domains[domain];
      if (entry === undefined || raw !== entry) {
        domains[domain] = raw; // kept verbatim
        continue;
      }
      const fields: Record<string, unknown> = { hits: pyNumber(entry.hits) };
      if (entry.scale !== undefined) fields.scale = new PyFloat(entry.scale);
      fields.window = pyNumber(entry.window);
      domains[domain] = fields;
    }
    out.domains = domains;
  }
  return dumpLikePyYaml(out);
}

function _isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

function _isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function _isPositive(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}
