/**
 * Typed settings tables, loaded with Scrapy Cluster's precedence:
 * table defaults < JSON settings file < environment variables < command-line overrides.
 *
 * Each component declares one table by spreading the shared groups and adding its own
 * settings; {@linkcode loadSettings} validates every value once at start and returns a
 * deeply frozen, precisely typed object.
 *
 * @example
 * ```ts
 * import { int, loadSettings, REDIS_SETTINGS } from "./settings.ts";
 *
 * const TABLE = { ...REDIS_SETTINGS, QUEUE_HITS: int(10, "requests per window") };
 * const s = loadSettings(TABLE, { env: { REDIS_PORT: "6380" } });
 * if (s.REDIS_PORT !== 6380 || s.QUEUE_HITS !== 10) throw new Error("unexpected");
 * ```
 * @module
 */

/** What kind of value a setting holds; used by {@linkcode describeSettings} and dict merging. */
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
   * Turns a raw value (a string from the environment or a flag, or a JSON value from the
   * settings file) into a typed value.
   * @throws {SettingsError} when the value is not acceptable; the message names `name`.
   */
  parse(raw: unknown, name: string): T;
}

/** A table of settings, keyed by their Scrapy Cluster names. */
export type SettingsTable = Record<string, SettingSpec<unknown>>;

/** The loaded, typed settings of a table. */
export type SettingsOf<T extends SettingsTable> = {
  readonly [K in keyof T]: T[K] extends SettingSpec<infer V> ? V : never;
};

/** Raised when a setting (or the settings file) is not acceptable. Its message is one line. */
export class SettingsError extends Error {
  /** @param message one line naming the setting, starting with "Cannot start:" */
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

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
 * {@linkcode loadSettings} merges them one level deep onto the value below, and an inner
 * `null` is kept (for plugin maps it means "disabled").
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
 * documentation, in aligned columns (for `--help` output and the README).
 */
export function describeSettings(table: SettingsTable): string {
  const rows = [["NAME", "DEFAULT", "DESCRIPTION"]];
  for (const [name, spec] of Object.entries(table)) {
    rows.push([name, _showDefault(spec.default), spec.doc]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`.trimEnd()).join("\n") +
    "\n";
}

/** Redis connection settings shared by every component that talks to Redis. */
export const REDIS_SETTINGS = {
  REDIS_HOST: str("localhost", "Redis host name", { nonEmpty: true }),
  REDIS_PORT: int(6379, "Redis port", { min: 1, max: 65535 }),
  REDIS_DB: int(0, "Redis database number", { min: 0 }),
  REDIS_PASSWORD: optStr("Redis password (none by default)"),
  REDIS_URL: optStr(
    "redis://user:pass@host:port/db (rediss:// for TLS); overrides host/port/db/password",
  ),
  REDIS_SOCKET_TIMEOUT: float(10, "Redis socket timeout in seconds", { exclusiveMin: 0 }),
};

/** Kafka settings shared by every component that talks to Kafka. */
export const KAFKA_SETTINGS = {
  KAFKA_HOSTS: str("localhost:9092", "Kafka brokers, comma separated host:port", {
    nonEmpty: true,
  }),
  KAFKA_TOPIC_PREFIX: str("demo", "prefix of every topic the cluster uses", { nonEmpty: true }),
  KAFKA_INCOMING_TOPIC: str("demo.incoming", "topic the Kafka Monitor consumes requests from", {
    nonEmpty: true,
  }),
  KAFKA_GROUP: str("demo-group", "Kafka consumer group id", { nonEmpty: true }),
  KAFKA_FEED_TIMEOUT: float(10, "seconds to wait when feeding a message into Kafka", {
    exclusiveMin: 0,
  }),
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: oneOf(
    ["earliest", "latest"],
    "earliest",
    "where a new consumer group starts reading",
  ),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: int(5000, "milliseconds between consumer offset commits", {
    min: 0,
  }),
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: int(
    10 * 1024 * 1024,
    "maximum bytes of one consumed message",
    { min: 1 },
  ),
  KAFKA_PRODUCER_BATCH_LINGER_MS: int(25, "milliseconds the producer waits to batch messages", {
    min: 0,
  }),
  KAFKA_PRODUCER_BUFFER_BYTES: int(4 * 1024 * 1024, "producer send buffer size in bytes", {
    min: 1,
  }),
  KAFKA_PRODUCER_MAX_REQUEST_SIZE: int(
    1024 * 1024,
    "maximum bytes of one produced message (the broker's message.max.bytes is ~1 MB)",
    { min: 1 },
  ),
};

/** The log levels accepted by `LOG_LEVEL` (WARN is accepted as WARNING). */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** A value of `LOG_LEVEL`. */
export type LogLevelName = typeof LOG_LEVELS[number];

/** Logging settings, with the component's logger name and log file name as defaults. */
export function logSettings(loggerName: string, logFile: string) {
  return {
    LOGGER_NAME: str(loggerName, "the logger name", { nonEmpty: true }),
    LOG_DIR: str("logs", "directory of the log file (when LOG_STDOUT is false)", {
      nonEmpty: true,
    }),
    LOG_FILE: str(logFile, "log file name; rolled files get .1, .2, ... appended", {
      nonEmpty: true,
    }),
    LOG_MAX_BYTES: int(10 * 1024 * 1024, "bytes in the log file before it is rolled", {
      min: 1,
    }),
    LOG_BACKUPS: int(5, "number of rolled log files kept", { min: 0 }),
    LOG_STDOUT: bool(true, "log to standard out instead of LOG_DIR/LOG_FILE"),
    LOG_JSON: bool(false, "write log lines as JSON objects"),
    LOG_LEVEL: oneOf(LOG_LEVELS, "INFO", "lowest level written", {
      aliases: { WARN: "WARNING" },
    }),
  };
}

/** Stats and heartbeat settings shared by the monitors and crawlers. */
export const STATS_SETTINGS = {
  STATS_TOTAL: bool(true, "collect total stats"),
  STATS_PLUGINS: bool(true, "collect per-plugin stats"),
  STATS_CYCLE: int(5, "seconds between stats collection cycles", { min: 1 }),
  STATS_DUMP: int(60, "seconds between stats dumps to the log (0 disables)", { min: 0 }),
  STATS_TIMES: list(
    [
      "SECONDS_15_MINUTE",
      "SECONDS_1_HOUR",
      "SECONDS_6_HOUR",
      "SECONDS_12_HOUR",
      "SECONDS_1_DAY",
      "SECONDS_1_WEEK",
    ],
    "rolling time windows kept for stats",
  ),
  HEARTBEAT_TIMEOUT: int(120, "seconds after which a silent process counts as gone", { min: 1 }),
  SLEEP_TIME: float(0.01, "seconds to sleep between main loop iterations", { min: 0 }),
};

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

function _showDefault(value: unknown): string {
  if (value === null) return "(none)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
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
