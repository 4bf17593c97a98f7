/**
 * Every setting a component accepts is read by its code, or is marked `compat()` (kept only so
 * Scrapy Cluster settings files load). For each component the test takes its settings table and
 * the local source files of its module graph (`deno info` from `main.ts` and from each
 * dynamically loaded plugin or spider) and fails, naming the setting and the component, when a
 * row is never read.
 *
 * A read is `.NAME` (`settings.NAME`, `s?.NAME`), a string literal `"NAME"` (`["NAME"]`,
 * `{ spider: "SPIDER" }`, `Pick<T, "NAME">`) or a destructuring (`const { NAME } = s`).
 * Declaring rows is not reading: `NAME: int(...)` is an object key, and picking a row from a
 * table (`STATS_SETTINGS.STATS_TIMES`) is skipped. Comments and the text of other string
 * literals (documentation) never count.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compat, int, type SettingsTable, str } from "../../lib/config/mod.ts";
import { CLUSTER_SETTINGS } from "../../components/cluster/cluster.ts";
import { CRAWLER_SETTINGS } from "../../components/crawler/settings.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { KAFKADUMP_SETTINGS } from "../../components/kafkadump/settings.ts";
import { REDIS_MONITOR_SETTINGS } from "../../components/redis-monitor/settings.ts";
import { REST_SETTINGS } from "../../components/rest/settings.ts";

/** The settings of `table` that no source reads and that are not marked `compat()`. */
export function unreadSettings(table: SettingsTable, sources: Iterable<string>): string[] {
  const read = new Set<string>();
  for (const source of sources) for (const name of namesRead(source)) read.add(name);
  return Object.entries(table)
    .filter(([name, spec]) => spec.compat === undefined && !read.has(name))
    .map(([name]) => name);
}

/** Every identifier `source` reads as a property, a string literal or in a destructuring. */
export function namesRead(source: string): Set<string> {
  const code = codeOnly(source);
  const out = new Set<string>();
  // `.NAME`, not `TABLE_SETTINGS.NAME` (picking a row declares it for another table).
  for (const m of code.matchAll(/([\w$]*)\s*\??\.\s*([A-Za-z_$][\w$]*)/g)) {
    if (!/^[A-Z][A-Z0-9_]*SETTINGS$/.test(m[1])) out.add(m[2]);
  }
  for (const m of code.matchAll(/"([A-Za-z_$][\w$]*)"/g)) out.add(m[1]);
  // Destructuring: an object pattern (no nested braces) followed by `=` or a type annotation.
  for (const m of code.matchAll(/\{([^{}]*)\}\s*(?:=(?![=>])|:)/g)) {
    for (const part of m[1].split(",")) {
      const key = /^\s*(?:\.\.\.)?([A-Za-z_$][\w$]*)\s*(?:[:=]|$)/.exec(part);
      if (key) out.add(key[1]);
    }
  }
  return out;
}

/**
 * `source` with comments removed and every string literal replaced by `"NAME"` when its text
 * is a bare identifier, else by `""`; template literals keep their `${...}` code.
 */
export function codeOnly(source: string): string {
  let out = "";
  let i = 0;
  // Brace depth of each open `${` of a template literal, innermost last.
  const templates: number[] = [];
  let depth = 0;
  let lastSignificant = "";
  const literal = (text: string) => /^[A-Za-z_$][\w$]*$/.test(text) ? `"${text}"` : '""';
  const readTemplateText = () => {
    // At the character after "`" or after the "}" closing a `${`.
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        out += '""';
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        out += '""+(';
        templates.push(depth);
        depth++;
        return;
      } else i++;
    }
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = "";
      while (j < source.length && source[j] !== c && source[j] !== "\n") {
        if (source[j] === "\\") j++;
        text += source[j];
        j++;
      }
      i = j + 1;
      out += literal(text);
      lastSignificant = '"';
    } else if (c === "`") {
      i++;
      readTemplateText();
      lastSignificant = '"';
    } else if (c === "/" && /^$|[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant)) {
      // A regular expression literal: skip it (it may hold quotes).
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n") {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        else if (source[j] === "/" && !inClass) break;
        j++;
      }
      i = j + 1;
      while (i < source.length && /[a-z]/.test(source[i])) i++;
      out += "/re/";
      lastSignificant = "/";
    } else {
      if (c === "{") depth++;
      if (c === "}") {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          i++;
          out += ")+";
          readTemplateText();
          lastSignificant = '"';
          continue;
        }
      }
      out += c;
      if (!/\s/.test(c)) lastSignificant = c;
      i++;
    }
  }
  return out;
}

/** The local files of the module graph of `roots` (files under this repository). */
async function localModuleGraph(roots: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const root of roots) {
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(success, `deno info ${root} failed: ${new TextDecoder().decode(stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules: { specifier: string }[];
    };
    for (const m of info.modules) {
      if (m.specifier.startsWith(REPO.href)) files.add(fileURLToPath(m.specifier));
    }
  }
  return [...files].sort();
}

const REPO = new URL("../../", import.meta.url);

/** Entry points of a component: `main.ts` plus the modules it imports by name at run time. */
function rootsOf(component: string): string[] {
  const dir = fileURLToPath(new URL(`components/${component}/`, REPO));
  const roots = [`${dir}main.ts`];
  for (const sub of ["plugins", "spiders"]) {
    try {
      for (const entry of Deno.readDirSync(`${dir}${sub}`)) {
        if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
          roots.push(`${dir}${sub}/${entry.name}`);
        }
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return roots;
}

const COMPONENTS: Record<string, SettingsTable> = {
  "kafka-monitor": KAFKA_MONITOR_SETTINGS,
  "redis-monitor": REDIS_MONITOR_SETTINGS,
  crawler: CRAWLER_SETTINGS,
  rest: REST_SETTINGS,
  kafkadump: KAFKADUMP_SETTINGS,
  cluster: CLUSTER_SETTINGS,
};

for (const [component, table] of Object.entries(COMPONENTS)) {
  Deno.test(`${component}: every setting it accepts is read, or marked compat()`, async () => {
    const files = await localModuleGraph(rootsOf(component));
    const unread = unreadSettings(table, files.map((f) => Deno.readTextFileSync(f)));
    assert.deepEqual(
      unread,
      [],
      unread.map((name) =>
        `${component}: setting ${name} is accepted but nothing reads it; use it, remove it ` +
        `from the table, or mark it compat() if Scrapy Cluster settings files carry it`
      ).join("\n"),
    );
  });
}

Deno.test("unreadSettings() names the rows no source reads and exempts compat() rows", () => {
  const table = {
    READ_DOT: int(1, "d"),
    READ_OPTIONAL: int(1, "d"),
    READ_INDEX: int(1, "d"),
    READ_DESTRUCTURED: int(1, "d"),
    READ_RENAMED: int(1, "d"),
    READ_TEMPLATE: str("", "d"),
    ONLY_DECLARED: int(1, "see READ_DOT and ONLY_IN_DOCS"),
    ONLY_IN_DOCS: int(1, "d"),
    ONLY_PICKED: int(1, "d"),
    ONLY_WRITTEN: int(1, "d"),
    KEPT: compat(int(1, "d")),
  };
  const sources = [
    `
    /** Reads ONLY_IN_DOCS, settings.ONLY_IN_DOCS and "ONLY_IN_DOCS" in a comment. */
    export const TABLE = { ONLY_DECLARED: int(1, "settings.ONLY_IN_DOCS"), X: str("ONLY_IN_DOCS x") };
    export const MORE_SETTINGS = { ONLY_PICKED: OTHER_SETTINGS.ONLY_PICKED };
    const overrides = { ONLY_WRITTEN: 2, LOG: 'ONLY_IN_DOCS is not read here' };
    // settings.ONLY_IN_DOCS
    `,
    `
    const a = settings.READ_DOT + s?.READ_OPTIONAL + s["READ_INDEX"];
    const re = /"ONLY_IN_DOCS"/g;
    const { READ_DESTRUCTURED, READ_RENAMED: renamed } = settings;
    const text = \`value \${settings.READ_TEMPLATE} and ONLY_IN_DOCS\`;
    `,
  ];
  assert.deepEqual(unreadSettings(table, sources), [
    "ONLY_DECLARED",
    "ONLY_IN_DOCS",
    "ONLY_PICKED",
    "ONLY_WRITTEN",
  ]);
});

Deno.test("unreadSettings() sees reads in parameters and type picks", () => {
  const table = { A: int(1, "d"), B: int(1, "d"), C: int(1, "d"), D: int(1, "d") };
  const source = `
    function f({ A, B = 2 }: Settings) {}
    type Needed = Pick<CrawlerSettings, "C">;
  `;
  assert.deepEqual(unreadSettings(table, [source]), ["D"]);
});
