/**
 * Loading a settings table with Scrapy Cluster's precedence:
 * table defaults < JSON settings file < environment variables < command-line overrides.
 *
 * Tables are plain objects of rows built with the constructors of `parsers.ts`; each lives
 * beside the code that reads it (`REDIS_SETTINGS` in `lib/services/redis.ts`, log settings in
 * `log.ts`, ...) and each component composes its own by spreading them.
 * {@linkcode loadSettings} validates every value once at start and returns a deeply frozen,
 * precisely typed object.
 *
 * @example
 * ```ts
 * import { int, str } from "./parsers.ts";
 * import { loadSettings } from "./settings.ts";
 *
 * const TABLE = {
 *   REDIS_HOST: str("localhost", "Redis host name"),
 *   QUEUE_HITS: int(10, "requests per window"),
 * };
 * const s = loadSettings(TABLE, { env: { QUEUE_HITS: "12" } });
 * if (s.REDIS_HOST !== "localhost" || s.QUEUE_HITS !== 12) throw new Error("unexpected");
 * ```
 * @module
 */

import { SettingsError, type SettingSpec } from "./parsers.ts";

/** A table of settings, keyed by their Scrapy Cluster names. */
export type SettingsTable = Record<string, SettingSpec<unknown>>;

/** The loaded, typed settings of a table. */
export type SettingsOf<T extends SettingsTable> = {
  readonly [K in keyof T]: T[K] extends SettingSpec<infer V> ? V : never;
};

/** Where to read the layers above the table defaults. */
export interface LoadOptions {
  /**
   * Path of a JSON settings file (an object of setting names).
   * @default {null}
   */
  file?: string | null;
  /**
   * Environment variables; only names in the table are read, empty values count as unset.
   * Pass `Deno.env.toObject()` from `main.ts` (library code never reads `Deno.env` itself).
   * @default {{}}
   */
  env?: Record<string, string | undefined>;
  /**
   * Values from command-line flags (see `settingsOverridesFromCli` in `cli.ts`).
   * @default {{}}
   */
  overrides?: Record<string, unknown>;
}

/** The note `--help` adds to a setting marked with `compat()`. */
export const COMPAT_NOTE = "kept for Scrapy Cluster compatibility";

/**
 * Loads the settings of `table`: defaults, then the JSON `file`, then `env`, then
 * `overrides`; each value is validated as it is read and dictionaries are merged one level
 * deep. The result is deeply frozen.
 *
 * @throws {SettingsError} on the first bad value, a missing or invalid file, or an unknown name.
 */
export function loadSettings<T extends SettingsTable>(
  table: T,
  opts: LoadOptions = {},
): SettingsOf<T> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) values[name] = structuredClone(spec.default);

  const apply = (name: string, raw: unknown, source: string) => {
    const spec = table[name];
    let value: unknown;
    try {
      value = spec.parse(raw, name);
    } catch (err) {
      if (err instanceof SettingsError) throw new SettingsError(`${err.message} (${source})`);
      throw err;
    }
    // Scrapy Cluster's SettingsWrapper: a dict in a higher layer updates keys, not the whole.
    values[name] = spec.kind === "dict"
      ? { ...(values[name] as Record<string, unknown>), ...(value as Record<string, unknown>) }
      : value;
  };

  if (opts.file != null) {
    const file = opts.file;
    for (const [name, raw] of Object.entries(_readSettingsFile(file))) {
      if (!Object.hasOwn(table, name)) {
        throw new SettingsError(`Cannot start: unknown setting ${name} in ${file}`);
      }
      apply(name, raw, `from settings file ${file}`);
    }
  }
  for (const name of Object.keys(table)) {
    const raw = opts.env?.[name];
    if (raw !== undefined && raw !== "") apply(name, raw, "from environment variable");
  }
  for (const [name, raw] of Object.entries(opts.overrides ?? {})) {
    if (!Object.hasOwn(table, name)) {
      throw new SettingsError(`Cannot start: unknown setting ${name} on the command line`);
    }
    apply(name, raw, "from the command line");
  }
  return _deepFreeze(values) as SettingsOf<T>;
}

/**
 * Renders a settings table as plain text: one row per setting with its name, default and
 * documentation, in aligned columns (for `--help` output and the README). A default too long
 * for its column (a plugin map) pushes that row's documentation to the next line, as argparse
 * does for long options. A setting marked with `compat()` says so after its documentation.
 */
export function describeSettings(table: SettingsTable): string {
  const rows = [["NAME", "DEFAULT", "DESCRIPTION"]];
  for (const [name, spec] of Object.entries(table)) {
    const doc = spec.compat === undefined
      ? spec.doc
      : `${spec.doc} (${COMPAT_NOTE}; ${spec.compat})`;
    rows.push([name, _showDefault(spec.default), doc]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length).filter((n) => n <= _MAX_DEFAULT_COLUMN));
  const lines = [];
  for (const [name, def, doc] of rows) {
    if (def.length <= w1) lines.push(`${name.padEnd(w0)}  ${def.padEnd(w1)}  ${doc}`.trimEnd());
    else lines.push(`${name.padEnd(w0)}  ${def}`, `${" ".repeat(w0 + w1 + 4)}${doc}`.trimEnd());
  }
  return lines.join("\n") + "\n";
}

/** Widest default kept in the DEFAULT column; longer ones get a line of their own. */
const _MAX_DEFAULT_COLUMN = 24;

function _showDefault(value: unknown): string {
  if (value === null) return "(none)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

function _isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function _readSettingsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SettingsError(`Cannot start: settings file ${file} not found`);
    }
    throw new SettingsError(`Cannot start: cannot read settings file ${file}: ${_oneLine(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(
      `Cannot start: settings file ${file} is not valid JSON: ${_oneLine(err)}`,
    );
  }
  if (!_isPlainObject(data)) {
    throw new SettingsError(`Cannot start: settings file ${file} must hold a JSON object`);
  }
  return data;
}

function _oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

function _deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) _deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
