/**
 * The README's minimal Redis ACL lines are the ones `componentAcl()` writes (and the ACL test runs
 * under): a component that gains a command or key must show it there too.
 */
import assert from "node:assert/strict";
import { aclUser, componentAcl, REDIS_COMPONENTS } from "../../lib/services/redis_acl.ts";

const README = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));

Deno.test("the README shows each component's minimal Redis ACL as componentAcl() writes it", () => {
  for (const component of REDIS_COMPONENTS) {
    const line = `ACL SETUSER ${aclUser(component, "…", componentAcl(component))}`;
    assert.ok(README.split("\n").includes(line), `README lacks: ${line}`);
  }
});
