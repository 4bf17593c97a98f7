import assert from "node:assert/strict";
import { networkError } from "./fetch_error.ts";
import { classifyFailure } from "../pipeline/errors.ts";

Deno.test("networkError() makes a fetch refused for lack of permission permanent, never retried", () => {
  const causes = [
    new Deno.errors.NotCapable('Requires net access to "a.com:80", run again with --allow-net'),
    new Deno.errors.PermissionDenied("Requires net access to a.com:80"),
    new TypeError("fetch failed", { cause: new Deno.errors.NotCapable("Requires net access") }),
  ];
  for (const cause of causes) {
    const err = networkError(cause, "http://a.com/");
    assert.equal(err.kind, "permission");
    assert.equal(err.retryable, false);
    assert.equal(classifyFailure(err).kind, "permanent");
  }
  // A network failure stays retryable.
  const refused = networkError(new TypeError("error sending request: connection refused"), "x");
  assert.equal(classifyFailure(refused).kind, "retryable");
});
