import assert from "node:assert/strict";
import { compileLinkFilter, IGNORED_EXTENSIONS, type LinkFilter } from "./link_filter.ts";
import { anchors, NO_FILTER, PAGE, urls } from "./testdata/links.ts";

Deno.test("`compileLinkFilter()` applies allowedDomains to the host and its subdomains", () => {
  const html = anchors(
    "http://foxnews.com/a",
    "http://www.foxnews.com/b",
    "http://a.b.FOXNEWS.com/c",
    "http://notfoxnews.com/d",
    "http://foxnews.com.evil.org/e",
    "http://foxnews.com:8080/f",
    "http://other.org/g",
  );
  assert.deepEqual(urls(html, PAGE, { allowedDomains: ["FoxNews.com"] }), [
    "http://foxnews.com/a",
    "http://www.foxnews.com/b",
    "http://a.b.foxnews.com/c",
    "http://foxnews.com:8080/f",
  ]);
  assert.deepEqual(urls(html, PAGE, { allowedDomains: ["foxnews.com", "other.org"] }).length, 5);
  assert.equal(urls(html, PAGE, { allowedDomains: [] }).length, 7);
  const idn = anchors("http://www.xn--mnchen-3ya.de/", "http://münchen.de/x");
  assert.equal(urls(idn, PAGE, { allowedDomains: ["MÜNCHEN.de"] }).length, 2);
});

Deno.test("`compileLinkFilter()` searches allowRegex and denyRegex in the canonical URL", () => {
  const html = anchors("/shock/1", "/news/shocking", "/news/calm", "/other?b=2&a=1");
  const cases: [Partial<LinkFilter>, string[]][] = [
    [{ allowRegex: [".*shock.*"] }, ["/shock/1", "/news/shocking"]],
    [{ allowRegex: ["shock"] }, ["/shock/1", "/news/shocking"]],
    [{ allowRegex: ["^http://www\\.example\\.com/news/"] }, ["/news/shocking", "/news/calm"]],
    [{ allowRegex: ["calm", "/shock/"] }, ["/shock/1", "/news/calm"]],
    [{ allowRegex: [] }, ["/shock/1", "/news/shocking", "/news/calm", "/other?a=1&b=2"]],
    // the query is sorted before matching
    [{ allowRegex: ["\\?a=1&b=2$"] }, ["/other?a=1&b=2"]],
    [{ denyRegex: ["shock"] }, ["/news/calm", "/other?a=1&b=2"]],
    [{ denyRegex: [".*.com.*"] }, []],
    // deny wins over allow
    [{ allowRegex: ["news"], denyRegex: ["calm"] }, ["/news/shocking"]],
    // invalid regexes match nothing
    [{ denyRegex: ["(unclosed"] }, ["/shock/1", "/news/shocking", "/news/calm", "/other?a=1&b=2"]],
    [{ allowRegex: ["(unclosed"] }, []],
    [{ allowRegex: ["(unclosed", "calm"] }, ["/news/calm"]],
  ];
  for (const [filter, expected] of cases) {
    assert.deepEqual(
      urls(html, PAGE, filter),
      expected.map((path) => `http://www.example.com${path}`),
      JSON.stringify(filter),
    );
  }
});

Deno.test("`compileLinkFilter()` compares denyExtensions with the last path extension", () => {
  const html = anchors(
    "/doc.pdf",
    "/DOC2.PDF",
    "/archive.tar.gz",
    "/page.html",
    "/x?file=a.pdf",
    "/dir.pdf/index",
    "/.pdf",
    "/noext",
    "/image.JPG#frag",
  );
  const base = "http://www.example.com";
  const cases: [string[] | null, string[]][] = [
    // null: Scrapy's IGNORED_EXTENSIONS (gz is not in it; "tar.gz" never matches)
    [null, [
      "/archive.tar.gz",
      "/page.html",
      "/x?file=a.pdf",
      "/dir.pdf/index",
      "/.pdf",
      "/noext",
    ]],
    [[], [
      "/doc.pdf",
      "/DOC2.PDF",
      "/archive.tar.gz",
      "/page.html",
      "/x?file=a.pdf",
      "/dir.pdf/index",
      "/.pdf",
      "/noext",
      "/image.JPG",
    ]],
    [["html"], [
      "/doc.pdf",
      "/DOC2.PDF",
      "/archive.tar.gz",
      "/x?file=a.pdf",
      "/dir.pdf/index",
      "/.pdf",
      "/noext",
      "/image.JPG",
    ]],
    [["gz", ".PDF"], [
      "/page.html",
      "/x?file=a.pdf",
      "/dir.pdf/index",
      "/.pdf",
      "/noext",
      "/image.JPG",
    ]],
    [["tar.gz"], [
      "/doc.pdf",
      "/DOC2.PDF",
      "/archive.tar.gz",
      "/page.html",
      "/x?file=a.pdf",
      "/dir.pdf/index",
      "/.pdf",
      "/noext",
      "/image.JPG",
    ]],
  ];
  for (const [denyExtensions, expected] of cases) {
    assert.deepEqual(
      urls(html, PAGE, { denyExtensions }),
      expected.map((path) => base + path),
      JSON.stringify(denyExtensions),
    );
  }
});

Deno.test("`compileLinkFilter()` combines every filter", () => {
  const html = anchors(
    "http://www.foxnews.com/politics/story.html",
    "http://www.foxnews.com/politics/chart.png",
    "http://www.foxnews.com/sports/story.html",
    "http://video.foxnews.com/politics/clip",
    "http://www.cnn.com/politics/story.html",
  );
  assert.deepEqual(
    urls(html, PAGE, {
      allowedDomains: ["foxnews.com"],
      allowRegex: ["/politics/"],
      denyRegex: ["^http://video\\."],
      denyExtensions: null,
    }),
    ["http://www.foxnews.com/politics/story.html"],
  );
});

Deno.test("`compileLinkFilter()` caches one compiled filter per distinct filter", () => {
  const a = compileLinkFilter({ ...NO_FILTER, allowRegex: ["x"] });
  assert.equal(compileLinkFilter({ ...NO_FILTER, allowRegex: ["x"] }), a);
  assert.notEqual(compileLinkFilter({ ...NO_FILTER, allowRegex: ["y"] }), a);
  assert.notEqual(compileLinkFilter({ ...NO_FILTER, allowRegex: ["x"], denyExtensions: null }), a);
  assert.equal(a(new URL("http://x.org/")), true);
  assert.equal(a(new URL("http://y.org/")), false);
});

Deno.test("`compileLinkFilter()` runs a catastrophic allowRegex in linear time", () => {
  // 40 a's and a "!": about 2^40 steps for a backtracking engine, microseconds for RE2.
  const aaa = "a".repeat(40);
  const html = anchors(`/${aaa}!`, `/x/${aaa}!`, `/${aaa}`, "/calm");
  assert.deepEqual(urls(html, PAGE, { allowRegex: ["(a+)+$"] }), [`http://www.example.com/${aaa}`]);
  assert.deepEqual(urls(html, PAGE, { denyRegex: ["(a|aa)+$"] }), [
    `http://www.example.com/${aaa}!`,
    `http://www.example.com/x/${aaa}!`,
    "http://www.example.com/calm",
  ]);
});

Deno.test("`compileLinkFilter()` refuses every link when a regex needs backtracking", () => {
  // A lookahead or a backreference, as a request stored before validation refused them holds.
  const html = anchors("/news/1", "/private/2", "/aa");
  for (
    const filter of [
      { denyRegex: ["^(?!.*news)"] },
      { allowRegex: ["news", "(a)\\1"] },
      { allowRegex: ["news"], denyRegex: ["(?<=/)private"] },
    ]
  ) {
    assert.deepEqual(urls(html, PAGE, filter), [], JSON.stringify(filter));
    const compiled = compileLinkFilter({ ...NO_FILTER, ...filter });
    assert.equal(compiled(new URL("http://www.example.com/news/1")), false);
  }
  // RE2 syntax that JavaScript lacks works: Python's named groups and inline flags.
  assert.deepEqual(urls(html, PAGE, { allowRegex: ["(?i)/NEWS/", "(?P<n>a)a$"] }), [
    "http://www.example.com/news/1",
    "http://www.example.com/aa",
  ]);
});

Deno.test("`IGNORED_EXTENSIONS` is Scrapy's list", () => {
  assert.equal(IGNORED_EXTENSIONS.length, new Set(IGNORED_EXTENSIONS).size);
  for (const ext of ["7z", "tar.gz", "jpg", "webp", "mp3", "webm", "docx", "pdf", "exe", "js"]) {
    assert.ok(IGNORED_EXTENSIONS.includes(ext), ext);
  }
  for (const ext of ["html", "htm", "php", "asp", "gz", "txt", "xml", "json"]) {
    assert.ok(!IGNORED_EXTENSIONS.includes(ext), ext);
  }
  assert.ok(Object.isFrozen(IGNORED_EXTENSIONS));
});
