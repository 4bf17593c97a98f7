import assert from "node:assert/strict";
import {
  compactRequest,
  decodeStoredRequest,
  encodeRequest,
  expandRequest,
  REQUEST_DEFAULTS,
} from "./compact_request.ts";
import { createValidator, loadSchema } from "./validation.ts";

const validate = createValidator("scraper");

/** A request as the kafka-monitor accepts it: validated (defaults filled), then stamped. */
function accepted(fields: Record<string, unknown>): Record<string, unknown> {
  const result = validate(fields);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return { ...result.value, ts: 1764482400.123 };
}

const roundTrip = (req: Record<string, unknown>) => decodeStoredRequest(encodeRequest(req));

Deno.test("REQUEST_DEFAULTS are the scraper schema's defaults, as the validator fills them", () => {
  const properties = loadSchema("scraper").properties as Record<string, { default?: unknown }>;
  const withDefault = Object.keys(properties).filter((name) => "default" in properties[name]);
  assert.deepEqual(Object.keys(REQUEST_DEFAULTS).sort(), withDefault.sort());
  const minimal = { url: "http://a.com/", appid: "app", crawlid: "c1" };
  const filled = validate(minimal);
  assert.ok(filled.ok);
  assert.deepEqual(filled.value, { ...minimal, ...REQUEST_DEFAULTS });
});

Deno.test("encodeRequest() leaves out every default and keeps url, appid, crawlid and ts", () => {
  const req = accepted({ url: "http://a.com/x", appid: "app", crawlid: "c1" });
  assert.equal(
    encodeRequest(req),
    '{"url":"http://a.com/x","appid":"app","crawlid":"c1","ts":1764482400.123}',
  );
  assert.ok(encodeRequest(req).length < JSON.stringify(req).length / 2);
  assert.deepEqual(roundTrip(req), req);
});

Deno.test("every schema property at a value other than its default survives the round trip", () => {
  const req = accepted({
    url: "https://www.example.com/a?b=1#c",
    appid: "app",
    crawlid: "c1",
    spiderid: "wandering",
    priority: 42,
    maxdepth: 3,
    domain_max_pages: 0,
    allowed_domains: ["example.com"],
    allow_regex: ["^https://"],
    deny_regex: ["\\.pdf$"],
    deny_extensions: [],
    expires: 1_900_000_000,
    useragent: "Mozilla/5.0 (test)",
    cookie: "a=b; c=d",
    attrs: { k: [1, null, { z: "" }] },
    tags: ["gpu", "eu"],
  });
  const compact = compactRequest(req);
  assert.deepEqual(compact, req, "no property equals its default: all kept");
  assert.deepEqual(roundTrip(req), req);
});

Deno.test("each default alone is left out and comes back, whatever else the request holds", () => {
  const base = accepted({
    url: "http://a.com/",
    appid: "app",
    crawlid: "c1",
    priority: 7,
    maxdepth: 2,
    attrs: { a: 1 },
  });
  for (const name of Object.keys(REQUEST_DEFAULTS)) {
    const req = { ...base, [name]: REQUEST_DEFAULTS[name] };
    assert.ok(!(name in compactRequest(req)), name);
    assert.deepEqual(roundTrip(req), req, name);
  }
});

Deno.test("values that only look like a default are kept", () => {
  const req = {
    url: "http://a.com/",
    appid: "app",
    crawlid: "c1",
    priority: "1",
    maxdepth: false,
    expires: "0",
    attrs: {},
    allowed_domains: [],
    useragent: "",
    tags: [],
  };
  assert.deepEqual(compactRequest(req), req);
  assert.deepEqual(roundTrip(req), { ...REQUEST_DEFAULTS, ...req });
});

Deno.test("expires is kept when set: the Lua scripts drop expired requests at pop", () => {
  const req = accepted({ url: "http://a.com/", appid: "app", crawlid: "c1", expires: 1 });
  assert.equal(JSON.parse(encodeRequest(req)).expires, 1);
  assert.equal(JSON.parse(encodeRequest({ ...req, expires: 0 })).expires, undefined);
});

Deno.test("the crawler's bookkeeping and other extra fields pass through", () => {
  const req = {
    ...accepted({ url: "http://a.com/", appid: "app", crawlid: "c1", cookie: "s=1" }),
    curdepth: 0,
    retry_times: 2,
    dont_filter: true,
    step: 3,
    cookie_domain: "a.com",
    redirect_times: 1,
    redirect_urls: ["http://a.com/old"],
    redirect_reasons: [301],
    custom: null,
  };
  const compact = compactRequest(req);
  for (const name of ["curdepth", "retry_times", "dont_filter", "step", "custom"]) {
    assert.ok(name in compact, name);
  }
  assert.deepEqual(roundTrip(req), req);
});

Deno.test("a full member (an older version's or Scrapy Cluster's) decodes to itself, in order", () => {
  const full = accepted({ url: "http://a.com/", appid: "app", crawlid: "c1", maxdepth: 1 });
  const member = JSON.stringify(full);
  const decoded = decodeStoredRequest(member);
  assert.deepEqual(decoded, full);
  assert.equal(JSON.stringify(decoded), member, "same keys in the same order");
  // Scrapy Cluster's kafka-monitor (Python json): spaces, its own key order, a seed's fields.
  const scrapy = '{"allowed_domains": null, "allow_regex": null, "crawlid": "abc123", ' +
    '"url": "http://dmoztools.net", "expires": 0, "ts": 1461549923.7956631, "priority": 1, ' +
    '"deny_regex": null, "cookie": null, "attrs": null, "appid": "testapp", ' +
    '"spiderid": "link", "useragent": null, "deny_extensions": null, "maxdepth": 0, ' +
    '"domain_max_pages": null}';
  assert.deepEqual(decodeStoredRequest(scrapy), JSON.parse(scrapy));
});

Deno.test("odd unicode, ':' and '*' in ids and a __proto__ key survive the round trip", () => {
  const req = accepted({
    url: "http://例え.テスト/パス?q=ü&e=😀",
    appid: "app",
    crawlid: "c1",
    attrs: { rtl: "\u202Eevil", zw: "a\u200Bb", nul: "\u0000", lone: "\uD800x", bom: "\uFEFF" },
    useragent: "Agent 🤖 \u2028 line",
  });
  assert.deepEqual(roundTrip(req), req);
  // Ids the schema refuses today may sit in members older versions or other tools wrote.
  const old = { ...req, appid: "a:b*c", crawlid: "*:*", spiderid: "x:y" };
  assert.deepEqual(roundTrip(old), old);
  const proto = JSON.parse('{"url":"http://a.com/","appid":"a","crawlid":"c","__proto__":{"x":1}}');
  const decoded = roundTrip(proto)!;
  assert.deepEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, { x: 1 });
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
});

Deno.test("decodeStoredRequest() returns null for a member that is not a JSON object", () => {
  for (const member of ["not json", "[1]", "null", '"http://a.com"', "5", ""]) {
    assert.equal(decodeStoredRequest(member), null, member);
  }
});

Deno.test("expandRequest() fills in place and leaves present properties alone", () => {
  const stored: Record<string, unknown> = { url: "u", appid: "a", crawlid: "c", cookie: "k=v" };
  assert.equal(expandRequest(stored), stored);
  assert.equal(stored.cookie, "k=v");
  assert.equal(stored.spiderid, "link");
  assert.deepEqual(Object.keys(stored).slice(0, 4), ["url", "appid", "crawlid", "cookie"]);
});
