import assert from "node:assert/strict";
import {
  classifyFailure,
  CrawlError,
  ParseError,
  PermanentError,
  PoisonRequestError,
  RefusedError,
  RetryableError,
} from "./errors.ts";
import { FetchError } from "../fetch/fetcher.ts";

Deno.test("`classifyFailure()` retries timeouts, connection and DNS errors", () => {
  for (const kind of ["timeout", "connection", "dns"] as const) {
    assert.equal(classifyFailure(new FetchError(kind, "http://a.com", "x")).kind, "retryable");
  }
  assert.deepEqual(classifyFailure(new RetryableError("HTTP 503")), {
    kind: "retryable",
    reason: "HTTP 503",
  });
});

Deno.test("`classifyFailure()` gives up at once on what cannot work on a second try", () => {
  for (const kind of ["too_many_redirects", "invalid_url"] as const) {
    assert.equal(classifyFailure(new FetchError(kind, "http://a.com", "x")).kind, "permanent");
  }
  assert.equal(classifyFailure(new PermanentError("no")).kind, "permanent");
});

Deno.test("`classifyFailure()` makes a throwing parse a permanent failure with its reason", () => {
  const failure = classifyFailure(new ParseError(new TypeError("x is undefined")));
  assert.deepEqual(failure, { kind: "permanent", reason: "parse failed: x is undefined" });
  assert.equal(classifyFailure(new ParseError("boom")).reason, "parse failed: boom");
  assert.equal(new ParseError(new Error("e")).retriable, false);
});

Deno.test("`classifyFailure()` tells poison, shutdown and unexpected errors apart", () => {
  assert.equal(classifyFailure(new PoisonRequestError("[1]")).kind, "poison");
  assert.equal(classifyFailure(new FetchError("aborted", "http://a.com", "x")).kind, "aborted");
  // A bug or an outage: the lease is kept.
  assert.deepEqual(classifyFailure(new TypeError("oops")), { kind: "unexpected", reason: "oops" });
  assert.deepEqual(classifyFailure("text"), { kind: "unexpected", reason: "text" });
});

Deno.test("`CrawlError.retriable` follows its kind", () => {
  assert.equal(new RetryableError("r").retriable, true);
  assert.equal(new PermanentError("p").retriable, false);
  assert.ok(new ParseError("p") instanceof CrawlError);
});

Deno.test("`classifyFailure()` refuses, never retries, what the guard or robots.txt refused", () => {
  const guard = classifyFailure(
    new FetchError("refused", "http://10.0.0.1/", "Cannot fetch: 10.0.0.1 is private"),
  );
  assert.deepEqual(guard, {
    kind: "refused",
    reason: "Cannot fetch: 10.0.0.1 is private",
    refusal: "network",
  });
  assert.equal(new FetchError("refused", "http://10.0.0.1/", "x").retryable, false);
  const robots = classifyFailure(new RefusedError("robots", "disallowed by robots.txt"));
  assert.equal(robots.kind, "refused");
  assert.equal(robots.refusal, "robots");
  assert.equal(new RefusedError("robots", "x").retriable, false);
});
