/**
 * Link extraction for the link and wandering spiders: Scrapy's `LxmlLinkExtractor` as Scrapy
 * Cluster configures it (tags `a` and `area`, attribute `href`, canonicalised, unique), with the
 * request's `allowed_domains` / `allow_regex` / `deny_regex` / `deny_extensions` filters, which
 * live in `link_filter.ts` and are re-exported here.
 *
 * The page is read with htmlparser2's streaming tokenizer, not a DOM: the extractor runs on every
 * page. Differences from Scrapy, all deliberate:
 *
 * - only `http:` and `https:` links survive (Scrapy 1.x also kept `file:`; a crawler must not
 *   read local files because a page says so);
 * - the first `<base href>` anywhere in the document counts (w3lib only looks at the first
 *   4,096 characters and needs a quoted value);
 * - filters see the canonical URL (Scrapy runs them before canonicalising, so a deny regex on a
 *   `#fragment` or on the original query order has no equivalent here);
 * - the link text is the element's text content with ASCII whitespace collapsed and trimmed;
 * - non-ASCII characters in a query are UTF-8 percent-encoded whatever the page encoding.
 *
 * The filters' own differences from Scrapy are listed in `link_filter.ts`.
 *
 * @module
 */

import { decodeHTML, decodeHTMLAttribute } from "entities";
import { FastTokenizer } from "./fast_tokenizer.ts";
import { canonicalizeUrl } from "../../../lib/web/mod.ts";
import type { PageLink } from "../spider.ts";
import { _filterParts } from "./link_filter.ts";

export { compileLinkFilter, IGNORED_EXTENSIONS, type LinkFilter } from "./link_filter.ts";

/** Options for {@linkcode extractLinks}. */
export interface ExtractLinksOptions {
  /**
   * Keeps a link when it returns true; it receives the canonical URL.
   *
   * @default {undefined} (every http/https link is kept)
   */
  filter?: (url: URL) => boolean;
}

// Path and query characters that canonicalizeUrl leaves as they are.
const SIMPLE_PATH = /^[A-Za-z0-9\-._~:/@!$&'()*+,;=|[\]]*$/;
// Root-relative paths the URL parser would leave as they are (no escapes, no dot segments).
const FAST_PATH = /^[A-Za-z0-9\-._~:@!$&'()*+,;=/]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
const SIMPLE_QUERY_WORD = /^[A-Za-z0-9\-._~+]*$/;
const ASCII_WS = /[\t\n\f\r ]+/g;
const TRIM_WS = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
const NEEDS_COLLAPSE = /[\t\n\f\r]| {2}|^ | $/;

/**
 * Extracts the links of an HTML page: `href` of `a` and `area` elements, resolved against the
 * first `<base href>` (itself resolved against `baseUrl`) or `baseUrl`, http/https only,
 * canonicalised (fragment dropped, query sorted), unique by canonical URL with the first
 * occurrence kept, in document order. Malformed HTML never throws; unresolvable hrefs are
 * skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractLinks } from "./link_extractor.ts";
 *
 * const html = `<a href="/b?y=2&amp;x=1#top"> Next
 *   page</a><a href="mailto:a@b.c">mail</a><a href="/b?x=1&y=2">again</a>`;
 * assert.deepEqual(extractLinks(html, "http://example.com/a"), [
 *   { url: "http://example.com/b?x=1&y=2", text: "Next page" },
 * ]);
 * ```
 *
 * @param html The page's text.
 * @param baseUrl The page's URL (after redirects).
 * @param opts Extraction options.
 * @returns The links, in document order.
 */
export function extractLinks(
  html: string,
  baseUrl: string,
  opts: ExtractLinksOptions = {},
): PageLink[] {
  const { base, raw } = _scan(html);
  const resolveBase = _resolveBase(base, baseUrl);
  if (resolveBase === null) return [];
  const filter = opts.filter;
  const parts = filter === undefined ? undefined : _filterParts(filter);
  // Root-relative and same-origin links are resolved without the URL parser when simple.
  const origin = _isSimpleBase(resolveBase) ? `${resolveBase.protocol}//${resolveBase.host}` : null;
  const baseHostname = resolveBase.hostname;
  const seenHref = new Set<string>();
  const seenCanonical = new Set<string>();
  const links: PageLink[] = [];
  for (const { href, text } of raw) {
    let canonical = origin === null ? null : _fastCanonical(href, origin);
    let hostname = baseHostname;
    if (canonical === null) {
      let resolved: URL;
      try {
        resolved = new URL(href, resolveBase);
      } catch {
        continue;
      }
      if (resolved.protocol !== "http:" && resolved.protocol !== "https:") continue;
      const absolute = resolved.href;
      if (seenHref.has(absolute)) continue;
      seenHref.add(absolute);
      canonical = _canonical(resolved);
      if (canonical === null) continue;
      hostname = resolved.hostname;
    }
    if (seenCanonical.has(canonical)) continue;
    seenCanonical.add(canonical);
    if (parts !== undefined) {
      // The canonical URL has the resolved URL's host name.
      if (!parts(canonical, hostname, _pathOf(canonical))) continue;
    } else if (filter !== undefined) {
      let url: URL;
      try {
        url = new URL(canonical);
      } catch {
        continue;
      }
      if (!filter(url)) continue;
    }
    links.push({ url: canonical, text: _collapse(text) });
  }
  return links;
}

interface _RawLink {
  href: string;
  text: string;
}

// Tag kinds the scanner cares about.
const TAG_OTHER = 0;
const TAG_A = 1;
const TAG_AREA = 2;
const TAG_BASE = 3;
type _Tag = typeof TAG_OTHER | typeof TAG_A | typeof TAG_AREA | typeof TAG_BASE;

// Elements without end tag: they do not nest link text.
// deno-fmt-ignore
const VOID_ELEMENTS = new Set([
  "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
  "source", "track", "wbr",
]);
type _Callbacks = ConstructorParameters<typeof FastTokenizer>[1];

/**
 * Tokenizes the page once, collecting the first base href and every a/area href with its raw
 * text. Entities are decoded only in the strings kept (the tokenizer skips text much faster
 * without decoding), by the `entities` package htmlparser2 itself decodes with: attribute mode
 * for hrefs (`&copy=1` stays as written), legacy text mode for link text.
 *
 * A link's text runs from its `<a>` to the first of: its `</a>`, the next `<a>`, the end tag of
 * an element opened before it, the end of the page.
 */
function _scan(html: string): _Scanner {
  const scanner = new _Scanner(html);
  const tokenizer = new FastTokenizer({ xmlMode: false, decodeEntities: false }, scanner);
  tokenizer.write(html);
  tokenizer.end();
  return scanner;
}

/** Tokenizer callbacks (a class: monomorphic and fast, unlike a bag of closures). */
class _Scanner implements _Callbacks {
  base: string | null = null;
  readonly raw: _RawLink[] = [];
  readonly #html: string;
  #tag: _Tag = TAG_OTHER;
  #tagName = "";
  #href: string | null = null;
  #inHref = false;
  #hrefRaw = "";
  // The open <a> collecting text, and how many elements opened inside it are still open.
  #open: _RawLink | null = null;
  #depth = 0;

  constructor(html: string) {
    this.#html = html;
  }

  onopentagname(start: number, end: number): void {
    this.#tag = _tagOf(this.#html, start, end);
    this.#tagName = this.#tag === TAG_OTHER && this.#open !== null
      ? this.#html.slice(start, end).toLowerCase()
      : "";
  }

  onattribname(start: number, end: number): void {
    this.#inHref = this.#tag !== TAG_OTHER && this.#href === null &&
      _isHref(this.#html, start, end);
    this.#hrefRaw = "";
  }

  onattribdata(start: number, end: number): void {
    if (this.#inHref) this.#hrefRaw += this.#html.slice(start, end);
  }

  onattribend(): void {
    if (this.#inHref) {
      // The first href wins, as in the HTML attribute list.
      this.#href = this.#hrefRaw;
      this.#inHref = false;
    }
  }

  onopentagend(): void {
    const href = this.#href;
    if (this.#tag === TAG_A) {
      // An <a> without href still ends an open one, as the HTML tree builder does.
      this.#open = href === null ? null : { href: decodeHTMLAttribute(href), text: "" };
      if (this.#open !== null) this.raw.push(this.#open);
      this.#depth = 0;
    } else if (this.#tag === TAG_AREA) {
      if (href !== null) this.raw.push({ href: decodeHTMLAttribute(href), text: "" });
    } else if (this.#tag === TAG_BASE) {
      if (this.base === null && href !== null) this.base = decodeHTMLAttribute(href);
    } else if (this.#open !== null && !VOID_ELEMENTS.has(this.#tagName)) {
      this.#depth++;
    }
    this.#tag = TAG_OTHER;
    this.#href = null;
    this.#inHref = false;
  }

  // In HTML, `<x/>` is an open tag.
  onselfclosingtag(): void {
    this.onopentagend();
  }

  onclosetag(start: number, end: number): void {
    if (this.#open === null) return;
    if (end - start === 1 && (this.#html.charCodeAt(start) | 0x20) === 0x61) {
      this.#open = null;
    } else if (this.#depth > 0) {
      this.#depth--;
    } else {
      this.#open = null;
    }
  }

  ontext(start: number, end: number): void {
    if (this.#open !== null) this.#open.text += decodeHTML(this.#html.slice(start, end));
  }

  onattribentity(): void {}
  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onend(): void {}
  onprocessinginstruction(): void {}
  ontextentity(): void {}
}

/** Which of a, area, base (case-insensitive) the tag name `html[start, end)` is. */
function _tagOf(html: string, start: number, end: number): _Tag {
  const len = end - start;
  if (len === 1) return (html.charCodeAt(start) | 0x20) === 0x61 ? TAG_A : TAG_OTHER;
  if (len !== 4) return TAG_OTHER;
  const name = html.slice(start, end).toLowerCase();
  return name === "area" ? TAG_AREA : name === "base" ? TAG_BASE : TAG_OTHER;
}

function _isHref(html: string, start: number, end: number): boolean {
  return end - start === 4 && html.slice(start, end).toLowerCase() === "href";
}

/** The URL relative links resolve against, or null when `pageUrl` is not absolute. */
function _resolveBase(base: string | null, pageUrl: string): URL | null {
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    return null;
  }
  if (base === null) return page;
  try {
    return new URL(base, page);
  } catch {
    return page;
  }
}

/**
 * `canonicalizeUrl(url.href)`, computed directly for the common URL made of unreserved
 * characters only (no userinfo, no escapes, query arguments of `[A-Za-z0-9._~+-]`); null when
 * the URL cannot be canonicalised.
 */
function _canonical(url: URL): string | null {
  const path = url.pathname;
  if (url.username === "" && url.password === "" && SIMPLE_PATH.test(path)) {
    const origin = `${url.protocol}//${url.host}${path}`;
    const search = url.search;
    if (search.length <= 1) return origin;
    const pairs = _simpleQuery(search.slice(1));
    if (pairs !== null) return origin + _sortedQuery(pairs);
  }
  try {
    return canonicalizeUrl(url.href);
  } catch {
    return null;
  }
}

/** True for an http(s) base URL without userinfo. */
function _isSimpleBase(base: URL): boolean {
  return (base.protocol === "http:" || base.protocol === "https:") && base.username === "" &&
    base.password === "";
}

/**
 * `canonicalizeUrl(new URL(href, origin).href)` without the URL parser, for a root-relative
 * href (or an absolute one on `origin` exactly as serialised) with a simple path and query;
 * null for any other href. The differential test in `link_extractor_test.ts` holds it (and
 * {@linkcode _canonical}) equal to `canonicalizeUrl`; it saves the URL parser on most links.
 */
function _fastCanonical(href: string, origin: string): string | null {
  const hash = href.indexOf("#");
  let rest = hash < 0 ? href : href.slice(0, hash);
  if (rest.startsWith(origin) && rest.charCodeAt(origin.length) === 0x2f) {
    rest = rest.slice(origin.length);
  }
  if (rest.charCodeAt(0) !== 0x2f || rest.charCodeAt(1) === 0x2f) return null;
  const query = rest.indexOf("?");
  const path = query < 0 ? rest : rest.slice(0, query);
  if (!FAST_PATH.test(path) || DOT_SEGMENT.test(path)) return null;
  if (query < 0) return origin + path;
  const pairs = _simpleQuery(rest.slice(query + 1));
  return pairs === null ? null : origin + path + _sortedQuery(pairs);
}

/** `?k=v&...` sorted, or "" for no pairs. */
function _sortedQuery(pairs: [string, string][]): string {
  if (pairs.length === 0) return "";
  // Python sorts (key, value) byte strings; in this alphabet `+` (a space once unquoted) sorts
  // first either way, so UTF-16 order is the same.
  pairs.sort(([k1, v1], [k2, v2]) => k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0);
  let out = "";
  for (const [k, v] of pairs) out += `${out === "" ? "?" : "&"}${k}=${v}`;
  return out;
}

/** The query's `[key, value]` pairs, or null when one needs escaping or unescaping. */
function _simpleQuery(query: string): [string, string][] | null {
  const pairs: [string, string][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (!SIMPLE_QUERY_WORD.test(key) || !SIMPLE_QUERY_WORD.test(value)) return null;
    pairs.push([key, value]);
  }
  return pairs;
}

/** The path of an http(s) URL without fragment: neither userinfo nor host holds a `/`. */
function _pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return url.slice(start, end < 0 ? url.length : end);
}

function _collapse(text: string): string {
  return NEEDS_COLLAPSE.test(text) ? text.replace(ASCII_WS, " ").replace(TRIM_WS, "") : text;
}
