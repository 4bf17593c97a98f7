/**
 * Validation of incoming API messages against the JSON Schemas in `schemas/`.
 *
 * Semantics follow Scrapy Cluster's Kafka Monitor (JSON Schema extended to inject defaults):
 *
 * - every property that is absent from the message and has a `default` in the schema is set to
 *   that default, including `null` defaults of non-null types, so a crawl request as a crawler
 *   reads it always carries every scraper property (a queue stores it without them:
 *   `compact_request.ts`); defaults are not themselves validated;
 * - `additionalProperties: false` makes the request schemas mutually exclusive;
 * - booleans are not integers, but a JSON number such as `5.0` cannot be told from `5` after
 *   `JSON.parse` and is accepted as an integer (Scrapy Cluster rejected it; we accept the
 *   difference rather than re-scan the raw text);
 * - strings with `format: "http-url"` (a crawl request's `url`) must be an `http` or `https` URL
 *   with a host once a missing scheme is taken as `http` (`www.stuff.com` is accepted as
 *   Scrapy Cluster did; `file:///etc/passwd`, `ftp://…`, `gopher://…`, `javascript:…` are not);
 * - strings with `format: "regex"` (`allow_regex`, `deny_regex`) must compile with RE2's
 *   syntax, since the crawler runs them on a linear-time engine (`lib/web/regex.ts`): a
 *   lookaround, a backreference, an atomic group or a possessive quantifier is refused with a
 *   message naming the field and the construct.
 *
 * The validator never mutates its input: it validates and fills a `structuredClone`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createValidator } from "./validation.ts";
 *
 * const validate = createValidator("scraper");
 * const result = validate({ url: "http://example.com", appid: "app", crawlid: "c1" });
 * assert.ok(result.ok);
 * assert.equal(result.value.spiderid, "link");
 * assert.equal(result.value.domain_max_pages, null);
 * ```
 *
 * @module
 */

import { Ajv, type ValidateFunction } from "ajv";
import { ensureScheme, regexError } from "../web/mod.ts";
import { formatSchemaError } from "./validation_errors.ts";

/** The request kinds the Kafka Monitor accepts, one schema each. */
export type RequestKind = "scraper" | "action" | "stats" | "zookeeper";

/** The request kinds in the Kafka Monitor's plugin priority order (first match wins). */
export const REQUEST_KINDS: readonly RequestKind[] = Object.freeze([
  "scraper",
  "action",
  "stats",
  "zookeeper",
]);

/** Options for {@linkcode createValidator}. */
export interface ValidatorOptions {
  /**
   * Highest `maxdepth` a crawl request may ask for; overrides the scraper schema's
   * `maxdepth.maximum`. Ignored for schemas without a `maxdepth` property.
   *
   * @default {3}
   */
  maxDepthLimit?: number;
}

/** A message that did not validate. */
export interface ValidationFailure {
  ok: false;
  /**
   * Human-readable reasons, each prefixed by the JSON pointer of the offending value when it is
   * not the message itself, e.g. `"/priority must be <= 100"` or
   * `"must NOT have additional property 'foo'"`.
   */
  errors: string[];
}

/** A message that validated; `value` is a copy with the schema defaults filled in. */
export interface ValidationSuccess<T> {
  ok: true;
  value: T;
}

/** The outcome of a validator built by {@linkcode createValidator}. */
export type ValidationResult = ValidationSuccess<Record<string, unknown>> | ValidationFailure;

/** A validated crawl request (`schemas/scraper.json`) with every default filled in. */
export interface CrawlRequest {
  url: string;
  appid: string;
  crawlid: string;
  spiderid: string;
  priority: number;
  maxdepth: number;
  domain_max_pages: number | null;
  allowed_domains: string[] | null;
  allow_regex: string[] | null;
  deny_regex: string[] | null;
  deny_extensions: string[] | null;
  expires: number;
  useragent: string | null;
  cookie: string | null;
  attrs: Record<string, unknown> | null;
  /** Node tags (no default: absent when the request has none). */
  tags?: string[];
  [extra: string]: unknown;
}

/** Options for {@linkcode parseJsonMessage}. */
export interface ParseJsonMessageOptions {
  /**
   * Largest accepted message, in UTF-8 bytes.
   *
   * @default {Infinity}
   */
  maxBytes?: number;
}

/** The pattern the schemas put on ids that end up inside Redis key names. */
export const ID_PATTERN = "^[^:*\\u0000-\\u001F\\u007F]*$";

// A failure listing 10,000 unknown properties helps nobody and bloats the logs.
const MAX_ERRORS = 20;
const SCHEMA_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const schemaCache = new Map<string, Record<string, unknown>>();
const validatorCache = new Map<string, (input: unknown) => ValidationResult>();

/**
 * Reads `schemas/<name>.json` (relative to this module) and returns a copy of it. The file is
 * read once; later calls return fresh copies of the cached schema, so callers may modify them.
 *
 * @param name The schema's file name without `.json`, e.g. `"scraper"`.
 * @returns The parsed schema.
 * @throws {Error} When the name is not a plain file name, or the file is missing or not JSON.
 */
export function loadSchema(name: string): Record<string, unknown> {
  let schema = schemaCache.get(name);
  if (schema === undefined) {
    if (!SCHEMA_NAME.test(name)) {
      // Also keeps "../" out of the path.
      throw new Error(`Cannot load schema: name ${JSON.stringify(name)} is not a plain file name`);
    }
    const url = new URL(`../../schemas/${name}.json`, import.meta.url);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Deno.readTextFileSync(url));
    } catch (error) {
      throw new Error(`Cannot load schema "${name}" from ${url.href}: ${_message(error)}`, {
        cause: error,
      });
    }
    if (!_isPlainObject(parsed)) {
      throw new Error(`Cannot load schema "${name}": the file does not hold a JSON object`);
    }
    schema = parsed;
    schemaCache.set(name, schema);
  }
  return structuredClone(schema);
}

/**
 * Builds a validator for `schemas/<schemaName>.json`. Validators are compiled once per schema
 * and options, then cached.
 *
 * The validator returns either the input's copy with every missing default filled in, or the
 * list of everything wrong with it. It never throws on bad input and never mutates it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createValidator } from "./validation.ts";
 *
 * const validate = createValidator("scraper", { maxDepthLimit: 5 });
 * const result = validate({ url: "x.com", appid: "app", crawlid: "c", priority: 101 });
 * assert.deepEqual(result, { ok: false, errors: ["/priority must be <= 100"] });
 * ```
 *
 * @param schemaName The schema's file name without `.json`, e.g. `"scraper"`.
 * @param opts Validator options.
 * @returns The validator.
 * @throws {Error} When the schema cannot be loaded or compiled.
 * @throws {RangeError} When `maxDepthLimit` is not a non-negative integer.
 */
export function createValidator(
  schemaName: string,
  opts: ValidatorOptions = {},
): (input: unknown) => ValidationResult {
  const { maxDepthLimit } = opts;
  if (
    maxDepthLimit !== undefined && (!Number.isSafeInteger(maxDepthLimit) || maxDepthLimit < 0)
  ) {
    throw new RangeError(
      `Cannot create validator: maxDepthLimit must be a non-negative integer, got ${maxDepthLimit}`,
    );
  }
  const key = `${schemaName}\u0000${maxDepthLimit ?? ""}`;
  let validator = validatorCache.get(key);
  if (validator === undefined) {
    validator = _compile(schemaName, maxDepthLimit);
    validatorCache.set(key, validator);
  }
  return validator;
}

/**
 * Whether `url` is a URL the crawlers may be sent to: `http` or `https` with a host, a missing
 * scheme being taken as `http` (as the crawler does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHttpUrl } from "./validation.ts";
 *
 * assert.ok(isHttpUrl("www.stuff.com"));
 * assert.ok(!isHttpUrl("file:///etc/passwd"));
 * assert.ok(!isHttpUrl("javascript:alert(1)"));
 * ```
 */
export function isHttpUrl(url: string): boolean {
  // "javascript:x" or "mailto:a@b" have a scheme but no "//": ensureScheme would prefix them.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(?!\d+(?:[/?#]|$))/.exec(url.trim());
  if (scheme && !/^https?$/i.test(scheme[1])) return false;
  try {
    const parsed = new URL(ensureScheme(url));
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

/** A leading byte order mark, which both intake paths strip (REST's decoder drops it too). */
const BOM = "\uFEFF";

/**
 * Parses one Kafka message as JSON, refusing oversized messages before parsing them. A leading
 * byte order mark is dropped first (as REST's UTF-8 decoding does), so both intake paths read
 * a BOM-prefixed request the same way. A top-level value that is not an object is not an
 * error here: the schemas reject it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonMessage } from "./validation.ts";
 *
 * assert.deepEqual(parseJsonMessage('{"a":1}'), { ok: true, value: { a: 1 } });
 * assert.equal(parseJsonMessage("{", { maxBytes: 10 }).ok, false);
 * ```
 *
 * @param text The message, decoded as UTF-8.
 * @param opts Parsing options.
 * @returns The parsed value, or an error such as `"invalid JSON: ..."` or
 *   `"message of N bytes exceeds the limit of M bytes"`.
 */
export function parseJsonMessage(
  text: string,
  opts: ParseJsonMessageOptions = {},
): { ok: true; value: unknown } | { ok: false; error: string; tooLarge?: true } {
  const maxBytes = opts.maxBytes ?? Infinity;
  if (text.startsWith(BOM)) text = text.slice(1);
  // A UTF-8 encoding is never shorter than the UTF-16 length, so only long texts need counting.
  if (text.length > maxBytes / 3) {
    const bytes = _utf8Length(text);
    if (bytes > maxBytes) {
      return {
        ok: false,
        error: `message of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
        tooLarge: true,
      };
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${_message(error)}` };
  }
}

function _compile(name: string, maxDepthLimit: number | undefined) {
  const schema = loadSchema(name);
  const properties = schema.properties;
  if (maxDepthLimit !== undefined && _isPlainObject(properties)) {
    const maxdepth = properties.maxdepth;
    if (_isPlainObject(maxdepth)) maxdepth.maximum = maxDepthLimit;
  }
  // One Ajv per compiled schema: two variants sharing a `$id` cannot live in one instance.
  // `useDefaults` stays off because Ajv validates the defaults it injects (a `null` default
  // would fail `type: "integer"`); `_injectDefaults` reproduces Scrapy Cluster instead.
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    verbose: true,
    formats: {
      regex: { type: "string", validate: (s: string) => regexError(s) === null },
      // An empty url is minLength's to report.
      "http-url": { type: "string", validate: (s: string) => s === "" || isHttpUrl(s) },
    },
  });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new Error(`Cannot compile schema "${name}": ${_message(error)}`, { cause: error });
  }
  return (input: unknown): ValidationResult => {
    let value: unknown;
    try {
      value = structuredClone(input);
    } catch (error) {
      // Functions, symbols and the like cannot come out of JSON.parse anyway.
      return { ok: false, errors: [`cannot be copied: ${_message(error)}`] };
    }
    if (validate(value)) {
      _injectDefaults(schema, value);
      return { ok: true, value: value as Record<string, unknown> };
    }
    const all = (validate.errors ?? []).map(formatSchemaError);
    const errors = all.slice(0, MAX_ERRORS);
    if (all.length > MAX_ERRORS) errors.push(`... and ${all.length - MAX_ERRORS} more errors`);
    return { ok: false, errors };
  };
}

/** Sets every absent property that has a default, recursing into present object properties. */
function _injectDefaults(schema: unknown, data: unknown): void {
  if (!_isPlainObject(schema) || !_isPlainObject(data)) return;
  const properties = schema.properties;
  if (!_isPlainObject(properties)) return;
  for (const [prop, sub] of Object.entries(properties)) {
    if (Object.hasOwn(data, prop)) {
      _injectDefaults(sub, data[prop]);
    } else if (_isPlainObject(sub) && sub.default !== undefined) {
      // A copy, so no two results share a default object.
      data[prop] = structuredClone(sub.default);
    }
  }
}

function _utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3; // a lone surrogate is encoded as U+FFFD
    } else bytes += 3;
  }
  return bytes;
}

function _isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
