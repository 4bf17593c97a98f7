import assert from "node:assert/strict";
import {
  agentToken,
  groupNames,
  MAX_CRAWL_DELAY_SEC,
  parseRobots,
  robotsOrigin,
  robotsVerdict,
} from "./policy.ts";

const ROBOTS = `# a comment
User-agent: *
Disallow: /private
Allow: /private/open
Disallow: /*.pdf$
Crawl-delay: 2

User-agent: MyBot/2.0
User-agent: otherbot
Disallow: /
Allow: /public
Crawl-delay: 7

User-agent: crawl-cluster
Disallow: /not-for-us
`;

const robots = parseRobots("http://example.com/robots.txt", ROBOTS);

Deno.test("`parseRobots()` applies the `*` group to an agent no group names", () => {
  const ua = "SomeBrowser/1.0";
  assert.equal(robots.allows("http://example.com/", ua), true);
  assert.equal(robots.allows("http://example.com/private", ua), false);
  assert.equal(robots.allows("http://example.com/private/x?y=1", ua), false);
  assert.equal(robots.allows("http://example.com/private/open/x", ua), true, "longest match");
  assert.equal(robots.allows("http://example.com/a/b.pdf", ua), false, "* and $");
  assert.equal(robots.allows("http://example.com/a/b.pdf?x", ua), true, "$ anchors the end");
  assert.equal(robots.crawlDelaySec(ua), 2);
});

Deno.test("`parseRobots()` picks a group by the user agent's product tokens", () => {
  for (const ua of ["MyBot/2.0", "mybot", "Mozilla/5.0 (compatible; MyBot/2.1; +http://x.y)"]) {
    assert.equal(robots.allows("http://example.com/private/open", ua), false, ua);
    assert.equal(robots.allows("http://example.com/public/page", ua), true, ua);
    assert.equal(robots.crawlDelaySec(ua), 7, ua);
  }
  assert.equal(robots.allows("http://example.com/x", "OtherBot"), false, "second name of a group");
  // Our own agent has a group without Crawl-delay: its rules only, no delay.
  assert.equal(robots.allows("http://example.com/private", "crawl-cluster/0.1"), true);
  assert.equal(robots.allows("http://example.com/not-for-us", "crawl-cluster/0.1"), false);
  assert.equal(robots.crawlDelaySec("crawl-cluster/0.1"), null);
  // A token must match whole: "bot" is not "mybot".
  assert.equal(robots.allows("http://example.com/x", "bot"), true);
});

Deno.test("`parseRobots()` allows everything for an empty or junk file", () => {
  for (const text of ["", "<html><body>Not a robots file</body></html>", "Disallow: /"]) {
    const r = parseRobots("https://example.com/robots.txt", text);
    assert.equal(r.allows("https://example.com/anything", "x"), true, text);
    assert.equal(r.crawlDelaySec("x"), null);
  }
  const all = parseRobots("https://example.com/robots.txt", "User-agent: *\nDisallow: /\n");
  assert.equal(all.allows("https://example.com/", "x"), false);
  assert.equal(all.allows("https://example.com/a", "x"), false);
});

Deno.test("`parseRobots()` keeps only positive Crawl-delays, capped", () => {
  const delay = (value: string) =>
    parseRobots("http://e.com/robots.txt", `User-agent: *\nCrawl-delay: ${value}\n`)
      .crawlDelaySec("x");
  assert.equal(delay("0.5"), 0.5);
  assert.equal(delay("0"), null);
  assert.equal(delay("-3"), null);
  assert.equal(delay("soon"), null);
  assert.equal(delay("1e12"), MAX_CRAWL_DELAY_SEC);
});

Deno.test("`groupNames()` and `agentToken()` name groups as robots-parser keys them", () => {
  assert.deepEqual(groupNames("user-agent: A/1\n  USER-AGENT :b # c\nUser-agent:\n"), ["a", "b"]);
  const groups = new Set(["mybot", "other"]);
  assert.equal(agentToken(groups, "Mozilla/5.0 (compatible; MyBot/1.0)"), "mybot");
  assert.equal(agentToken(groups, "crawl-cluster/0.1"), "*");
});

Deno.test("`robotsVerdict()` reads a robots.txt status as Google and RFC 9309 do", () => {
  assert.equal(robotsVerdict(200), "rules");
  assert.equal(robotsVerdict(204), "rules");
  assert.equal(robotsVerdict(301), "redirect");
  for (const s of [400, 401, 403, 404, 410]) assert.equal(robotsVerdict(s), "allow", `${s}`);
  for (const s of [429, 500, 502, 503]) assert.equal(robotsVerdict(s), "retry", `${s}`);
});

Deno.test("`robotsOrigin()` is per scheme, host and port", () => {
  assert.deepEqual(robotsOrigin("http://Example.com/a?b"), {
    scheme: "http",
    hostPort: "example.com:80",
    robotsUrl: "http://example.com/robots.txt",
  });
  assert.deepEqual(robotsOrigin("https://example.com:443/"), {
    scheme: "https",
    hostPort: "example.com:443",
    robotsUrl: "https://example.com/robots.txt",
  });
  assert.equal(robotsOrigin("http://[::1]:8080/x")?.hostPort, "[::1]:8080");
  assert.equal(
    robotsOrigin("http://127.0.0.1:8080/x")?.robotsUrl,
    "http://127.0.0.1:8080/robots.txt",
  );
  assert.equal(robotsOrigin("ftp://example.com/"), null);
  assert.equal(robotsOrigin("not a url"), null);
});
