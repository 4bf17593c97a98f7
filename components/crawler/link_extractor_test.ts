import assert from "node:assert/strict";
import { canonicalizeUrl } from "../../lib/web/url.ts";
import { extractLinks } from "./link_extractor.ts";
import { anchors, PAGE, urls } from "./testdata/links.ts";

Deno.test("`extractLinks()` resolves relative, absolute and protocol-relative links", () => {
  const cases: [string, string][] = [
    ["other.html", "http://www.example.com/dir/other.html"],
    ["../up.html", "http://www.example.com/up.html"],
    ["./same/./x/../y", "http://www.example.com/dir/same/y"],
    ["/root?b=2&a=1", "http://www.example.com/root?a=1&b=2"],
    ["//cdn.example.org/lib", "http://cdn.example.org/lib"],
    ["https://Other.COM:443/Path", "https://other.com/Path"],
    ["http://www.example.com/abs", "http://www.example.com/abs"],
    ["?q=1", "http://www.example.com/dir/page.html?q=1"],
    ["", "http://www.example.com/dir/page.html"],
    ["  /spaced  ", "http://www.example.com/spaced"],
    ["/new\nline\t", "http://www.example.com/newline"],
    ["/a b", "http://www.example.com/a%20b"],
    ["/caf\u00e9", "http://www.example.com/caf%C3%A9"],
    ["http://www.m\u00fcnchen.de/", "http://www.xn--mnchen-3ya.de/"],
  ];
  for (const [href, expected] of cases) {
    assert.deepEqual(urls(anchors(href)), [expected], href);
  }
});

Deno.test("`extractLinks()` honours <base href>", () => {
  const cases: [string, string[]][] = [
    [`<base href="http://base.org/b/">${anchors("x", "/y")}`, [
      "http://base.org/b/x",
      "http://base.org/y",
    ]],
    // a relative base resolves against the page URL
    [`<base href="/sub/">${anchors("x")}`, ["http://www.example.com/sub/x"]],
    // the first base with an href wins; it applies to links before it too
    [
      `${
        anchors("x")
      }<base target="_top"><BASE HREF="http://one.org/"><base href="http://two.org/">`,
      [
        "http://one.org/x",
      ],
    ],
    // an unusable base is ignored
    [`<base href="http://[broken/">${anchors("x")}`, ["http://www.example.com/dir/x"]],
    // a base with another scheme makes relative links unusable
    [`<base href="ftp://files.org/">${anchors("x", "http://ok.org/")}`, ["http://ok.org/"]],
  ];
  for (const [html, expected] of cases) assert.deepEqual(urls(html), expected, html);
});

Deno.test("`extractLinks()` drops fragments and duplicates, keeping the first occurrence", () => {
  const html = `
    <a href="/a#one">first</a>
    <a href="/a#two">second</a>
    <a href="http://WWW.EXAMPLE.COM:80/a">third</a>
    <a href="/b?y=2&amp;x=1">b</a>
    <a href="/b?x=1&amp;y=2#z">b again</a>
    <a href="#top">self</a>`;
  assert.deepEqual(extractLinks(html, PAGE), [
    { url: "http://www.example.com/a", text: "first" },
    { url: "http://www.example.com/b?x=1&y=2", text: "b" },
    { url: "http://www.example.com/dir/page.html", text: "self" },
  ]);
});

Deno.test("`extractLinks()` keeps only http and https links", () => {
  const html = anchors(
    "mailto:someone@example.com",
    "javascript:void(0)",
    "JavaScript:alert(1)",
    "tel:+15555555",
    "data:text/html,hi",
    "ftp://files.example.com/x",
    "file:///etc/passwd",
    "about:blank",
    "https://secure.example.com/",
    "http://plain.example.com/",
  );
  assert.deepEqual(urls(html), ["https://secure.example.com/", "http://plain.example.com/"]);
});

Deno.test("`extractLinks()` reads a and area hrefs only", () => {
  const html = `
    <map><area shape="rect" href="/area1"><AREA HREF='/area2'/><area nohref></map>
    <a name="anchor">no href</a>
    <link href="/style">
    <img src="/img.png"><iframe src="/frame"></iframe>
    <div href="/div">div</div>
    <a href=/unquoted>unquoted</a>
    <A HREF="/upper">upper</A>`;
  assert.deepEqual(extractLinks(html, PAGE), [
    { url: "http://www.example.com/area1", text: "" },
    { url: "http://www.example.com/area2", text: "" },
    { url: "http://www.example.com/unquoted", text: "unquoted" },
    { url: "http://www.example.com/upper", text: "upper" },
  ]);
});

Deno.test("`extractLinks()` decodes entities in href and text", () => {
  const html = `
    <a href="/q?a=1&amp;b=2">Tom &amp; Jerry</a>
    <a href="&#x2F;slash&#47;x">&lt;tag&gt; &copy; &#169;&nbsp;x</a>
    <a href="/legacy?a=1&copy=2">attribute legacy entity stays</a>
    <a href="/named?x=&quot;y&quot;">quotes</a>`;
  assert.deepEqual(extractLinks(html, PAGE), [
    { url: "http://www.example.com/q?a=1&b=2", text: "Tom & Jerry" },
    { url: "http://www.example.com/slash/x", text: "<tag> \u00a9 \u00a9\u00a0x" },
    { url: "http://www.example.com/legacy?a=1&copy=2", text: "attribute legacy entity stays" },
    { url: "http://www.example.com/named?x=%22y%22", text: "quotes" },
  ]);
});

Deno.test("`extractLinks()` collects link text across elements, collapsed", () => {
  const cases: [string, string[]][] = [
    [`<a href="/1">  Hello,\n\t <b>bold</b>  <i>world</i> </a>`, ["Hello, bold world"]],
    [`<a href="/1"><img src="x.png" alt="alt is not text"></a>`, [""]],
    // <a> does not nest: the next one ends the open one
    [`<a href="/1">one <a href="/2">two</a> after`, ["one", "two"]],
    // an unclosed <a> ends with its parent element
    [`<ul><li><a href="/1">one</li><li>not link text</li></ul>`, ["one"]],
    [`<p><a href="/1">text<br>more<hr>end</p> outside`, ["textmoreend"]],
    [`<a href="/1">unclosed to the end`, ["unclosed to the end"]],
    [`<a href="/1">x<!-- comment --><script>var s = "<b>";</script>y</a>`, ['xvar s = "<b>";y']],
    [`<a href="/1"><script>a = "<i>&copy;&amp</i>"</script></a>`, ['a = "<i>\u00a9&</i>"']],
  ];
  for (const [html, expected] of cases) {
    assert.deepEqual(extractLinks(html, PAGE).map((l) => l.text), expected, html);
  }
});

Deno.test("`extractLinks()` ignores links in comments, scripts and styles", () => {
  const html = `
    <!-- <a href="/commented">x</a> -->
    <script>document.write('<a href="/scripted">x</a>');</script>
    <style>a[href="/styled"] { color: red }</style>
    <textarea><a href="/textarea">x</a></textarea>
    <title><a href="/title"></a></title>
    <a href="/real">real</a>`;
  assert.deepEqual(urls(html), ["http://www.example.com/real"]);
});

Deno.test("`extractLinks()` survives malformed HTML", () => {
  const cases: [string, string[]][] = [
    [`<a href="/1" href="/2">duplicate attribute</a>`, ["http://www.example.com/1"]],
    [`</a></a><a href="/ok">ok</a></div></body>`, ["http://www.example.com/ok"]],
    [`<a href="/ok">ok</a><a href="/unterminated`, ["http://www.example.com/ok"]],
    [`<a href='/single"quote'>x</a>`, ["http://www.example.com/single%22quote"]],
    [`<a href=/x onclick="a>b">x</a>`, ["http://www.example.com/x"]],
    [`<<a href="/y">>y<</a>`, ["http://www.example.com/y"]],
    [`<a href="http://[::1/">bad ipv6</a><a href="http://exa mple.com/">bad host</a>`, []],
    [`<a href="http://">no host</a><a href="https:">no host</a>`, []],
    [`<svg><a href="/svg-link"/></svg>`, ["http://www.example.com/svg-link"]],
    [`<![CDATA[<a href="/cdata">]]><?php echo '<a href="/php">'; ?>`, []],
    ["\u0000<a href='/nul\u0000x'>\u0000</a>", ["http://www.example.com/nul%00x"]],
    ["<a href='/\ud800lone'>lone surrogate</a>", ["http://www.example.com/%EF%BF%BDlone"]],
    ["<a href='/\u{1f600}'>emoji</a>", ["http://www.example.com/%F0%9F%98%80"]],
  ];
  for (const [html, expected] of cases) assert.deepEqual(urls(html), expected, html);
  const garbage = Array.from(
    { length: 5_000 },
    (_, i) => "<>&\"'=/ a\nhref#;!-?x"[(i * 7919) % 21],
  ).join("");
  assert.doesNotThrow(() => extractLinks(garbage, PAGE));
  assert.deepEqual(extractLinks("", PAGE), []);
  assert.deepEqual(extractLinks(anchors("/x"), "not a url"), []);
});

Deno.test("`extractLinks()` handles huge attribute values", () => {
  const long = "/" + "a".repeat(1_000_000);
  const html = `<a title="${"t".repeat(500_000)}" href="${long}?q=${"b".repeat(100_000)}">x</a>`;
  const [link] = extractLinks(html, PAGE);
  assert.equal(link.url.length, "http://www.example.com".length + 1_000_001 + 3 + 100_000);
});

Deno.test("`extractLinks()` handles a page of 10,000 links", () => {
  const html = Array.from({ length: 10_000 }, (_, i) => `<li><a href="/p/${i}">page ${i}</a>`)
    .join("\n");
  const links = extractLinks(html, PAGE);
  assert.equal(links.length, 10_000);
  assert.deepEqual(links[9_999], { url: "http://www.example.com/p/9999", text: "page 9999" });
});

Deno.test("`extractLinks()` canonicalizes exactly like `canonicalizeUrl()`", () => {
  // The extractor takes shortcuts for simple URLs; they must agree with lib/url.ts.
  const alphabet = ["a", "B", "0", "/", "?", "&", "=", "+", "-", ".", "..", "~", "%", "%41", "%2F"]
    .concat(["#", " ", ":", "@", "!", "'", "(", "*", ",", ";", "|", "[", "^", "é", "\\", "//"]);
  const bases = [
    PAGE,
    "https://www.example.com",
    "http://user:pw@www.example.com/x/",
    "http://www.example.com:8080/a/b",
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const hrefs = ["/", "/a?", "/a?&", "/a?b", "/a?b=1&a", "/a?a=2&a=1&A=3", "/a?x=1+2&x=1-2"];
  for (let i = 0; i < 3_000; i++) {
    let href = i % 3 === 0 ? "/" : i % 3 === 1 ? "http://www.example.com/" : "";
    const length = Math.floor(random() * 12);
    for (let j = 0; j < length; j++) href += alphabet[Math.floor(random() * alphabet.length)];
    hrefs.push(href);
  }
  for (const base of bases) {
    for (const href of hrefs) {
      const html = `<a href="${href.replaceAll("&", "&amp;").replaceAll('"', "&quot;")}">x</a>`;
      let expected: string[] = [];
      try {
        const resolved = new URL(href, base);
        if (resolved.protocol === "http:" || resolved.protocol === "https:") {
          expected = [canonicalizeUrl(resolved.href)];
        }
      } catch {
        // unresolvable: no link
      }
      assert.deepEqual(urls(html, base), expected, `${href} on ${base}`);
      assert.deepEqual(urls(html, base, {}), expected, `${href} on ${base}, filtered`);
    }
  }
});

Deno.test("`extractLinks()` accepts any filter function", () => {
  const seen: string[] = [];
  const filter = (url: URL) => {
    seen.push(url.href);
    return url.pathname !== "/no";
  };
  assert.deepEqual(extractLinks(anchors("/yes#f", "/no", "/yes"), PAGE, { filter }), [
    { url: "http://www.example.com/yes", text: "x" },
  ]);
  assert.deepEqual(seen, ["http://www.example.com/yes", "http://www.example.com/no"]);
});
