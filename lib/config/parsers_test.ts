import assert from "node:assert/strict";
import {
  bool,
  compat,
  dict,
  float,
  int,
  list,
  oneOf,
  optStr,
  SettingsError,
  str,
} from "./parsers.ts";
import { logSettings } from "./log.ts";

Deno.test("int() accepts integers and digit strings within bounds only", () => {
  const spec = int(1, "doc", { min: 0, max: 10 });
  assert.equal(spec.parse("7", "X"), 7);
  assert.equal(spec.parse(" 10 ", "X"), 10);
  assert.equal(spec.parse(0, "X"), 0);
  for (const bad of ["1.5", 1.5, "", "0x10", "11", -1, null, true]) {
    assert.throws(() => spec.parse(bad, "X"), SettingsError, `accepted ${bad}`);
  }
  assert.throws(() => int(1, "d", { min: 0 }).parse("-3", "N"), /N must be an integer >= 0/);
});

Deno.test("float() accepts numbers and numeric text and honours exclusiveMin", () => {
  const spec = float(1, "doc", { exclusiveMin: 0 });
  assert.equal(spec.parse("0.5", "T"), 0.5);
  assert.equal(spec.parse(2, "T"), 2);
  assert.throws(() => spec.parse("0", "T"), /T must be a number > 0, got '0'/);
  assert.throws(() => spec.parse("fast", "T"), SettingsError);
  assert.throws(() => spec.parse("Infinity", "T"), SettingsError);
  assert.throws(() => spec.parse(" ", "T"), SettingsError);
});

Deno.test("bool() accepts the usual spellings in any case", () => {
  const spec = bool(false, "doc");
  for (const t of ["true", "TRUE", "1", "yes", "On", true, 1]) {
    assert.equal(spec.parse(t, "B"), true);
  }
  for (const f of ["false", "False", "0", "no", "OFF", false, 0]) {
    assert.equal(spec.parse(f, "B"), false);
  }
  assert.throws(() => spec.parse("y", "B"), SettingsError);
  assert.throws(() => spec.parse(2, "B"), SettingsError);
});

Deno.test("list() reads comma separated text and JSON arrays of strings", () => {
  const spec = list([], "doc");
  assert.deepEqual(spec.parse("a, b,,c ", "L"), ["a", "b", "c"]);
  assert.deepEqual(spec.parse('["x,y", "z"]', "L"), ["x,y", "z"]);
  assert.deepEqual(spec.parse(["p"], "L"), ["p"]);
  assert.deepEqual(spec.parse("", "L"), []);
  assert.throws(() => spec.parse([1, 2], "L"), /L must be a list of strings/);
  assert.throws(() => spec.parse("[1,", "L"), SettingsError);
});

Deno.test("dict() requires a JSON object", () => {
  const spec = dict<number>({}, "doc");
  assert.deepEqual(spec.parse('{"a": 1}', "D"), { a: 1 });
  assert.throws(() => spec.parse("[1]", "D"), /D must be a JSON object/);
  assert.throws(() => spec.parse("a=1", "D"), SettingsError);
  assert.throws(() => spec.parse(null, "D"), SettingsError);
});

Deno.test("oneOf() matches case-insensitively and stores the canonical spelling", () => {
  const level = logSettings("x", "x.log").LOG_LEVEL;
  assert.equal(level.parse("debug", "LOG_LEVEL"), "DEBUG");
  assert.equal(level.parse("warn", "LOG_LEVEL"), "WARNING");
  assert.equal(level.parse("Warning", "LOG_LEVEL"), "WARNING");
  assert.throws(
    () => level.parse("loud", "LOG_LEVEL"),
    /LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'/,
  );
  const spec = oneOf(["earliest", "latest"], "latest", "doc");
  assert.equal(spec.parse("LATEST", "R"), "latest");
});

Deno.test("str() and optStr() check types and emptiness", () => {
  assert.equal(str("a", "d").parse("", "S"), "");
  assert.throws(() => str("a", "d", { nonEmpty: true }).parse("  ", "S"), /non-empty/);
  assert.throws(() => str("a", "d").parse(12, "S"), /S must be a string, got 12/);
  assert.equal(optStr("d").parse("", "O"), null);
  assert.equal(optStr("d").parse(null, "O"), null);
  assert.equal(optStr("d").parse("pw", "O"), "pw");
});

Deno.test("compat() keeps the row's parser and default and records what it does", () => {
  const spec = compat(int(5, "seconds between cycles", { min: 1 }));
  assert.equal(spec.compat, "has no effect");
  assert.equal(spec.default, 5);
  assert.equal(spec.doc, "seconds between cycles");
  assert.equal(spec.parse("7", "C"), 7);
  assert.throws(() => spec.parse("0", "C"), /C must be an integer >= 1/);
  assert.equal(compat(bool(true, "d"), "logs a warning").compat, "logs a warning");
  assert.equal(int(5, "d").compat, undefined);
});
