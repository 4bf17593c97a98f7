/**
 * Regular expressions from crawl requests (`allow_regex`, `deny_regex`) in linear time, with
 * RE2's engine (npm `re2js`, a pure JavaScript port of RE2/Go's `regexp`): a pattern such as
 * `(a+)+$`, which makes a backtracking engine (JavaScript's `RegExp`, Python's `re`) run for
 * hours on a 40-character URL, costs a few microseconds per URL here, whatever the input.
 *
 * The syntax is RE2's (close to Python's `re`, which Scrapy used: `(?P<name>…)`, `(?i)` and
 * `\x{41}` work; `\uXXXX` is accepted too, as Python and JavaScript write it). What RE2 cannot run
 * in linear time is refused with an error naming the construct: lookaheads `(?=` `(?!`,
 * lookbehinds `(?<=` `(?<!`, backreferences `\1` `\k<name>`, atomic groups `(?>` and possessive
 * quantifiers `a++`. Matching searches the input, as `re.search` and `RegExp.test` do (not a
 * full match). Compiled patterns are cached by their source (at most
 * {@linkcode REGEX_CACHE_MAX}), so each distinct pattern is compiled once per process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileRegex, regexError } from "./regex.ts";
 *
 * const hostile = compileRegex("(a+)+$");
 * assert.equal(hostile.test(`http://example.com/${"a".repeat(40)}!`), false); // at once
 * assert.equal(compileRegex("/news/").test("http://example.com/news/1"), true);
 * assert.equal(regexError("^/news/"), null);
 * assert.equal(
 *   regexError("^(?!.*private)"),
 *   'uses a negative lookahead "(?!", which the linear-time regex engine (RE2 syntax) does not support',
 * );
 * ```
 *
 * @module
 */

import { RE2JS } from "re2js";

/** A compiled pattern. */
export interface BoundedRegex {
  /** The pattern as it was given. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `input` (a search, like `RegExp.test`). */
  test(input: string): boolean;
}

/**
 * Why a pattern cannot be compiled: `"syntax"` for a pattern that is no regular expression in
 * any engine, `"unsupported"` for one that JavaScript's backtracking engine would run but RE2
 * does not (a lookaround, a backreference, ...): such a pattern may sit in requests written
 * before this check existed, or by another tool.
 */
export class RegexError extends Error {
  /**
   * @param kind `"syntax"` or `"unsupported"`
   * @param source the pattern
   * @param reason what is wrong, for messages (`uses a lookahead "(?=", which ...`)
   */
  constructor(
    readonly kind: "syntax" | "unsupported",
    readonly source: string,
    readonly reason: string,
  ) {
    super(`Cannot compile regular expression ${JSON.stringify(source)}: ${reason}`);
    this.name = "RegexError";
  }
}

/** How many compiled patterns (or compile errors) are kept. */
export const REGEX_CACHE_MAX = 1024;

const _cache = new Map<string, BoundedRegex | RegexError>();
/** Patterns without any character RE2 treats specially: plain substrings. */
const _LITERAL = /^[^\\^$.|?*+()[\]{}]*$/;

/**
 * Compiles `source` with RE2's syntax, or takes it from the cache.
 *
 * @param source The pattern, without delimiters or flags (`(?i)` sets case-insensitivity).
 * @returns The compiled pattern.
 * @throws {RegexError} When the pattern does not compile; the error is cached too.
 */
export function compileRegex(source: string): BoundedRegex {
  let entry = _cache.get(source);
  if (entry === undefined) {
    entry = _compile(source);
    if (_cache.size >= REGEX_CACHE_MAX) {
      // Maps iterate in insertion order: drop the oldest entry.
      _cache.delete(_cache.keys().next().value!);
    }
    _cache.set(source, entry);
  }
  if (entry instanceof RegexError) throw entry;
  return entry;
}

/**
 * Why `source` cannot be compiled (the {@linkcode RegexError} reason), or null when it can.
 *
 * @param source The pattern.
 * @returns A message such as `uses a backreference "\1", which the linear-time regex engine
 * (RE2 syntax) does not support`, or `missing closing ): "(abc"`.
 */
export function regexError(source: string): string | null {
  try {
    compileRegex(source);
    return null;
  } catch (err) {
    if (err instanceof RegexError) return err.reason;
    throw err;
  }
}

/** How many patterns are cached (for tests). */
export function _regexCacheSize(): number {
  return _cache.size;
}

function _compile(source: string): BoundedRegex | RegexError {
  const construct = _unsupportedConstruct(source);
  if (construct !== null) {
    return new RegexError(
      "unsupported",
      source,
      `uses ${construct}, which the linear-time regex engine (RE2 syntax) does not support`,
    );
  }
  if (_LITERAL.test(source)) {
    // No operator at all: a substring search, which needs no engine.
    return { source, test: (input: string) => input.includes(source) };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(_translate(source));
  } catch (err) {
    const reason = _reason(err);
    return new RegexError(_jsAccepts(source) ? "unsupported" : "syntax", source, reason);
  }
  return { source, test: (input: string) => re.test(input) };
}

/** RE2's message without its prefix, with the quoted fragment in double quotes. */
function _reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/^error parsing regexp: /, "")
    .replace(/`([^`]*)`$/, '"$1"');
}

function _jsAccepts(source: string): boolean {
  try {
    // Compiling only: nothing is matched, so this cannot take long.
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first construct of `source` that only a backtracking engine runs, described, or null.
 * Escapes and character classes are skipped, so `\(?=` and `[(?=]` are not lookaheads.
 */
function _unsupportedConstruct(source: string): string | null {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && next >= "1" && next <= "9") {
        return `a backreference "\\${/^\d+/.exec(source.slice(i + 1))![0]}"`;
      }
      if (!inClass && next === "k" && source[i + 2] === "<") {
        return `a named backreference "${source.slice(i, source.indexOf(">", i) + 1 || i + 3)}"`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      // A "]" right after "[" or "[^" is a literal in RE2 (and Python).
      if (source[i + 1] === "^") i++;
      if (source[i + 1] === "]") i++;
      continue;
    }
    if (c === "(" && source[i + 1] === "?") {
      const head = source.slice(i, i + 4);
      if (head.startsWith("(?=")) return 'a lookahead "(?="';
      if (head.startsWith("(?!")) return 'a negative lookahead "(?!"';
      if (head === "(?<=") return 'a lookbehind "(?<="';
      if (head === "(?<!") return 'a negative lookbehind "(?<!"';
      if (head.startsWith("(?>")) return 'an atomic group "(?>"';
      continue;
    }
    if (source[i + 1] === "+" && _endsQuantifier(source, i)) {
      return `a possessive quantifier "${c}+"`;
    }
  }
  return null;
}

/** Whether `source[i]` ends a quantifier: `*`, `+`, `?` or the `}` of `{n}`, `{n,}`, `{n,m}`. */
function _endsQuantifier(source: string, i: number): boolean {
  const c = source[i];
  if (c === "*" || c === "+" || c === "?") return true;
  return c === "}" && /\{\d+(?:,\d*)?$/.test(source.slice(Math.max(0, i - 24), i));
}

/**
 * `\uXXXX` escapes (Python's and JavaScript's) as RE2's `\x{XXXX}`; everything else as it is.
 * Escapes are read in pairs, so `\\u0041` stays a backslash followed by `u0041`.
 */
function _translate(source: string): string {
  if (!source.includes("\\u")) return source;
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = source[i + 1] ?? "";
    const hex = source.slice(i + 2, i + 6);
    if (next === "u" && /^[0-9A-Fa-f]{4}$/.test(hex)) {
      out += `\\x{${hex}}`;
      i += 5;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}
