/**
 * The README's settings tables say the truth: every setting a component accepts is documented
 * for that component (in "Shared settings" with the component named, or in the component's own
 * table), every documented setting exists in the tables it is documented for, and every
 * compatibility-only setting is documented as such.
 */

import assert from "node:assert/strict";
import type { SettingsTable } from "../../lib/config/mod.ts";
import { CLUSTER_SETTINGS } from "../../components/cluster/cluster.ts";
import { CRAWLER_SETTINGS } from "../../components/crawler/settings.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { KAFKADUMP_SETTINGS } from "../../components/kafkadump/settings.ts";
import { REDIS_MONITOR_SETTINGS } from "../../components/redis-monitor/settings.ts";
import { REST_SETTINGS } from "../../components/rest/settings.ts";
import { WEBHOOK_SETTINGS } from "../../components/webhook/settings.ts";

const TABLES: Record<string, SettingsTable> = {
  "kafka-monitor": KAFKA_MONITOR_SETTINGS,
  "redis-monitor": REDIS_MONITOR_SETTINGS,
  crawler: CRAWLER_SETTINGS,
  rest: REST_SETTINGS,
  kafkadump: KAFKADUMP_SETTINGS,
  cluster: CLUSTER_SETTINGS,
  webhook: WEBHOOK_SETTINGS,
};

/** A documented setting: its name, the components a row names, and the row's meaning. */
interface DocumentedRow {
  names: string[];
  components: string[];
  meaning: string;
  heading: string;
}

/** The table rows under each `### heading` of `markdown` that document settings. */
export function documentedSettings(
  markdown: string,
  components: readonly string[],
): DocumentedRow[] {
  const rows: DocumentedRow[] = [];
  let heading = "";
  for (const line of markdown.split("\n")) {
    if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
    if (!line.startsWith("| `")) continue;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const names = [...cells[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]);
    if (names.length === 0) continue;
    let owners: string[] | null = null;
    if (heading === "Shared settings") {
      owners = cells[2] === "all" ? [...components] : cells[2].split(",").map((c) => c.trim());
    } else if (heading === "rest settings") owners = ["rest"];
    else if (components.includes(heading)) owners = [heading];
    if (owners === null) continue;
    rows.push({ names, components: owners, meaning: cells.at(-1)!, heading });
  }
  return rows;
}

/** The README's settings sections: `## Settings` and the REST gateway's own table. */
function settingsMarkdown(readme: string): string {
  const section = (start: string) => {
    const from = readme.indexOf(start);
    assert.notEqual(from, -1, `README has no "${start}"`);
    const to = readme.indexOf("\n## ", from + start.length);
    return readme.slice(from, to === -1 ? undefined : to);
  };
  const rest = section("### rest settings");
  return `${section("## Settings")}\n${rest.slice(0, rest.indexOf("\n### ", 5))}`;
}

const README = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
const ROWS = documentedSettings(settingsMarkdown(README), Object.keys(TABLES));

Deno.test("README documents every setting of every component", () => {
  const missing: string[] = [];
  for (const [component, table] of Object.entries(TABLES)) {
    for (const name of Object.keys(table)) {
      const documented = ROWS.some((r) =>
        r.names.includes(name) && r.components.includes(component)
      );
      if (!documented) missing.push(`${component}: ${name}`);
    }
  }
  assert.deepEqual(missing, [], "settings the README does not document for their component");
});

Deno.test("README documents no setting a component does not have", () => {
  const stale: string[] = [];
  for (const row of ROWS) {
    for (const component of row.components) {
      const table = TABLES[component];
      assert.ok(table, `README names an unknown component "${component}" (${row.heading})`);
      for (const name of row.names) {
        if (!Object.hasOwn(table, name)) stale.push(`${component}: ${name} (${row.heading})`);
      }
    }
  }
  assert.deepEqual(stale, [], "settings the README documents that the component does not accept");
});

Deno.test("README marks every compatibility-only setting", () => {
  const unmarked: string[] = [];
  for (const [component, table] of Object.entries(TABLES)) {
    for (const [name, spec] of Object.entries(table)) {
      if (spec.compat === undefined) continue;
      const rows = ROWS.filter((r) => r.names.includes(name) && r.components.includes(component));
      if (!rows.some((r) => /compatibility/.test(r.meaning))) {
        unmarked.push(`${component}: ${name}`);
      }
    }
  }
  assert.deepEqual(unmarked, []);
});

Deno.test("documentedSettings() reads shared, per-component and 'all' rows", () => {
  const md = [
    "### Shared settings",
    "| `A`, `B` | 1 | x, y | shared |",
    "| `C` | 1 | all | everywhere |",
    "### x",
    "| `D` | 2 | own |",
    "### Load test",
    "| `E` | 3 | not a settings table |",
  ].join("\n");
  assert.deepEqual(
    documentedSettings(md, ["x", "y", "z"]).map((r) => [r.names, r.components]),
    [[["A", "B"], ["x", "y"]], [["C"], ["x", "y", "z"]], [["D"], ["x"]]],
  );
});
