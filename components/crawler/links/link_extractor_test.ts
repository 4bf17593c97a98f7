import assert from "node:assert/strict";
import { canonicalizeUrl } from "../../../lib/web/mod.ts";
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

/** Hrefs where a shortcut could go wrong, each checked on every base of the differential test. */
// deno-fmt-ignore
const TRICKY_HREFS = [
  // percent-encoding: unreserved, reserved, %25, malformed, lower-case hex, non-UTF-8
  "/a%7eb", "/a%7Eb", "/%41%42", "/a%2fb", "/a%2Fb", "/a%3fb", "/a%23b", "/100%25", "/50%",
  "/%zz", "/%4", "/%4%41", "/%e9t%E9", "/caf%c3%a9", "/a%20b", "/a+b", "/?q=%41", "/?q=%2B",
  "/?q=%26a%3Db", "/?q=50%", "/?q=%zz", "/?q=caf%C3%A9", "/?q=%e9", "/?a%20b=c+d",
  // dot segments, plain and encoded
  "/a/./b", "/a/../b", "/a/..", "/a/.", "/..", "/../../x", "/a/.b", "/a/..b", "/a/b.", "/.a/",
  "/a/%2e/b", "/a/%2E%2E/b", "/a/.%2e/b", "/a/%2e./b", "/a/%2e", "./", "../", ".", "..",
  "./a/../b", "a/./b/../../c",
  // unicode
  "/caf\u00e9", "/\u00c9T\u00c9", "/stra\u00dfe", "/\u65e5\u672c", "/\u{1f600}", "/\uff46",
  "/\u0130", "/a\u00a0b", "/a\ufeffb", "/a\u200bb", "/?q=\u00e9", "/?\u00e9=1",
  "http://www.m\u00fcnchen.de/\u00e4", "http://\u65e5\u672c.jp/",
  // ? and #
  "/a?", "/a?&", "/a??", "/a?b?c", "/a?b#c?d", "/a#", "/a#b", "/a#b#c", "/a#?b=1", "/#", "/?#",
  "?", "?#", "#", "#x", "?a=1#x", "/a?=", "/a?=1", "/a?&&b=1&&", "/a?b=1&b=1", "/a?b=2&a=1&A=3",
  "/a?x=1+2&x=1-2", "/a?b=1;a=2",
  // ports
  "http://www.example.com:80/a", "http://www.example.com:080/a", "http://www.example.com:8080/a",
  "https://www.example.com:443/a", "https://www.example.com:80/a", "http://www.example.com:/a",
  "http://www.example.com:65535/a", "http://www.example.com:65536/a", "//www.example.com:8080/a",
  // IPv6 and IPv4
  "http://[::1]/a", "http://[::1]:8080/a", "http://[0:0:0:0:0:0:0:1]/a", "http://[::FFFF:7F00:1]/a",
  "http://[::ffff:127.0.0.1]/a", "http://[::1/a", "http://127.1/a", "http://0x7f.0.0.1/a",
  // upper case
  "HTTP://WWW.EXAMPLE.COM/A", "Http://www.Example.com/a", "/A/B?C=D", "http://www.example.com/A",
  // whitespace, backslashes, userinfo, odd slashes
  " /a", "/a ", "\t/a", "/a\nb", "/a b", "\\a", "/\\a", "//a", "///a", "/a//b", "/a/",
  "http://u:p@www.example.com/a", "http://@www.example.com/a", "http:/a", "http:a", "https:a",
];

Deno.test("`extractLinks()` canonicalizes exactly like `canonicalizeUrl()`", () => {
  // The extractor takes shortcuts for simple URLs (one without the URL parser); they must agree
  // with lib/web/url.ts, whose output the request fingerprints depend on.
  // deno-fmt-ignore
  const alphabet = [
    "a", "B", "Z", "0", "/", "/", "?", "&", "=", "+", "-", ".", "..", "/./", "/../", "~", "_", "%",
    "%4", "%41", "%2F", "%2e", "%2E", "%25", "%C3%A9", "%e9", "%20", "%3F", "%23", "#", " ", "\t",
    ":", "@", "!", "$", "'", "(", "*", ",", ";", "|", "[", "]", "{", "^", "`", "<", "\\", "//",
    "\u00e9", "\u00c9", "\u00df", "\u{1f600}", "\u65e5", "\u00a0", "\ud800",
  ];
  const bases = [
    PAGE,
    "https://www.example.com",
    "http://user:pw@www.example.com/x/",
    "http://www.example.com:8080/a/b",
    "HTTP://WWW.EXAMPLE.COM:80/Dir/",
    "https://www.example.com:443/a?q=1#f",
    "http://[::1]:8080/a/",
    "http://127.0.0.1/",
    "http://m\u00fcnchen.de/\u00e4/",
    "http://www.example.com/a%20b/c",
  ];
  // deno-fmt-ignore
  const prefixes = [
    "", "/", "http://www.example.com/", "https://www.example.com/", "http://www.example.com:8080/",
    "http://[::1]:8080/", "?", "./", "../",
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const hrefs = [...TRICKY_HREFS];
  for (let i = 0; i < 2_000; i++) {
    let href = pick(prefixes);
    const length = Math.floor(random() * 12);
    for (let j = 0; j < length; j++) href += pick(alphabet);
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
