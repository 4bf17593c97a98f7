import assert from "node:assert/strict";
import {
  createValidator,
  ID_PATTERN,
  loadSchema,
  parseJsonMessage,
  REQUEST_KINDS,
  type RequestKind,
} from "./validation.ts";

/** The smallest valid message of each kind. */
const MINIMAL: Record<RequestKind, Record<string, unknown>> = {
  scraper: { url: "http://www.example.com/", appid: "testapp", crawlid: "abc123" },
  action: { uuid: "u1", appid: "testapp", spiderid: "link", action: "info" },
  stats: { uuid: "u1", appid: "testapp" },
  zookeeper: { uuid: "u1", appid: "testapp", domain: "ebay.com", action: "domain-remove" },
};

/** What each minimal message becomes once the defaults are injected. */
const WITH_DEFAULTS: Record<RequestKind, Record<string, unknown>> = {
  scraper: {
    ...MINIMAL.scraper,
    spiderid: "link",
    priority: 1,
    maxdepth: 0,
    domain_max_pages: null,
    allowed_domains: null,
    allow_regex: null,
    deny_regex: null,
    deny_extensions: null,
    expires: 0,
    useragent: null,
    cookie: null,
    attrs: null,
  },
  // crawlid has no default: the key stays absent.
  action: { ...MINIMAL.action },
  stats: { ...MINIMAL.stats, stats: "all" },
  zookeeper: { ...MINIMAL.zookeeper, hits: 0, window: 0, scale: 1.0 },
};

const REQUIRED: Record<RequestKind, string[]> = {
  scraper: ["appid", "crawlid", "url"],
  action: ["uuid", "appid", "spiderid", "action"],
  stats: ["uuid", "appid"],
  zookeeper: ["uuid", "appid", "domain", "action"],
};

/** [kind, field, value, expected error or null when accepted] */
type Case = [RequestKind, string, unknown, string | null];

const s = (n: number) => "x".repeat(n);

const ID_FIELDS: [RequestKind, string][] = [
  ["scraper", "appid"],
  ["scraper", "crawlid"],
  ["scraper", "spiderid"],
  ["action", "uuid"],
  ["action", "appid"],
  ["action", "spiderid"],
  ["action", "crawlid"],
  ["stats", "uuid"],
  ["stats", "appid"],
  ["zookeeper", "uuid"],
  ["zookeeper", "appid"],
  ["zookeeper", "domain"],
];

const FIELD_CASES: Case[] = [
  // scraper
  ["scraper", "appid", s(2), "/appid must NOT have fewer than 3 characters"],
  ["scraper", "appid", s(3), null],
  ["scraper", "appid", s(40), null],
  ["scraper", "appid", s(41), "/appid must NOT have more than 40 characters"],
  ["scraper", "appid", 123, "/appid must be string"],
  ["scraper", "crawlid", "", "/crawlid must NOT have fewer than 1 characters"],
  ["scraper", "crawlid", s(1), null],
  ["scraper", "crawlid", s(40), null],
  ["scraper", "crawlid", s(41), "/crawlid must NOT have more than 40 characters"],
  ["scraper", "url", "", "/url must NOT have fewer than 1 characters"],
  ["scraper", "url", "www.stuff.com", null],
  ["scraper", "url", `http://x.com/${s(2035)}`, null],
  ["scraper", "url", `http://x.com/${s(2036)}`, "/url must NOT have more than 2048 characters"],
  ["scraper", "url", null, "/url must be string"],
  ["scraper", "spiderid", "", "/spiderid must NOT have fewer than 1 characters"],
  ["scraper", "spiderid", "wandering", null],
  ["scraper", "spiderid", s(40), null],
  ["scraper", "spiderid", s(41), "/spiderid must NOT have more than 40 characters"],
  ["scraper", "priority", 0, "/priority must be >= 1"],
  ["scraper", "priority", 1, null],
  ["scraper", "priority", 100, null],
  ["scraper", "priority", 101, "/priority must be <= 100"],
  ["scraper", "priority", 1.5, "/priority must be integer"],
  ["scraper", "priority", "5", "/priority must be integer"],
  ["scraper", "priority", true, "/priority must be integer"],
  ["scraper", "priority", null, "/priority must be integer"],
  ["scraper", "maxdepth", -1, "/maxdepth must be >= 0"],
  ["scraper", "maxdepth", 0, null],
  ["scraper", "maxdepth", 3, null],
  ["scraper", "maxdepth", 4, "/maxdepth must be <= 3"],
  ["scraper", "maxdepth", false, "/maxdepth must be integer"],
  ["scraper", "domain_max_pages", -1, "/domain_max_pages must be >= 0"],
  ["scraper", "domain_max_pages", 0, null],
  ["scraper", "domain_max_pages", 2000, null],
  ["scraper", "domain_max_pages", 2001, "/domain_max_pages must be <= 2000"],
  // The default is null, but an explicit null is rejected (as in Scrapy Cluster).
  ["scraper", "domain_max_pages", null, "/domain_max_pages must be integer"],
  ["scraper", "expires", 0, null],
  ["scraper", "expires", -5, "/expires must be >= 0"],
  ["scraper", "expires", -1, "/expires must be >= 0"],
  ["scraper", "expires", 1423591888, null],
  ["scraper", "expires", 1.5, "/expires must be integer"],
  ["scraper", "useragent", s(2), "/useragent must NOT have fewer than 3 characters"],
  ["scraper", "useragent", s(3), null],
  ["scraper", "useragent", s(1000), null],
  ["scraper", "useragent", s(1001), "/useragent must NOT have more than 1000 characters"],
  ["scraper", "useragent", null, "/useragent must be string"],
  ["scraper", "cookie", s(2), "/cookie must NOT have fewer than 3 characters"],
  ["scraper", "cookie", "a=b", null],
  ["scraper", "cookie", s(1000), null],
  ["scraper", "cookie", s(1001), "/cookie must NOT have more than 1000 characters"],
  ["scraper", "attrs", {}, null],
  ["scraper", "attrs", { nested: { any: [1, "two", null] } }, null],
  ["scraper", "attrs", [], "/attrs must be object"],
  ["scraper", "attrs", "x", "/attrs must be object"],
  ["scraper", "attrs", null, "/attrs must be object"],
  ...["allowed_domains", "allow_regex", "deny_regex", "deny_extensions"].flatMap((f): Case[] => [
    ["scraper", f, [], null],
    ["scraper", f, ["a", "b"], null],
    [
      "scraper",
      f,
      ["a", "a"],
      `/${f} must NOT have duplicate items (items ## 1 and 0 are identical)`,
    ],
    ["scraper", f, [1], `/${f}/0 must be string`],
    ["scraper", f, "a", `/${f} must be array`],
    ["scraper", f, null, `/${f} must be array`],
  ]),
  // action
  ["action", "uuid", "", "/uuid must NOT have fewer than 1 characters"],
  ["action", "uuid", s(40), null],
  ["action", "uuid", s(41), "/uuid must NOT have more than 40 characters"],
  ["action", "appid", s(2), "/appid must NOT have fewer than 3 characters"],
  ["action", "appid", s(41), "/appid must NOT have more than 40 characters"],
  ["action", "spiderid", "", "/spiderid must NOT have fewer than 1 characters"],
  ["action", "spiderid", s(41), "/spiderid must NOT have more than 40 characters"],
  ["action", "action", "stop", null],
  ["action", "action", "info", null],
  ["action", "action", "STOP", '/action must be one of "stop", "info"'],
  ["action", "action", "expire", '/action must be one of "stop", "info"'],
  ["action", "crawlid", "abc", null],
  ["action", "crawlid", "", "/crawlid must NOT have fewer than 1 characters"],
  ["action", "crawlid", s(41), "/crawlid must NOT have more than 40 characters"],
  ["action", "crawlid", null, "/crawlid must be string"],
  // stats
  ["stats", "uuid", "", "/uuid must NOT have fewer than 1 characters"],
  ["stats", "uuid", s(41), "/uuid must NOT have more than 40 characters"],
  ["stats", "appid", s(2), "/appid must NOT have fewer than 3 characters"],
  ["stats", "appid", s(41), "/appid must NOT have more than 40 characters"],
  ...[
    "kafka-monitor",
    "redis-monitor",
    "crawler",
    "spider",
    "machine",
    "queue",
    "rest",
    "webhook",
    "all",
  ]
    .map((v): Case => ["stats", "stats", v, null]),
  [
    "stats",
    "stats",
    "everything",
    '/stats must be one of "kafka-monitor", "redis-monitor", "crawler", "spider", "machine", ' +
    '"queue", "rest", "webhook", "all"',
  ],
  // zookeeper
  ["zookeeper", "uuid", "", "/uuid must NOT have fewer than 1 characters"],
  ["zookeeper", "uuid", s(41), "/uuid must NOT have more than 40 characters"],
  ["zookeeper", "appid", s(2), "/appid must NOT have fewer than 3 characters"],
  ["zookeeper", "appid", s(41), "/appid must NOT have more than 40 characters"],
  ["zookeeper", "domain", "dmoztools.net", null],
  ["zookeeper", "domain", 5, "/domain must be string"],
  ...["domain-update", "domain-remove", "blacklist-update", "blacklist-remove"]
    .map((v): Case => ["zookeeper", "action", v, null]),
  [
    "zookeeper",
    "action",
    "domain-delete",
    '/action must be one of "domain-update", "domain-remove", "blacklist-update", ' +
    '"blacklist-remove"',
  ],
  ["zookeeper", "hits", 10, null],
  ["zookeeper", "hits", 1.5, "/hits must be integer"],
  ["zookeeper", "window", 60, null],
  ["zookeeper", "window", "60", "/window must be integer"],
  ["zookeeper", "scale", 0, null],
  ["zookeeper", "scale", 0.5, null],
  ["zookeeper", "scale", 1, null],
  ["zookeeper", "scale", -0.1, "/scale must be >= 0"],
  ["zookeeper", "scale", 1.01, "/scale must be <= 1"],
  ["zookeeper", "scale", "1", "/scale must be number"],
];

Deno.test("`createValidator()` injects schema defaults into minimal messages", () => {
  for (const kind of REQUEST_KINDS) {
    const result = createValidator(kind)(MINIMAL[kind]);
    assert.deepEqual(result, { ok: true, value: WITH_DEFAULTS[kind] }, kind);
  }
});

Deno.test("`createValidator()` keeps given values instead of defaults", () => {
  const input = { ...MINIMAL.scraper, spiderid: "wandering", priority: 90, attrs: { a: 1 } };
  const result = createValidator("scraper")(input);
  assert.ok(result.ok);
  assert.equal(result.value.spiderid, "wandering");
  assert.equal(result.value.priority, 90);
  assert.deepEqual(result.value.attrs, { a: 1 });
});

Deno.test("`createValidator()` enforces every field's type and limits", () => {
  for (const [kind, field, value, expected] of FIELD_CASES) {
    const result = createValidator(kind)({ ...MINIMAL[kind], [field]: value });
    const label = `${kind}.${field} = ${JSON.stringify(value)?.slice(0, 40)}`;
    if (expected === null) {
      assert.ok(result.ok, `${label}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.value[field], value, label);
    } else {
      assert.deepEqual(result, { ok: false, errors: [expected] }, label);
    }
  }
});

Deno.test("`createValidator()` rejects messages missing a required field", () => {
  for (const kind of REQUEST_KINDS) {
    for (const field of REQUIRED[kind]) {
      const input = { ...MINIMAL[kind] };
      delete input[field];
      assert.deepEqual(
        createValidator(kind)(input),
        { ok: false, errors: [`must have required property '${field}'`] },
        `${kind} without ${field}`,
      );
    }
  }
});

Deno.test("`createValidator()` rejects unknown fields", () => {
  for (const kind of REQUEST_KINDS) {
    assert.deepEqual(
      createValidator(kind)({ ...MINIMAL[kind], foo: 1 }),
      { ok: false, errors: ["must NOT have additional property 'foo'"] },
      kind,
    );
  }
  // A crawl request carrying uuid matches no schema, as in Scrapy Cluster.
  assert.equal(createValidator("scraper")({ ...MINIMAL.scraper, uuid: "u1" }).ok, false);
});

Deno.test("`createValidator()` makes each minimal message match only its own schema", () => {
  for (const kind of REQUEST_KINDS) {
    const matches = REQUEST_KINDS.filter((other) => createValidator(other)(MINIMAL[kind]).ok);
    assert.deepEqual(matches, [kind]);
  }
});

Deno.test("`createValidator()` rejects ':', '*' and control characters in ids", () => {
  const bad = [
    "a:bc",
    "abc:",
    "a*bc",
    "***",
    "ab\u0000c",
    "ab\nc",
    "ab\tc",
    "ab\u001Fc",
    "ab\u007Fc",
  ];
  for (const [kind, field] of ID_FIELDS) {
    for (const value of bad) {
      assert.deepEqual(
        createValidator(kind)({ ...MINIMAL[kind], [field]: value }),
        { ok: false, errors: [`/${field} must not contain ':', '*' or control characters`] },
        `${kind}.${field} = ${JSON.stringify(value)}`,
      );
    }
    // Unicode, odd or not, is fine.
    for (const value of ["app-é_1.2", "日本語の", "ab\uD800c", "ab\uDFFFc", "a😀b"]) {
      const result = createValidator(kind)({ ...MINIMAL[kind], [field]: value });
      assert.ok(result.ok, `${kind}.${field} = ${JSON.stringify(value)}`);
    }
  }
});

Deno.test("`createValidator()` counts string lengths in code points", () => {
  // 40 emoji are 80 UTF-16 units but 40 characters.
  const result = createValidator("scraper")({ ...MINIMAL.scraper, crawlid: "😀".repeat(40) });
  assert.ok(result.ok);
});

Deno.test("`createValidator()` rejects regular expressions that do not compile", () => {
  const validate = createValidator("scraper");
  assert.deepEqual(validate({ ...MINIMAL.scraper, allow_regex: ["^/ok/", "("] }), {
    ok: false,
    errors: ['/allow_regex/1 is not a valid regular expression: missing closing ): "("'],
  });
  const bad = validate({ ...MINIMAL.scraper, deny_regex: ["[z-a]"] });
  assert.equal(bad.ok, false);
  assert.match((bad as { errors: string[] }).errors[0], /^\/deny_regex\/0 is not a valid/);
  // Python's syntax, which Scrapy's patterns were written in, is RE2's too.
  assert.ok(validate({ ...MINIMAL.scraper, allow_regex: ["(?P<x>a)", "(?i)news"] }).ok);
  // Odd unicode must not crash anything.
  assert.ok(validate({ ...MINIMAL.scraper, allow_regex: ["\uD800", "a\uDC00b", "😀+"] }).ok);
  const odd = validate({ ...MINIMAL.scraper, deny_regex: ["(\uD800"] });
  assert.deepEqual(odd, {
    ok: false,
    errors: ['/deny_regex/0 is not a valid regular expression: missing closing ): "(\\uD800"'],
  });
  // deny_extensions and allowed_domains are not regular expressions.
  assert.ok(validate({ ...MINIMAL.scraper, allowed_domains: ["("], deny_extensions: ["("] }).ok);
});

Deno.test("`createValidator()` names the regex field and the construct RE2 does not run", () => {
  const validate = createValidator("scraper");
  const engine = "which the linear-time regex engine (RE2 syntax) does not support";
  assert.deepEqual(validate({ ...MINIMAL.scraper, deny_regex: ["/ok/", "^(?!.*news)"] }), {
    ok: false,
    errors: [
      `/deny_regex/1 is not a valid regular expression: uses a negative lookahead "(?!", ${engine}`,
    ],
  });
  assert.deepEqual(validate({ ...MINIMAL.scraper, allow_regex: ["(a)\\1"] }), {
    ok: false,
    errors: [
      `/allow_regex/0 is not a valid regular expression: uses a backreference "\\1", ${engine}`,
    ],
  });
  // A catastrophic pattern for backtracking engines is fine: RE2 runs it in linear time.
  assert.ok(validate({ ...MINIMAL.scraper, allow_regex: ["(a+)+$"] }).ok);
});

Deno.test("`createValidator()` accepts 5.0 as an integer and rejects booleans", () => {
  const validate = createValidator("scraper");
  // JSON.parse turns 5.0 into 5: the difference from Scrapy Cluster is accepted.
  const parsed = parseJsonMessage('{"url":"x.com","appid":"app","crawlid":"c","priority":5.0}');
  assert.ok(parsed.ok);
  assert.ok(validate(parsed.value).ok);
  assert.equal(validate({ ...MINIMAL.scraper, priority: true }).ok, false);
});

Deno.test("`createValidator()` reports every problem at once", () => {
  const result = createValidator("scraper")({
    url: "",
    appid: "a:",
    crawlid: "c",
    priority: 500,
    extra: true,
  });
  assert.deepEqual(result, {
    ok: false,
    errors: [
      "must NOT have additional property 'extra'",
      "/appid must NOT have fewer than 3 characters",
      "/appid must not contain ':', '*' or control characters",
      "/url must NOT have fewer than 1 characters",
      "/priority must be <= 100",
    ],
  });
});

Deno.test("`createValidator()` caps the number of errors", () => {
  const input: Record<string, unknown> = { ...MINIMAL.stats };
  for (let i = 0; i < 100; i++) input[`extra${i}`] = i;
  const result = createValidator("stats")(input);
  assert.equal(result.ok, false);
  const { errors } = result as { errors: string[] };
  assert.equal(errors.length, 21);
  assert.equal(errors[20], "... and 80 more errors");
});

Deno.test("`createValidator()` escapes control characters in property names", () => {
  const result = createValidator("stats")({ ...MINIMAL.stats, "a\nb\uD800": 1 });
  assert.deepEqual(result, {
    ok: false,
    errors: ["must NOT have additional property 'a\\u000Ab\\uD800'"],
  });
});

Deno.test("`createValidator()` rejects non-object messages", () => {
  for (const input of [null, [], "text", 5, true, undefined]) {
    for (const kind of REQUEST_KINDS) {
      assert.deepEqual(createValidator(kind)(input), { ok: false, errors: ["must be object"] });
    }
  }
});

Deno.test("`createValidator()` does not mutate its input", () => {
  const input = { ...MINIMAL.scraper, attrs: { nested: [1, 2] } };
  const before = structuredClone(input);
  const result = createValidator("scraper")(input);
  assert.ok(result.ok);
  assert.deepEqual(input, before);
  assert.notEqual(result.value, input);
  assert.notEqual(result.value.attrs, input.attrs);
  // Frozen input works too.
  assert.ok(createValidator("stats")(Object.freeze({ ...MINIMAL.stats })).ok);
});

Deno.test("`createValidator()` refuses __proto__ without polluting prototypes", () => {
  const parsed = parseJsonMessage(
    '{"__proto__":{"polluted":1},"url":"x.com","appid":"app","crawlid":"c"}',
  );
  assert.ok(parsed.ok);
  assert.deepEqual(createValidator("scraper")(parsed.value), {
    ok: false,
    errors: ["must NOT have additional property '__proto__'"],
  });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("`createValidator()` raises the maxdepth cap with maxDepthLimit", () => {
  const deep = { ...MINIMAL.scraper, maxdepth: 5 };
  assert.deepEqual(createValidator("scraper")(deep), {
    ok: false,
    errors: ["/maxdepth must be <= 3"],
  });
  assert.ok(createValidator("scraper", { maxDepthLimit: 5 })(deep).ok);
  assert.deepEqual(createValidator("scraper", { maxDepthLimit: 4 })(deep), {
    ok: false,
    errors: ["/maxdepth must be <= 4"],
  });
  assert.deepEqual(createValidator("scraper", { maxDepthLimit: 0 })({ ...deep, maxdepth: 1 }), {
    ok: false,
    errors: ["/maxdepth must be <= 0"],
  });
  // The default validator is unaffected by the variants.
  assert.equal(createValidator("scraper")(deep).ok, false);
  // Schemas without maxdepth ignore the option.
  assert.ok(createValidator("stats", { maxDepthLimit: 9 })(MINIMAL.stats).ok);
});

Deno.test("`createValidator()` rejects a bad maxDepthLimit", () => {
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => createValidator("scraper", { maxDepthLimit: bad }),
      (e: unknown) => e instanceof RangeError && /maxDepthLimit/.test(e.message),
    );
  }
});

Deno.test("`createValidator()` caches validators per schema and options", () => {
  assert.equal(createValidator("scraper"), createValidator("scraper"));
  assert.equal(
    createValidator("scraper", { maxDepthLimit: 7 }),
    createValidator("scraper", { maxDepthLimit: 7 }),
  );
  assert.notEqual(createValidator("scraper"), createValidator("scraper", { maxDepthLimit: 7 }));
});

Deno.test("`createValidator()` injects defaults that results do not share", () => {
  const validate = createValidator("zookeeper");
  const a = validate(MINIMAL.zookeeper);
  const b = validate(MINIMAL.zookeeper);
  assert.ok(a.ok && b.ok);
  a.value.hits = 99;
  assert.equal(b.value.hits, 0);
});

Deno.test("`createValidator()` validates crawl results with extra fields allowed", () => {
  const validate = createValidator("crawl_result");
  const examples = loadSchema("crawl_result").examples as Record<string, unknown>[];
  assert.ok(examples.length >= 2);
  for (const example of examples) assert.ok(validate(example).ok, JSON.stringify(example));
  const item = { ...examples[0], custom_field: [1], success: true, spiderid: "link" };
  assert.ok(validate(item).ok);
  const links = [{ url: "http://dumb.com/a", text: "A" }];
  assert.ok(validate({ ...examples[0], links }).ok);
  assert.ok(validate({ ...examples[0], response_headers: { "Set-Cookie": ["a=1", "b=2"] } }).ok);
  const { status_code: _, ...missing } = examples[0];
  assert.deepEqual(validate(missing), {
    ok: false,
    errors: ["must have required property 'status_code'"],
  });
  assert.deepEqual(validate({ ...examples[0], timestamp: "yesterday" }).ok, false);
  assert.deepEqual(validate({ ...examples[0], status_code: "200" }), {
    ok: false,
    errors: ["/status_code must be integer"],
  });
});

Deno.test("`loadSchema()` returns copies of the schema files", () => {
  const a = loadSchema("scraper");
  assert.equal(a.$id, "urn:crawl-cluster:schema:scraper");
  a.title = "changed";
  assert.notEqual(loadSchema("scraper").title, "changed");
});

Deno.test("`loadSchema()` refuses paths and reports missing schemas", () => {
  assert.throws(() => loadSchema("../deno"), /not a plain file name/);
  assert.throws(() => loadSchema("a/b"), /not a plain file name/);
  assert.throws(() => loadSchema("no_such_schema"), /Cannot load schema "no_such_schema"/);
  assert.throws(() => createValidator("no_such_schema"), /Cannot load schema/);
});

Deno.test("`loadSchema()` schemas document every field and use the id pattern", () => {
  for (const name of [...REQUEST_KINDS, "crawl_result"]) {
    const schema = loadSchema(name);
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#", name);
    assert.equal(typeof schema.title, "string", name);
    assert.equal(typeof schema.description, "string", name);
    assert.equal(schema.additionalProperties, name === "crawl_result", name);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    for (const [field, sub] of Object.entries(properties)) {
      assert.equal(typeof sub.description, "string", `${name}.${field}`);
    }
  }
  for (const [kind, field] of ID_FIELDS) {
    const properties = loadSchema(kind).properties as Record<string, Record<string, unknown>>;
    assert.equal(properties[field].pattern, ID_PATTERN, `${kind}.${field}`);
  }
});

Deno.test("`parseJsonMessage()` parses JSON of any shape", () => {
  assert.deepEqual(parseJsonMessage('{"a":[1,"b"]}'), { ok: true, value: { a: [1, "b"] } });
  assert.deepEqual(parseJsonMessage("[1]"), { ok: true, value: [1] });
  assert.deepEqual(parseJsonMessage("null"), { ok: true, value: null });
  assert.deepEqual(parseJsonMessage('"\\ud800"'), { ok: true, value: "\uD800" });
});

Deno.test("`parseJsonMessage()` reports invalid JSON", () => {
  for (const text of ["", "{", "{'a':1}", '{"a":1,}', "NaN", "\uD800"]) {
    const result = parseJsonMessage(text);
    assert.equal(result.ok, false, JSON.stringify(text));
    assert.match((result as { error: string }).error, /^invalid JSON: ./);
  }
});

Deno.test("`parseJsonMessage()` refuses messages over maxBytes", () => {
  const big = JSON.stringify({ body: "x".repeat(1024 * 1024) });
  assert.deepEqual(parseJsonMessage(big, { maxBytes: 1000 }), {
    ok: false,
    error: `message of ${big.length} bytes exceeds the limit of 1000 bytes`,
    tooLarge: true,
  });
  assert.ok(parseJsonMessage(big, { maxBytes: big.length }).ok);
  assert.ok(parseJsonMessage(big).ok);
  // Bytes, not UTF-16 units: "é" is 2 bytes, "😀" 4, a lone surrogate 3 (U+FFFD).
  assert.deepEqual(parseJsonMessage('"éé"', { maxBytes: 5 }), {
    ok: false,
    error: "message of 6 bytes exceeds the limit of 5 bytes",
    tooLarge: true,
  });
  assert.ok(parseJsonMessage('"éé"', { maxBytes: 6 }).ok);
  assert.equal(
    (parseJsonMessage('"😀"', { maxBytes: 5 }) as { error: string }).error,
    "message of 6 bytes exceeds the limit of 5 bytes",
  );
  assert.equal(
    (parseJsonMessage('"\uD800"', { maxBytes: 4 }) as { error: string }).error,
    "message of 5 bytes exceeds the limit of 4 bytes",
  );
});

Deno.test("`parseJsonMessage()` drops a leading byte order mark, as REST's decoder does", () => {
  assert.deepEqual(parseJsonMessage('\uFEFF{"a":1}'), { ok: true, value: { a: 1 } });
  assert.equal(parseJsonMessage('\uFEFF\uFEFF{"a":1}').ok, false, "only one BOM");
});

Deno.test("`createValidator()` accepts only http and https seed URLs with a host", () => {
  const validate = createValidator("scraper");
  const base = { appid: "app", crawlid: "c" };
  for (
    const url of ["http://a.com", "HTTPS://a.com/x", "www.stuff.com", "a.com:8080/x", "//a.com"]
  ) {
    assert.ok(validate({ ...base, url }).ok, url);
  }
  for (
    const url of [
      "file:///etc/passwd",
      "ftp://a.com/",
      "gopher://a.com/",
      "javascript:alert(1)",
      "mailto:a@b.com",
      "http://",
      "data:text/html,x",
    ]
  ) {
    assert.deepEqual(validate({ ...base, url }), {
      ok: false,
      errors: [`/url must be an http or https URL with a host, got ${JSON.stringify(url)}`],
    }, url);
  }
});
