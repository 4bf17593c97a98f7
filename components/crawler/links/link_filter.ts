/**
 * The link filters of a crawl request for the link and wandering spiders: Scrapy's
 * `LxmlLinkExtractor` `allow_domains` / `allow` / `deny` / `deny_extensions` as Scrapy Cluster
 * fills them from the request's `allowed_domains` / `allow_regex` / `deny_regex` /
 * `deny_extensions`, compiled once per distinct filter into a predicate over canonical URLs.
 * `extractLinks()` (`link_extractor.ts`, which re-exports this module's public API) runs it on
 * each distinct link of a page. Differences from Scrapy, all deliberate:
 *
 * - `allowedDomains` compares host names, so a port does not defeat it (Scrapy compared the
 *   netloc, port included), and IDN entries are compared in punycode;
 * - `denyExtensions` entries are lower-cased and may carry a leading dot (Scrapy compared the
 *   lower-cased URL extension with the list as given, so `"PDF"` never matched);
 * - `allowRegex` / `denyRegex` run on RE2's linear-time engine (`lib/web/regex.ts`), not a
 *   backtracking one: a pattern such as `(a+)+$` costs microseconds per link, and syntax that
 *   only a backtracking engine runs (lookarounds, backreferences) is refused at validation.
 *
 * @module
 */

import { getLog } from "../../../lib/config/mod.ts";
import { type BoundedRegex, compileRegex, RegexError } from "../../../lib/web/mod.ts";

/**
 * File extensions that are not followed by default: Scrapy's `IGNORED_EXTENSIONS`
 * (`scrapy/linkextractors/__init__.py`, Scrapy 2.13), in its order. Like in Scrapy, the
 * extension is the last one of the URL path (`/a.tar.gz` → `gz`), so `"tar.gz"` never matches
 * on its own; `gz` files are followed.
 */
// deno-fmt-ignore
export const IGNORED_EXTENSIONS: readonly string[] = Object.freeze([
  // archives
  "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip",
  // images
  "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai", "drw",
  "dxf", "eps", "ps", "svg", "cdr", "ico", "webp",
  // audio
  "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff",
  // video
  "3gp", "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4a", "m4v", "flv",
  "webm",
  // office suites
  "xls", "xlsm", "xlsx", "xltm", "xltx", "potm", "potx", "ppt", "pptm", "pptx", "pps", "doc",
  "docb", "docm", "docx", "dotm", "dotx", "odt", "ods", "odg", "odp",
  // other
  "css", "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "sh", "rb", "js", "hta", "bat",
  "cpl", "msi", "msp", "py",
]);

/** The link filters of a crawl request (its `allowed_domains`, `allow_regex`, ... fields). */
export interface LinkFilter {
  /** A host matches when it equals a domain or ends with `.` + domain; null or [] allows all. */
  allowedDomains: string[] | null;
  /** Regexes searched in the canonical URL; any match allows; null or [] allows all. */
  allowRegex: string[] | null;
  /** Regexes searched in the canonical URL; any match denies, before `allowRegex`. */
  denyRegex: string[] | null;
  /** Denied path extensions, without the dot; null → {@linkcode IGNORED_EXTENSIONS}. */
  denyExtensions: string[] | null;
}

/**
 * The entry point of a compiled filter that needs no URL object: the canonical URL, its host
 * name and its path (without query or fragment).
 */
export type _FilterParts = (href: string, hostname: string, pathname: string) => boolean;

const FILTER_CACHE_MAX = 1024;
const _filterCache = new Map<string, _CompiledFilter>();
const PARTS = Symbol("parts");
const NEVER: BoundedRegex = Object.freeze({ source: "", test: () => false });

/**
 * Compiles a {@linkcode LinkFilter} into a predicate over canonical URLs. Compiled filters are
 * cached per distinct filter, so every page of a crawl reuses one set of compiled regexes.
 *
 * Regexes use RE2's syntax and run in linear time (`compileRegex()`), each compiled once per
 * process, as the kafka-monitor and REST validate them. One that does not compile in any engine
 * (which validation always rejected) matches nothing: a bad `denyRegex` denies nothing, a bad
 * `allowRegex` allows nothing unless another allow regex matches. One that only a backtracking
 * engine runs (a lookahead, a backreference: written before validation refused them, or by
 * another tool) makes the filter refuse every link, so the crawl stops at the pages it has —
 * following links its `denyRegex` meant to exclude would widen it; the reason is logged once
 * per distinct filter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileLinkFilter } from "./link_extractor.ts";
 *
 * const allowed = compileLinkFilter({
 *   allowedDomains: ["example.com"],
 *   allowRegex: null,
 *   denyRegex: ["/private/"],
 *   denyExtensions: null,
 * });
 * assert.equal(allowed(new URL("http://www.example.com/a")), true);
 * assert.equal(allowed(new URL("http://www.example.com/private/a")), false);
 * assert.equal(allowed(new URL("http://www.example.com/a.pdf")), false);
 * assert.equal(allowed(new URL("http://notexample.com/a")), false);
 * ```
 *
 * @param f The filter fields of a request.
 * @returns A predicate that is true for URLs to keep.
 */
export function compileLinkFilter(f: LinkFilter): (url: URL) => boolean {
  const key = JSON.stringify([f.allowedDomains, f.allowRegex, f.denyRegex, f.denyExtensions]);
  let compiled = _filterCache.get(key);
  if (compiled === undefined) {
    compiled = _compile(f);
    if (_filterCache.size >= FILTER_CACHE_MAX) {
      // Maps iterate in insertion order: drop the oldest entry.
      _filterCache.delete(_filterCache.keys().next().value!);
    }
    _filterCache.set(key, compiled);
  }
  return compiled;
}

/**
 * The {@linkcode _FilterParts} entry point of a filter made by {@linkcode compileLinkFilter},
 * or undefined for any other function. Internal: `extractLinks()` uses it to skip parsing every
 * link into a URL.
 */
export function _filterParts(filter: (url: URL) => boolean): _FilterParts | undefined {
  return PARTS in filter ? (filter as _CompiledFilter)[PARTS] : undefined;
}

/** A compiled filter, with an entry point that needs no URL object. */
interface _CompiledFilter {
  (url: URL): boolean;
  [PARTS]: _FilterParts;
}

function _compile(f: LinkFilter): _CompiledFilter {
  const unsupported = _unsupported("allow_regex", f.allowRegex) ??
    _unsupported("deny_regex", f.denyRegex);
  if (unsupported !== null) {
    getLog("crawler", "links").warn(
      "Refusing every link of crawls whose {field} holds {pattern}: {reason}",
      unsupported,
    );
    return Object.assign((_url: URL) => false, { [PARTS]: () => false });
  }
  const domains = f.allowedDomains?.length ? f.allowedDomains.map(_normaliseDomain) : null;
  const suffixes = domains?.map((d) => `.${d}`) ?? [];
  const allow = f.allowRegex?.length ? f.allowRegex.map(_regex) : null;
  const deny = f.denyRegex?.length ? f.denyRegex.map(_regex) : null;
  const extensions = new Set(
    (f.denyExtensions ?? IGNORED_EXTENSIONS).map((e) =>
      `.${e.startsWith(".") ? e.slice(1) : e}`.toLowerCase()
    ),
  );
  const parts = (href: string, host: string, pathname: string): boolean => {
    if (domains !== null && !domains.some((d, i) => host === d || host.endsWith(suffixes[i]))) {
      return false;
    }
    if (deny !== null && deny.some((r) => r.test(href))) return false;
    if (allow !== null && !allow.some((r) => r.test(href))) return false;
    if (extensions.size > 0) {
      const ext = _pathExtension(pathname);
      if (ext !== "" && extensions.has(ext)) return false;
    }
    return true;
  };
  const compiled = (url: URL): boolean => parts(url.href, url.hostname, url.pathname);
  return Object.assign(compiled, { [PARTS]: parts });
}

/** Lower-cases a domain and, when it is a valid host, puts it in punycode. */
function _normaliseDomain(domain: string): string {
  const lower = domain.trim().toLowerCase();
  try {
    const host = new URL(`http://${lower}/`).hostname;
    return host === "" ? lower : host;
  } catch {
    return lower;
  }
}

/** A compiled regex; one that does not compile matches nothing. */
function _regex(source: string): BoundedRegex {
  try {
    return compileRegex(source);
  } catch (err) {
    if (err instanceof RegexError) return NEVER;
    throw err;
  }
}

/** The first pattern of `sources` that only a backtracking engine runs, for the log. */
function _unsupported(
  field: string,
  sources: string[] | null,
): { field: string; pattern: string; reason: string } | null {
  for (const source of sources ?? []) {
    try {
      compileRegex(source);
    } catch (err) {
      if (err instanceof RegexError && err.kind === "unsupported") {
        return { field, pattern: source, reason: err.reason };
      }
    }
  }
  return null;
}

/**
 * The lower-cased extension of a path with its dot, as Python's `posixpath.splitext` finds it:
 * the last `.` of the last segment, unless that segment is only leading dots before it.
 */
function _pathExtension(path: string): string {
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  if (dot <= slash + 1) return "";
  for (let i = slash + 1; i < dot; i++) {
    if (path[i] !== ".") return path.slice(dot).toLowerCase();
  }
  return "";
}
