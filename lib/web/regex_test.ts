import assert from "node:assert/strict";
import { _regexCacheSize, compileRegex, REGEX_CACHE_MAX, RegexError, regexError } from "./regex.ts";

/** The error `compileRegex(source)` throws. */
function thrown(source: string): RegexError {
  try {
    compileRegex(source);
  } catch (e) {
    if (e instanceof RegexError) return e;
    throw e;
  }
  throw new Error(`Cannot test: ${JSON.stringify(source)} compiled`);
}

const HOSTILE_URL = `http://www.example.com/${"a".repeat(40)}!`;

Deno.test("`compileRegex()` returns promptly for (a+)+$ on 40 a's and a '!'", () => {
  // A backtracking engine takes about 2^40 steps here (JavaScript's RegExp: hours). The test
  // finishing at all is the assertion; the results are checked too.
  for (const source of ["(a+)+$", "(a|a)+$", "(a|aa)+$", "^(a+)+$", "(.*a){20}$"]) {
    const re = compileRegex(source);
    assert.equal(re.test(HOSTILE_URL), false, source);
    assert.equal(re.test(`${"a".repeat(40)}!`), false, source);
    assert.equal(re.test("a".repeat(40)), true, source);
  }
});

Deno.test("`compileRegex()` searches the input, as Scrapy's re.search and RegExp.test", () => {
  const url = "http://www.example.com/news/shocking?a=1&b=2";
  const cases: [string, boolean][] = [
    ["shock", true],
    [".*shock.*", true],
    ["^http://www\\.example\\.com/news/", true],
    ["^/news/", false],
    ["\\?a=1&b=2$", true],
    ["b=2$", true],
    ["a=1$", false],
    ["SHOCK", false],
    ["(?i)SHOCK", true],
    ["(?P<section>news|sport)/", true],
    ["\\u0073hock", true], // \u0073 is "s", as Python and JavaScript write it
    ["\\\\u0073hock", false], // a backslash, then "u0073hock"
    ["\\x{73}hock", true],
    ["[[:alpha:]]+\\.com", true],
    ["\\d", true],
    ["\\bnews\\b", true],
    ["x}+", false],
  ];
  for (const [source, expected] of cases) {
    assert.equal(compileRegex(source).test(url), expected, source);
  }
});

Deno.test("`compileRegex()` names the constructs RE2 does not run", () => {
  const cases: [string, string][] = [
    ["^(?=.*news)", 'a lookahead "(?="'],
    ["^(?!.*private)", 'a negative lookahead "(?!"'],
    ["(?<=/)news", 'a lookbehind "(?<="'],
    ["(?<!x)news", 'a negative lookbehind "(?<!"'],
    ["(a)b\\1", 'a backreference "\\1"'],
    ["(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", 'a backreference "\\10"'],
    ["(?<x>a)\\k<x>", 'a named backreference "\\k<x>"'],
    ["(?>a+)b", 'an atomic group "(?>"'],
    ["a++b", 'a possessive quantifier "++"'],
    ["a{2,}+b", 'a possessive quantifier "}+"'],
  ];
  for (const [source, construct] of cases) {
    const err = thrown(source);
    assert.equal(err.kind, "unsupported", source);
    assert.equal(
      err.reason,
      `uses ${construct}, which the linear-time regex engine (RE2 syntax) does not support`,
    );
    assert.match(err.message, /^Cannot compile regular expression "/);
  }
  // Escaped or inside a class, they are plain characters.
  for (const source of ["\\(?=x", "[(?=]", "\\\\k<x>", "[]a]+", "[^]a]+"]) {
    assert.equal(regexError(source), null, source);
  }
});

Deno.test("`compileRegex()` tells syntax errors from syntax only JavaScript has", () => {
  const syntax = thrown("(abc");
  assert.equal(syntax.kind, "syntax");
  assert.equal(syntax.reason, 'missing closing ): "(abc"');
  assert.equal(regexError("[z-a]"), 'invalid character class range: "z-a"');
  assert.equal(regexError("a{1001}"), 'invalid repeat count: "{1001}"');
  // JavaScript runs "\cA" (control-A); RE2 has no such escape.
  const jsOnly = thrown("\\cA");
  assert.equal(jsOnly.kind, "unsupported");
  assert.equal(jsOnly.reason, 'invalid escape sequence: "\\c"');
  assert.equal(thrown("[\\1]").kind, "unsupported"); // an octal escape in JavaScript
});

Deno.test("`compileRegex()` compiles each pattern once and keeps at most REGEX_CACHE_MAX", () => {
  const a = compileRegex("cache-me");
  assert.equal(compileRegex("cache-me"), a);
  // An error is cached too: the same instance comes back.
  const first = thrown("(cache-bad");
  assert.throws(() => compileRegex("(cache-bad"), (e) => e === first);
  for (let i = 0; i < REGEX_CACHE_MAX + 10; i++) compileRegex(`filler-${i}`);
  assert.equal(_regexCacheSize(), REGEX_CACHE_MAX);
  // The oldest entries left first.
  assert.notEqual(compileRegex("cache-me"), a);
});

Deno.test("`compileRegex()` survives odd Unicode", () => {
  for (const source of ["\uD800", "a\uDC00b", "😀+"]) assert.equal(regexError(source), null);
  assert.equal(compileRegex("😀+").test("x😀😀"), true);
  assert.match(regexError("(\uD800")!, /^missing closing \)/);
});
