import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSpider, spiderModuleUrl } from "./spider_loader.ts";

Deno.test("`spiderModuleUrl()` maps built-in names, URLs and paths", () => {
  assert.equal(
    spiderModuleUrl("link", "/x").href,
    new URL("./spiders/link.ts", import.meta.url).href,
  );
  assert.equal(spiderModuleUrl("file:///a/b.ts", "/x").href, "file:///a/b.ts");
  assert.equal(spiderModuleUrl("./s.ts", "/work/dir").href, "file:///work/dir/s.ts");
  assert.equal(spiderModuleUrl("../s.ts", "/work/dir/").href, "file:///work/s.ts");
  assert.equal(spiderModuleUrl("/abs/s.ts", "/work").href, "file:///abs/s.ts");
});

Deno.test("`loadSpider()` loads built-ins by name", async () => {
  assert.equal((await loadSpider("link")).name, "link");
  assert.equal((await loadSpider("wandering")).name, "wandering");
});

Deno.test("`loadSpider()` fails with one clear line for what is not a spider", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-loader-" });
  try {
    await Deno.writeTextFile(join(dir, "none.ts"), "export const x = 1;\n");
    await Deno.writeTextFile(
      join(dir, "colon.ts"),
      'export default { name: "a:b", parse: () => ({ requests: [] }) };\n',
    );
    const cases: [string, RegExp][] = [
      ["nope", /^Cannot start: spider 'nope' could not be loaded: /],
      ["./missing.ts", /^Cannot start: spider '\.\/missing\.ts' could not be loaded: /],
      ["./none.ts", /^Cannot start: '\.\/none\.ts' does not export a spider/],
      ["./colon.ts", /^Cannot start: spider name 'a:b' must not contain/],
    ];
    for (const [name, message] of cases) {
      await assert.rejects(loadSpider(name, dir), { message }, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
