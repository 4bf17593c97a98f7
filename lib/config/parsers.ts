/**
 * The rows of a settings table: one constructor per kind of value (`str`, `int`, `list`, ...),
 * each returning a {@linkcode SettingSpec} with its default, one line of documentation and a
 * parser that validates raw values from a settings file, the environment or a flag.
 * {@linkcode compat} marks a row kept only so Scrapy Cluster settings files still load.
 *
 * Tables live beside the code that reads them and are composed by each component; the loader
 * is `settings.ts`.
 *
 * @example
 * ```ts
 * import { compat, int } from "./parsers.ts";
 *
 * const TABLE = {
 *   QUEUE_HITS: int(10, "requests per window", { min: 0 }),
 *   STATS_CYCLE: compat(int(5, "seconds between stats cleanups")),
 * };
 * if (TABLE.QUEUE_HITS.parse("12", "QUEUE_HITS") !== 12) throw new Error("unexpected");
 * if (TABLE.STATS_CYCLE.compat !== "has no effect") throw new Error("unexpected");
 * ```
 * @module
 */

/** What kind of value a setting holds; used by `describeSettings` and dict merging. */
export type SettingKind = "string" | "int" | "float" | "bool" | "list" | "dict" | "enum";

/** One row of a settings table: its kind, default, documentation and parser. */
export interface SettingSpec<T> {
  /** The kind of value. */
  kind: SettingKind;
  /** The value used when no layer sets the setting. */
  default: T;
  /** One-line documentation, shown by `--help` and the README. */
  doc: string;
  /**
   * Set on settings kept only so existing Scrapy Cluster settings files load: what the
   * setting does here (usually "has no effect"). Shown by `--help`.
   */
  compat?: string;
  /**
   * Turns a raw value (a string from the environment or a flag, or a JSON value from the
   * settings file) into a typed value.
   * @throws {SettingsError} when the value is not acceptable; the message names `name`.
   */
  parse(raw: unknown, name: string): T;
}

/** Raised when a setting (or the settings file) is not acceptable. Its message is one line. */
export class SettingsError extends Error {
  /** @param message one line naming the setting, starting with "Cannot start:" */
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/**
 * Marks `spec` as kept for Scrapy Cluster compatibility: the setting is still accepted (so a
 * settings file written for Scrapy Cluster loads) but `effect` says what it does here.
 * `--help` shows the mark, and the unused-settings test exempts only marked rows.
 */
export function compat<T>(spec: SettingSpec<T>, effect = "has no effect"): SettingSpec<T> {
  return { ...spec, compat: effect };
}

/** A string setting. `nonEmpty` rejects "" (after trimming). */
export function str(
  def: string,
  doc: string,
  opts: { nonEmpty?: boolean } = {},
): SettingSpec<string> {
  return {
    kind: "string",
    default: def,
    doc,
    parse(raw, name) {
      if (typeof raw !== "string") _fail(name, "must be a string", raw);
      if (opts.nonEmpty && raw.trim() === "") _fail(name, "must be a non-empty string", raw);
      return raw;
    },
  };
}

/** An optional string setting; defaults to `null`, and "" also means `null`. */
export function optStr(doc: string): SettingSpec<string | null> {
  return {
    kind: "string",
    default: null,
    doc,
    parse(raw, name) {
      if (raw === null || raw === "") return null;
      if (typeof raw !== "string") _fail(name, "must be a string or null", raw);
      return raw;
    },
  };
}

/** An integer setting with optional inclusive bounds. Text must be plain decimal digits. */
export function int(
  def: number,
  doc: string,
  opts: { min?: number; max?: number } = {},
): SettingSpec<number> {
  const want = `must be an integer${_boundsText(opts)}`;
  return {
    kind: "int",
    default: def,
    doc,
    parse(raw, name) {
      let n: number;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && /^\s*[+-]?\d+\s*$/.test(raw)) n = Number(raw);
      else return _fail(name, want, raw);
      if (!Number.isSafeInteger(n) || !_inBounds(n, opts)) _fail(name, want, raw);
      return n;
    },
  };
}

/**
 * A floating-point setting with optional inclusive bounds (`min`, `max`) or an exclusive
 * lower bound (`exclusiveMin`, for durations that must be positive).
 */
export function float(
  def: number,
  doc: string,
  opts: { min?: number; max?: number; exclusiveMin?: number } = {},
): SettingSpec<number> {
  const want = `must be a number${_boundsText(opts)}`;
  return {
    kind: "float",
    default: def,
    doc,
    parse(raw, name) {
      let n: number;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && raw.trim() !== "") n = Number(raw);
      else return _fail(name, want, raw);
      if (!Number.isFinite(n) || !_inBounds(n, opts)) _fail(name, want, raw);
      return n;
    },
  };
}

const _TRUE = new Set(["true", "1", "yes", "on"]);
const _FALSE = new Set(["false", "0", "no", "off"]);

/** A boolean setting: JSON booleans, 0/1, or true/false/1/0/yes/no/on/off in any case. */
export function bool(def: boolean, doc: string): SettingSpec<boolean> {
  return {
    kind: "bool",
    default: def,
    doc,
    parse(raw, name) {
      if (typeof raw === "boolean") return raw;
      const text = typeof raw === "number" ? String(raw) : raw;
      if (typeof text === "string") {
        const t = text.trim().toLowerCase();
        if (_TRUE.has(t)) return true;
        if (_FALSE.has(t)) return false;
      }
      return _fail(name, "must be a boolean (true/false, 1/0, yes/no, on/off)", raw);
    },
  };
}

/** A list of strings: a JSON array of strings, or text "a,b,c" (items trimmed, empties dropped). */
export function list(def: string[], doc: string): SettingSpec<string[]> {
  const want = "must be a list of strings (JSON array or comma separated text)";
  return {
    kind: "list",
    default: def,
    doc,
    parse(raw, name) {
      let value = raw;
      if (typeof raw === "string") {
        // Text that looks like JSON is JSON, so values with commas inside stay possible.
        if (!raw.trim().startsWith("[")) {
          return raw.split(",").map((x) => x.trim()).filter((x) => x !== "");
        }
        value = _parseJson(raw, name, want);
      }
      if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) {
        _fail(name, want, raw);
      }
      return [...value];
    },
  };
}

/**
 * A dictionary setting. Values from the file, environment or flags must be JSON objects;
 * `loadSettings` merges them one level deep onto the value below, and an inner `null` is kept
 * (for plugin maps it means "disabled").
 */
export function dict<V>(def: Record<string, V>, doc: string): SettingSpec<Record<string, V>> {
  const want = "must be a JSON object";
  return {
    kind: "dict",
    default: def,
    doc,
    parse(raw, name) {
      const value = typeof raw === "string" ? _parseJson(raw, name, want) : raw;
      if (!_isPlainObject(value)) _fail(name, want, raw);
      return { ...value } as Record<string, V>;
    },
  };
}

/**
 * One of a fixed set of strings, matched case-insensitively and stored as spelled in
 * `values`. `aliases` maps extra spellings (e.g. `WARN`) onto a value.
 */
export function oneOf<const V extends string>(
  values: readonly V[],
  def: NoInfer<V>,
  doc: string,
  opts: { aliases?: Record<string, NoInfer<V>> } = {},
): SettingSpec<V> {
  const lookup = new Map<string, V>();
  for (const v of values) lookup.set(v.toLowerCase(), v);
  for (const [alias, v] of Object.entries(opts.aliases ?? {})) lookup.set(alias.toLowerCase(), v);
  return {
    kind: "enum",
    default: def,
    doc,
    parse(raw, name) {
      const hit = typeof raw === "string" ? lookup.get(raw.trim().toLowerCase()) : undefined;
      return hit ?? _fail(name, `must be one of ${values.join(", ")}`, raw);
    },
  };
}

function _fail(name: string, want: string, raw: unknown): never {
  throw new SettingsError(`Cannot start: setting ${name} ${want}, got ${_showValue(raw)}`);
}

function _showValue(raw: unknown): string {
  let text: string;
  if (typeof raw === "string") text = `'${raw}'`;
  else if (raw === undefined) text = "nothing";
  else {
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = String(raw);
    }
  }
  // Keep the message on one short line whatever the value holds.
  text = text.replace(/[\r\n]+/g, " ");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function _boundsText(o: { min?: number; max?: number; exclusiveMin?: number }): string {
  if (o.min !== undefined && o.max !== undefined) return ` between ${o.min} and ${o.max}`;
  const parts = [];
  if (o.exclusiveMin !== undefined) parts.push(`> ${o.exclusiveMin}`);
  if (o.min !== undefined) parts.push(`>= ${o.min}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}

function _inBounds(n: number, o: { min?: number; max?: number; exclusiveMin?: number }): boolean {
  return (o.min === undefined || n >= o.min) && (o.max === undefined || n <= o.max) &&
    (o.exclusiveMin === undefined || n > o.exclusiveMin);
}

function _parseJson(text: string, name: string, want: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return _fail(name, want, text);
  }
}

function _isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
