/**
 * Logging for every component, configured on LogTape with Scrapy Cluster's LogFactory
 * behaviour: text or JSON lines, stdout or a rotating file, one level per process, and
 * extra fields kept as structured data.
 *
 * Text lines look like Scrapy Cluster's:
 * `2026-11-24 10:00:00,123 [kafka-monitor] INFO: message {"key":"value"}`.
 * JSON lines hold `timestamp`, `level`, `logger`, `host` (the machine's name, so a log shipper
 * such as Logstash can tell nodes apart), `message` and the properties flattened.
 * Code logs under its component's category (`getLog("crawler")`); the name written is the
 * component's `LOGGER_NAME` (`sc-crawler` by default, as in Scrapy Cluster).
 *
 * @example
 * ```ts
 * import { getLog, setupLogging, shutdownLogging } from "./log.ts";
 *
 * await setupLogging({
 *   component: "kafka-monitor",
 *   level: "INFO",
 *   json: false,
 *   stdout: true,
 *   dir: "logs",
 *   file: "kafka_monitor.log",
 *   maxBytes: 10 * 1024 * 1024,
 *   backups: 5,
 * });
 * getLog("kafka-monitor").info("Kafka Monitor started", { topic: "demo.incoming" });
 * await shutdownLogging();
 * ```
 * @module
 */

import {
  configure,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
} from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bool, int, oneOf, str } from "./parsers.ts";

/** The log levels accepted by `LOG_LEVEL` (WARN is accepted as WARNING). */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** A value of `LOG_LEVEL`. */
export type LogLevelName = typeof LOG_LEVELS[number];

/**
 * The logging settings of a component, read by {@linkcode logOptionsFromSettings}; the
 * defaults of `LOGGER_NAME` and `LOG_FILE` are the component's (Scrapy Cluster's
 * `kafka-monitor` / `kafka_monitor.log`, `sc-crawler` / `sc_crawler.log`, ...).
 */
export function logSettings(loggerName: string, logFile: string) {
  return {
    LOGGER_NAME: str(loggerName, "logger name written in every log line", { nonEmpty: true }),
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

/** How one process logs. */
export interface LogOptions {
  /** Component name, e.g. `kafka-monitor`: the category its code logs under ({@linkcode getLog}). */
  component: string;
  /**
   * The logger name written for the component's category (`LOGGER_NAME`); its sub-loggers
   * become `<loggerName>.<sub>`.
   * @default {component}
   */
  loggerName?: string;
  /** Lowest level written. */
  level: LogLevelName;
  /** Write JSON objects instead of text lines. */
  json: boolean;
  /** Write to stdout; otherwise to the rotating file `dir/file`. */
  stdout: boolean;
  /** Directory of the log file; created when missing. */
  dir: string;
  /** Log file name; rolled files get `.1`, `.2`, ... appended. */
  file: string;
  /** Bytes in the log file before it is rolled. */
  maxBytes: number;
  /** Rolled files kept besides the live one. */
  backups: number;
}

/** The root of every category this project logs under. */
export const ROOT_CATEGORY = "crawl-cluster";

const _LEVELS: Record<LogOptions["level"], LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warning",
  ERROR: "error",
  CRITICAL: "fatal",
};

const _LEVEL_NAMES: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/** Marks the synthetic records that nudge the file sink into flushing its buffer. */
const _FLUSH_CATEGORY: readonly string[] = Object.freeze([ROOT_CATEGORY, "_flush"]);
const _FLUSH_EVERY_MS = 1000;
let _flushTimer: ReturnType<typeof setInterval> | undefined;

/**
 * Configures LogTape for this process. Calling it again replaces the previous configuration
 * (and closes the previous log file).
 */
export async function setupLogging(opts: LogOptions): Promise<void> {
  _stopFlushTimer();
  const name = _namer(opts.component, opts.loggerName ?? opts.component);
  const format = opts.json ? _jsonFormatter(name, _hostName()) : _textFormatter(name);
  let sink: (record: LogRecord) => void;
  if (opts.stdout) {
    sink = _stdoutSink(format);
  } else {
    _makeLogDir(opts.dir, opts.file);
    // The file sink buffers, and fsyncs at every flush (~0.5 ms), so write-through is too slow;
    // but a buffer larger than maxBytes would defeat rotation, hence a fraction of it.
    const bufferSize = Math.min(8192, Math.floor(opts.maxBytes / 16));
    const fileSink = getRotatingFileSink(join(opts.dir, opts.file), {
      formatter: (record) => record.category === _FLUSH_CATEGORY ? "" : format(record),
      maxSize: opts.maxBytes,
      maxFiles: opts.backups,
      bufferSize,
      flushInterval: _FLUSH_EVERY_MS,
    });
    sink = fileSink;
    if (bufferSize > 0) _startFlushTimer(fileSink);
  }
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["main"], lowestLevel: _LEVELS[opts.level] },
      // LogTape's own diagnostics: keep real problems (sink failures), drop the chatter.
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
}

/** Builds {@linkcode LogOptions} from a component's loaded `LOGGER_NAME` and `LOG_*` settings. */
export function logOptionsFromSettings(
  component: string,
  s: {
    LOGGER_NAME: string;
    LOG_LEVEL: string;
    LOG_JSON: boolean;
    LOG_STDOUT: boolean;
    LOG_DIR: string;
    LOG_FILE: string;
    LOG_MAX_BYTES: number;
    LOG_BACKUPS: number;
  },
): LogOptions {
  const upper = s.LOG_LEVEL.toUpperCase();
  const level = upper === "WARN" ? "WARNING" : upper;
  if (!Object.hasOwn(_LEVELS, level)) {
    throw new Error(
      `Cannot set up logging: LOG_LEVEL must be one of ${
        Object.keys(_LEVELS).join(", ")
      }, got '${s.LOG_LEVEL}'`,
    );
  }
  return {
    component,
    loggerName: s.LOGGER_NAME,
    level: level as LogOptions["level"],
    json: s.LOG_JSON,
    stdout: s.LOG_STDOUT,
    dir: s.LOG_DIR,
    file: s.LOG_FILE,
    maxBytes: s.LOG_MAX_BYTES,
    backups: s.LOG_BACKUPS,
  };
}

/** The logger of a component (or of a part of it): category `["crawl-cluster", component, ...sub]`. */
export function getLog(component: string, ...sub: string[]): Logger {
  return getLogger([ROOT_CATEGORY, component, ...sub]);
}

/** Flushes and closes the sinks and forgets the configuration; call it before exiting. */
export async function shutdownLogging(): Promise<void> {
  _stopFlushTimer();
  await reset();
}

function _textFormatter(name: (record: LogRecord) => string): (record: LogRecord) => string {
  return (record) => {
    const props = Object.keys(record.properties).length
      ? ` ${_stringify(record.properties, false)}`
      : "";
    return `${_localTime(record.timestamp)} [${name(record)}] ${_LEVEL_NAMES[record.level]}: ${
      _renderMessage(record.message)
    }${props}\n`;
  };
}

/**
 * Creates the log directory, or says in one line why it cannot: a missing `--allow-write`
 * (the `run:*` tasks grant none; the `run:*:log-file` ones grant `logs`) or the file system's
 * refusal.
 */
function _makeLogDir(dir: string, file: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    // mkdir of an existing directory needs no write permission: check it is granted.
    if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") {
      throw new Deno.errors.NotCapable(
        `Requires write access to "${dir}", run again with the --allow-write flag`,
      );
    }
  } catch (err) {
    const path = join(dir, file);
    if (err instanceof Deno.errors.NotCapable) {
      throw new Error(
        `Cannot log to ${path}: no write permission for "${dir}" (add --allow-write=${dir} to ` +
          `the deno run command, use a run:<component>:log-file task, or log to stdout)`,
      );
    }
    throw new Error(`Cannot log to ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** This machine's name for JSON log lines ("unknown-host" without `--allow-sys=hostname`). */
function _hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}

function _jsonFormatter(
  name: (record: LogRecord) => string,
  host: string,
): (record: LogRecord) => string {
  return (record) => {
    const line: Record<string, unknown> = {
      timestamp: new Date(record.timestamp).toISOString(),
      level: _LEVEL_NAMES[record.level],
      logger: name(record),
      host,
      message: _renderMessage(record.message),
    };
    // Properties sit beside the core fields (Scrapy Cluster's `extra`); a clash keeps both.
    for (const [key, value] of Object.entries(record.properties)) {
      line[Object.hasOwn(line, key) ? `extra.${key}` : key] = value;
    }
    return _stringify(line, true) + "\n";
  };
}

/**
 * The logger name of a record: `loggerName` for `["crawl-cluster", component]`,
 * `loggerName.plugins` below it; other categories by their own names (`cluster`).
 */
function _namer(component: string, loggerName: string): (record: LogRecord) => string {
  return (record) => {
    const category = record.category;
    if (category[0] !== ROOT_CATEGORY) return category.join(".") || loggerName;
    if (category[1] === component || category.length === 1) {
      return [loggerName, ...category.slice(2)].join(".");
    }
    return category.slice(1).join(".");
  };
}

function _renderMessage(parts: readonly unknown[]): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i % 2 === 0 || typeof part === "string") out += String(part);
    else if (part instanceof Error) out += `${part.name}: ${part.message}`;
    else out += _stringify(part, false);
  }
  return out;
}

/** Python's asctime: local time, `YYYY-MM-DD HH:MM:SS,mmm`. */
function _localTime(ts: number): string {
  const d = new Date(ts);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** Compact JSON that never throws: errors keep name/message, cycles and bigints survive. */
function _stringify(value: unknown, withStack: boolean): string {
  return JSON.stringify(_plain(value, withStack, new Set())) ?? String(value);
}

function _plain(value: unknown, withStack: boolean, ancestors: Set<object>): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function") return `[Function ${value.name || "anonymous"}]`;
  if (typeof value === "symbol") return value.toString();
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) return "[Circular]";
  ancestors.add(value);
  try {
    const recurse = (v: unknown) => _plain(v, withStack, ancestors);
    if (value instanceof Error) {
      // Error fields are not enumerable, so JSON.stringify alone would print {}.
      const out: Record<string, unknown> = { name: value.name, message: value.message };
      for (const [k, v] of Object.entries(value)) out[k] = recurse(v);
      if (value.cause !== undefined) out.cause = recurse(value.cause);
      if (withStack && value.stack) out.stack = value.stack;
      return out;
    }
    if (Array.isArray(value)) return value.map(recurse);
    if (value instanceof Map) return recurse(Object.fromEntries(value));
    if (value instanceof Set) return recurse([...value]);
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      return recurse((value as { toJSON(): unknown }).toJSON());
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = recurse(v);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

function _stdoutSink(format: (record: LogRecord) => string): (record: LogRecord) => void {
  const encoder = new TextEncoder();
  // Synchronous writes keep log lines ordered with other output and lose nothing on exit.
  return (record) => {
    let bytes = encoder.encode(format(record));
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
  };
}

function _startFlushTimer(sink: (record: LogRecord) => void): void {
  // The file sink flushes only when a record arrives; an idle process would otherwise hold
  // its last lines back. An empty record after the flush interval makes it write them out.
  const timer = setInterval(() => {
    sink({
      category: _FLUSH_CATEGORY,
      level: "debug",
      message: [],
      rawMessage: "",
      timestamp: Date.now(),
      properties: {},
    });
  }, _FLUSH_EVERY_MS);
  Deno.unrefTimer(timer);
  _flushTimer = timer;
}

function _stopFlushTimer(): void {
  if (_flushTimer !== undefined) clearInterval(_flushTimer);
  _flushTimer = undefined;
}
