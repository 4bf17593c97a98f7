import assert from "node:assert/strict";
import { scrapyHeaderName, scrapyResponseHeaders } from "./header_names.ts";

Deno.test("scrapyHeaderName() is Python's bytes.title() on header names", () => {
  // Expected values are what Python 3 prints for b"<name>".title().
  const cases: [string, string][] = [
    ["content-type", "Content-Type"],
    ["etag", "Etag"],
    ["x-xss-protection", "X-Xss-Protection"],
    ["WWW-AUTHENTICATE", "Www-Authenticate"],
    ["x-ua-compatible", "X-Ua-Compatible"],
    ["content-md5", "Content-Md5"],
    ["x-1abc", "X-1Abc"], // a digit ends a word
    ["p3p", "P3P"],
    ["x_forwarded_for", "X_Forwarded_For"],
    ["x.custom.name", "X.Custom.Name"],
    ["a'b", "A'B"],
    ["", ""],
    ["-", "-"],
    ["éa", "éA"], // bytes.title() does not see é as a letter
  ];
  for (const [name, title] of cases) assert.equal(scrapyHeaderName(name), title, name);
});

Deno.test("scrapyResponseHeaders() keeps every value as a list and sorts the names", () => {
  const out = scrapyResponseHeaders({
    "x-xss-protection": ["1; mode=block"],
    "content-type": ["text/html"],
    "set-cookie": ["a=1; Path=/", "b=2"],
    etag: ['"abc"'],
  });
  assert.deepEqual(Object.keys(out), ["Content-Type", "Etag", "Set-Cookie", "X-Xss-Protection"]);
  assert.deepEqual(out["Set-Cookie"], ["a=1; Path=/", "b=2"]);
  assert.deepEqual(out["Etag"], ['"abc"']);
});

Deno.test("scrapyResponseHeaders() merges names that differ only by case", () => {
  assert.deepEqual(scrapyResponseHeaders({ "x-a": ["1"], "X-A": ["2"] }), { "X-A": ["1", "2"] });
});
