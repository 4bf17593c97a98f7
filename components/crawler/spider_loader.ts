/**
 * Finds the spider to run: a built-in by name (`link`, `wandering`) or a module path whose
 * default export is a {@linkcode Spider}.
 *
 * @module
 */

import type { Spider } from "./spider.ts";

const BUILTIN = /^[a-z][a-z0-9_-]*$/;

/** The module URL for a `SPIDER` setting value. */
export function spiderModuleUrl(name: string, cwd: string): URL {
  if (BUILTIN.test(name)) return new URL(`./spiders/${name}.ts`, import.meta.url);
  if (/^[a-z]+:/.test(name)) return new URL(name);
  return new URL(name, `file://${cwd.endsWith("/") ? cwd : `${cwd}/`}`);
}

/** Loads a spider; one clear line when it cannot. */
export async function loadSpider(name: string, cwd = Deno.cwd()): Promise<Spider> {
  let spider: unknown;
  try {
    spider = (await import(spiderModuleUrl(name, cwd).href)).default;
  } catch (err) {
    throw new Error(
      `Cannot start: spider '${name}' could not be loaded: ${(err as Error).message}`,
    );
  }
  const s = spider as Partial<Spider> | undefined;
  if (!s || typeof s.name !== "string" || typeof s.parse !== "function") {
    throw new Error(`Cannot start: '${name}' does not export a spider (name + parse) by default`);
  }
  if (/[:*\s]/.test(s.name)) {
    throw new Error(`Cannot start: spider name '${s.name}' must not contain ':', '*' or spaces`);
  }
  return s as Spider;
}
