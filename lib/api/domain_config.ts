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
 * (we also ignore non-positive or non-numeric ones), `scale` is clamped to [0, 1]. Formatting
 * reproduces PyYAML's `yaml.dump(doc, default_flow_style=False)` byte for byte, so the
 * document looks exactly as Scrapy Cluster's tools wrote it.
 *
 * **`scale: 0` pauses the domain**: {@linkcode effectiveHits} is 0, no request of it is popped
 * until the scale is raised or the entry removed (Scrapy Cluster divided by zero there). The
 * same holds whenever `floor(hits × scale)` is 0 (e.g. `hits: 1, scale: 0.5`), as in Scrapy
 * Cluster, where `int(hits * scale)` was the limit.
 *
 * @module
 */

import { parse } from "yaml";

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
 * The document as PyYAML's `yaml.dump(doc, default_flow_style=False)` writes it: block style,
 * keys sorted, 2-space indent, list items not indented under their key, empty collections as
 * `[]` / `{}`, `scale` always a float (`1.0`, `0.9`), `hits` / `window` integers when whole.
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
  let out = "";
  if (config.blacklist.length === 0) out += "blacklist: []\n";
  else {
    out += "blacklist:\n";
    for (const domain of config.blacklist) out += `- ${_yamlString(domain)}\n`;
  }
  const domains = Object.keys(config.domains).sort(_codePointOrder);
  if (domains.length === 0) return `${out}domains: {}\n`;
  out += "domains:\n";
  for (const domain of domains) {
    const entry = config.domains[domain];
    out += `  ${_yamlString(domain)}:\n`;
    // Sorted keys: hits, scale, window.
    out += `    hits: ${_yamlNumber(entry.hits)}\n`;
    if (entry.scale !== undefined) out += `    scale: ${_yamlFloat(entry.scale)}\n`;
    out += `    window: ${_yamlNumber(entry.window)}\n`;
  }
  return out;
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

function _codePointOrder(a: string, b: string): number {
  // Python sorts str by code point; UTF-16 order differs only beyond the BMP.
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return ca[i] - cb[i];
  }
  return ca.length - cb.length;
}

/** An int as PyYAML writes it, or a float when not whole. */
function _yamlNumber(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : _yamlFloat(n);
}

/** A float as PyYAML writes it: Python's `repr`, with `.0` forced into exponent forms. */
function _yamlFloat(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (n === Infinity) return ".inf";
  if (n === -Infinity) return "-.inf";
  // Shortest round-trip digits, as Python's repr; then Python's choice of notation.
  const [mantissa, expPart] = n.toExponential().split("e");
  const exp = Number(expPart);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let repr: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) repr = `0.${"0".repeat(-exp - 1)}${digits}`;
    else if (digits.length > exp + 1) repr = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    else repr = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  } else {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : ".0";
    const sign = exp < 0 ? "-" : "+";
    repr = `${digits[0]}${frac}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return negative ? `-${repr}` : repr;
}

// What PyYAML's resolver would read back as something other than a string (YAML 1.1): bool,
// int, float, null, timestamp, merge and value, as in PyYAML's resolver.py.
const _IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  _alternatives(
    "[-+]?0b[0-1_]+",
    "[-+]?0[0-7_]+",
    "[-+]?(?:0|[1-9][0-9_]*)",
    "[-+]?0x[0-9a-fA-F_]+",
    "[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
  ),
  _alternatives(
    "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?",
    "\\.[0-9_]+(?:[eE][-+][0-9]+)?",
    "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*",
    "[-+]?\\.(?:inf|Inf|INF)",
    "\\.(?:nan|NaN|NAN)",
  ),
  /^(?:~|null|Null|NULL|)$/,
  _alternatives(
    "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?" +
      "(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
  ),
  /^(?:<<|=)$/,
];

function _alternatives(...patterns: string[]): RegExp {
  return new RegExp(`^(?:${patterns.join("|")})$`);
}

/** PyYAML's `analyze_scalar` for printable ASCII: may it be written plain in block context? */
function _plainAllowed(s: string): boolean {
  if (s === "" || s.startsWith(" ") || s.endsWith(" ")) return false;
  if ("#,[]{}&*!|>'\"%@`".includes(s[0])) return false;
  if ("-?".includes(s[0]) && (s.length === 1 || s[1] === " ")) return false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ":" && (i + 1 === s.length || s[i + 1] === " ")) return false;
    if (s[i] === "#" && s[i - 1] === " ") return false;
  }
  return true;
}

/**
 * A string scalar as PyYAML writes it, for the characters domain names use: plain when safe,
 * single-quoted when it would read back as another type or holds indicator characters,
 * double-quoted with escapes when it holds non-printable or non-ASCII characters.
 */
function _yamlString(s: string): string {
  if (/[^\x20-\x7e]/.test(s)) {
    let out = '"';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (ch === '"' || ch === "\\") out += `\\${ch}`;
      else if (cp >= 0x20 && cp <= 0x7e) out += ch;
      else if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
    }
    return `${out}"`;
  }
  const plain = _plainAllowed(s) && !_IMPLICIT.some((re) => re.test(s));
  return plain ? s : `'${s.replaceAll("'", "''")}'`;
}
