/**
 * The page a spider gets: {@linkcode createPage} gives a page's fields a `$`, cheerio bound to
 * the page's document (as in Crawlee's CheerioCrawler or Scrapy's `response.css`). The document
 * is parsed with htmlparser2 on first use of `$` and kept for the page, so spiders that never
 * touch `$` (the link spider's tokenizer scan) pay nothing for it. htmlparser2 rather than
 * cheerio's default parse5: it is 3–4× faster on crawled pages (and `cheerio/slim` keeps parse5
 * out of the crawler altogether).
 *
 * - `text/xml`, `application/xml` and `*+xml` pages (except XHTML) are parsed in XML mode:
 *   case-sensitive names, no HTML void elements (RSS `<link>` keeps its text).
 * - A binary page (`text` null) has an empty document: selectors match nothing, so a spider
 *   needs no special case for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPage } from "./page.ts";
 *
 * const text = "<title>Hello</title><h1>World</h1>";
 * const page = createPage({
 *   url: "http://example.com/",
 *   responseUrl: "http://example.com/",
 *   status: 200,
 *   statusText: "OK",
 *   headers: {},
 *   requestHeaders: {},
 *   body: new TextEncoder().encode(text),
 *   text,
 *   encoding: "utf-8",
 *   truncated: false,
 *   contentType: "text/html",
 * });
 * assert.equal(page.$("title").text(), "Hello");
 * assert.equal(page.$("h1").text(), "World");
 * ```
 *
 * @module
 */

import { type CheerioAPI, load } from "cheerio/slim";
import { parseDocument } from "htmlparser2";
import type { FetchedPage } from "./spider.ts";

/** A page's fields: everything but `$`. */
export type PageFields = Omit<FetchedPage, "$">;

/** The document type htmlparser2 builds and cheerio loads. */
export type PageDocument = ReturnType<typeof parseDocument>;

/** Options for {@linkcode createPage}. */
export interface CreatePageOptions {
  /**
   * Parses the page's text into a document (tests count calls with it).
   *
   * @default {parsePageDocument}
   */
  parse?: (text: string, xml: boolean) => PageDocument;
}

/**
 * The page's document, built by htmlparser2: HTML mode, or XML mode for XML pages. Entities
 * are decoded in both.
 *
 * @param text The page's decoded text.
 * @param xml Whether to parse as XML.
 * @returns The document.
 */
export function parsePageDocument(text: string, xml: boolean): PageDocument {
  return parseDocument(text, { xmlMode: xml, decodeEntities: true });
}

/**
 * Whether `contentType` (without parameters, lower case) is XML for `$`: `text/xml`,
 * `application/xml` and `*+xml` types, except XHTML, which is parsed as HTML like browsers do
 * with pages that merely claim it.
 */
export function isXmlContentType(contentType: string): boolean {
  if (contentType === "application/xhtml+xml") return false;
  return contentType === "text/xml" || contentType === "application/xml" ||
    contentType.endsWith("+xml");
}

/**
 * A page with a lazy `$`: the fields are copied onto a new page whose `$` getter parses
 * `fields.text` on first use and returns the same cheerio instance after that. `$` lives on the
 * prototype, so it is left out of `JSON.stringify` and of spread copies (a copy made with
 * `{ ...page }` has no `$`: build it with `createPage` instead).
 *
 * @param fields The page's fields, as the fetcher decoded them (other properties are not
 *   copied).
 * @param options How to parse the document.
 * @returns The page a spider gets.
 */
export function createPage(fields: PageFields, options: CreatePageOptions = {}): FetchedPage {
  return new _Page(fields, options.parse ?? parsePageDocument);
}

/**
 * A class, not an object with a getter added by `defineProperty`: building one costs about as
 * much as copying the fields (the getter per page cost some 200× more), and every page is built
 * on the link spider's path, where `$` is never read.
 */
class _Page implements FetchedPage {
  url: string;
  responseUrl: string;
  status: number;
  statusText: string;
  headers: Record<string, string[]>;
  requestHeaders: Record<string, string>;
  body: Uint8Array;
  text: string | null;
  encoding: string | null;
  truncated: boolean;
  contentType: string;
  #parse: (text: string, xml: boolean) => PageDocument;
  #query: CheerioAPI | undefined;

  constructor(fields: PageFields, parse: (text: string, xml: boolean) => PageDocument) {
    this.url = fields.url;
    this.responseUrl = fields.responseUrl;
    this.status = fields.status;
    this.statusText = fields.statusText;
    this.headers = fields.headers;
    this.requestHeaders = fields.requestHeaders;
    this.body = fields.body;
    this.text = fields.text;
    this.encoding = fields.encoding;
    this.truncated = fields.truncated;
    this.contentType = fields.contentType;
    this.#parse = parse;
  }

  get $(): CheerioAPI {
    if (this.#query === undefined) {
      const xml = isXmlContentType(this.contentType);
      this.#query = load(this.#parse(this.text ?? "", xml), xml ? { xml: true } : null);
    }
    return this.#query;
  }
}
