/**
 * Subcommand parsing over `node:util` `parseArgs`, with help in the spirit of Scrapy
 * Cluster's Argparse Helper: `--help` shows how to run every subcommand, not just their names.
 *
 * `parseCli` never prints or exits; it returns what to run, or the text and exit code to
 * finish with, so `main.ts` stays thin and tests need no subprocess.
 *
 * @example
 * ```ts
 * import { parseCli } from "./cli.ts";
 *
 * const spec = {
 *   name: "kafka-monitor",
 *   description: "Feeds requests into the cluster",
 *   commands: [{ name: "run", summary: "Run the monitor" }],
 * };
 * const result = parseCli(spec, ["run", "-ll", "DEBUG"]);
 * if (result.kind !== "run" || result.values["log-level"] !== "DEBUG") throw new Error();
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { describeSettings, type SettingsTable } from "./settings.ts";

/** One command-line option of a command. */
export interface OptionSpec {
  /** `string` options take a value; `boolean` options are flags. */
  type: "string" | "boolean";
  /** One-letter short form, without the dash. */
  short?: string;
  /** Whether the option may repeat; its value is then an array. */
  multiple?: boolean;
  /** One line shown in `--help`. */
  description: string;
  /** Value used when the option is not given. */
  default?: string | boolean;
  /** Placeholder for the value in `--help` (defaults to the option name in capitals). */
  valueName?: string;
}

/** One subcommand of a program. */
export interface CommandSpec {
  /** The word that selects the command, e.g. `run`. */
  name: string;
  /** One line shown in `--help`. */
  summary: string;
  /** The command's own options; {@linkcode COMMON_OPTIONS} are added to them. */
  options?: Record<string, OptionSpec>;
  /** Positional arguments, in order. */
  positionals?: { name: string; description: string; required?: boolean }[];
}

/** A program made of subcommands. */
export interface ProgramSpec {
  /** Program name used in usage lines and error messages. */
  name: string;
  /** One paragraph shown at the top of `--help`. */
  description: string;
  /** The subcommands. */
  commands: CommandSpec[];
  /** Legacy single-dash multi-letter flags mapped to long flags, e.g. `{"-nb": "--no-body"}`. */
  aliases?: Record<string, string>;
  /**
   * The program's settings table; the full help lists every setting with its default and
   * marks those kept only for Scrapy Cluster compatibility.
   */
  settings?: SettingsTable;
}

/** What `parseCli` decided: run a command, or exit with some output. */
export type CliResult =
  | {
    kind: "run";
    command: string;
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
  }
  | { kind: "exit"; code: 0 | 2; output: string };

/** Options every command accepts: settings file, logging and generic setting overrides. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  settings: {
    type: "string",
    short: "s",
    description: "JSON settings file overriding the defaults",
    valueName: "PATH",
  },
  "log-level": {
    type: "string",
    description: "log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (sets LOG_LEVEL)",
    valueName: "LEVEL",
  },
  "log-file": {
    type: "boolean",
    description: "log to the rotating file LOG_DIR/LOG_FILE instead of stdout",
  },
  "log-json": { type: "boolean", description: "write log lines as JSON (sets LOG_JSON)" },
  set: {
    type: "string",
    multiple: true,
    description: "override any setting; may repeat",
    valueName: "NAME=VALUE",
  },
};

/** Legacy Scrapy Cluster spellings of the common options. */
const _BUILTIN_ALIASES: Record<string, string> = {
  "-ll": "--log-level",
  "-lf": "--log-file",
  "-lj": "--log-json",
};

/**
 * Parses `args` (without the program name) against `spec`.
 *
 * `--help`/`-h` anywhere before `--`, no arguments, or the `help` command give the full
 * help (`<cmd> --help` and `help <cmd>` give one command's) with code 0; any error gives
 * one line with code 2.
 */
export function parseCli(spec: ProgramSpec, args: string[]): CliResult {
  const aliases = { ..._BUILTIN_ALIASES, ...spec.aliases };
  const dashdash = args.indexOf("--");
  const head = dashdash === -1 ? args : args.slice(0, dashdash);
  // Aliases are whole-argument replacements and never touch what follows `--`.
  const argv = [
    ...head.map((a) => Object.hasOwn(aliases, a) ? aliases[a] : a),
    ...(dashdash === -1 ? [] : args.slice(dashdash)),
  ];

  const first = argv[0];
  const command = spec.commands.find((c) => c.name === first);
  if (first === undefined) return { kind: "exit", code: 0, output: formatHelp(spec) };
  if (first === "help") {
    const target = spec.commands.find((c) => c.name === argv[1]);
    if (argv[1] !== undefined && !target) return _error(spec, _unknownCommand(spec, argv[1]));
    return {
      kind: "exit",
      code: 0,
      output: target ? _commandHelp(spec, target) : formatHelp(spec),
    };
  }
  if (head.some((a) => a === "--help" || a === "-h")) {
    return {
      kind: "exit",
      code: 0,
      output: command ? _commandHelp(spec, command) : formatHelp(spec),
    };
  }
  if (!command) {
    return _error(
      spec,
      first.startsWith("-") ? `expected a command before '${first}'` : _unknownCommand(spec, first),
    );
  }

  const options = _optionsOf(command);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, _toParseArgsOption(o)]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return _error(spec, `${command.name}: ${_describeParseError(err, options)}`);
  }

  const declared = command.positionals ?? [];
  const missing = declared.find((p, i) => p.required && parsed.positionals[i] === undefined);
  if (missing) return _error(spec, `${command.name}: missing required argument <${missing.name}>`);
  if (parsed.positionals.length > declared.length) {
    return _error(
      spec,
      `${command.name}: unexpected argument '${parsed.positionals[declared.length]}'`,
    );
  }

  const values: Record<string, string | boolean | string[] | undefined> = {};
  // A repeatable boolean would give boolean[]; none of ours repeat, so the narrower type holds.
  for (const name of Object.keys(options)) values[name] = parsed.values[name] as string[];
  return { kind: "run", command: command.name, values, positionals: parsed.positionals };
}

/**
 * The full help: program usage and description, the list of commands, then the usage line
 * and options of every command (Scrapy Cluster's Argparse Helper layout), then the settings.
 */
export function formatHelp(spec: ProgramSpec): string {
  const names = spec.commands.map((c) => c.name);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [
    `usage: ${spec.name} [-h] {${names.join(",")}} ...`,
    "",
    spec.description,
    "",
    "commands:",
    ...spec.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  show this help, or one command's with 'help <command>'`,
  ];
  for (const command of spec.commands) {
    lines.push("", `Command '${command.name}'`, ..._commandBody(spec, command));
  }
  if (spec.settings && Object.keys(spec.settings).length > 0) {
    lines.push(
      "",
      "settings (defaults < --settings file < environment variables < --set NAME=VALUE):",
      ...describeSettings(spec.settings).trimEnd().split("\n").map((line) => `  ${line}`),
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Turns the common options of a parsed command line into settings overrides for
 * `loadSettings`: `--log-level` → LOG_LEVEL, `--log-file` → LOG_STDOUT=false,
 * `--log-json` → LOG_JSON=true, `--set NAME=VALUE` → NAME="VALUE". Only options actually
 * given appear; the dedicated flags win over `--set` of the same setting.
 *
 * @throws {Error} when a `--set` value has no `=` or no name.
 */
export function settingsOverridesFromCli(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sets = values.set === undefined ? [] : [values.set].flat();
  for (const item of sets) {
    const text = String(item);
    const eq = text.indexOf("=");
    const name = eq === -1 ? "" : text.slice(0, eq).trim();
    if (name === "") {
      throw new Error(`Cannot start: --set expects NAME=VALUE, got '${text}'`);
    }
    out[name] = text.slice(eq + 1);
  }
  if (typeof values["log-level"] === "string") out.LOG_LEVEL = values["log-level"];
  if (values["log-file"] === true) out.LOG_STDOUT = false;
  if (values["log-json"] === true) out.LOG_JSON = true;
  return out;
}

function _optionsOf(command: CommandSpec): Record<string, OptionSpec> {
  return { ...command.options, ...COMMON_OPTIONS };
}

function _toParseArgsOption(o: OptionSpec) {
  const out: {
    type: "string" | "boolean";
    short?: string;
    multiple?: boolean;
    default?: string | boolean | string[] | boolean[];
  } = { type: o.type };
  if (o.short) out.short = o.short;
  if (o.multiple) out.multiple = true;
  if (o.default !== undefined) {
    out.default = o.multiple ? [o.default] as string[] | boolean[] : o.default;
  }
  return out;
}

function _commandHelp(spec: ProgramSpec, command: CommandSpec): string {
  return [..._commandBody(spec, command)].join("\n") + "\n";
}

function _commandBody(spec: ProgramSpec, command: CommandSpec): string[] {
  const options = _optionsOf(command);
  const aliasOf = _reverseAliases(spec);
  const flag = (name: string, o: OptionSpec) =>
    aliasOf.get(`--${name}`) ?? (o.short ? `-${o.short}` : `--${name}`);
  const value = (name: string, o: OptionSpec) =>
    o.type === "string" ? ` ${o.valueName ?? name.toUpperCase().replaceAll("-", "_")}` : "";

  const usage = [`usage: ${spec.name} ${command.name}`, "[-h]"];
  for (const [name, o] of Object.entries(options)) {
    usage.push(`[${flag(name, o)}${value(name, o)}]`);
  }
  for (const p of command.positionals ?? []) usage.push(p.required ? `<${p.name}>` : `[${p.name}]`);

  const lines = [..._wrap(usage), "", `  ${command.summary}`];
  const rows: [string, string][] = [];
  for (const p of command.positionals ?? []) rows.push([p.name, p.description]);
  const optionRows: [string, string][] = [["-h, --help", "show this help and exit"]];
  for (const [name, o] of Object.entries(options)) {
    const shorts = [o.short ? `-${o.short}` : null, aliasOf.get(`--${name}`) ?? null];
    const forms = [...shorts.filter((s) => s !== null), `--${name}`].join(", ");
    const def = o.default === undefined ? "" : ` (default: ${o.default})`;
    optionRows.push([forms + value(name, o), o.description + def]);
  }
  const width = Math.max(...[...rows, ...optionRows].map((r) => r[0].length));
  if (rows.length) {
    lines.push("", "arguments:", ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`));
  }
  lines.push("", "options:", ...optionRows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`));
  return lines;
}

/** Joins usage words into lines of at most 100 columns, continuation lines aligned. */
function _wrap(words: string[]): string[] {
  const indent = " ".repeat(words[0].length + 1);
  const lines = [words[0]];
  for (const word of words.slice(1)) {
    const last = lines[lines.length - 1];
    if (last.length + 1 + word.length > 100 && last.trim() !== "") lines.push(indent + word);
    else lines[lines.length - 1] = `${last} ${word}`;
  }
  return lines;
}

function _reverseAliases(spec: ProgramSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const [alias, long] of Object.entries({ ..._BUILTIN_ALIASES, ...spec.aliases })) {
    out.set(long, alias);
  }
  return out;
}

function _unknownCommand(spec: ProgramSpec, name: string): string {
  return `unknown command '${name}' (expected one of: ${
    spec.commands.map((c) => c.name).join(", ")
  })`;
}

function _describeParseError(err: unknown, options: Record<string, OptionSpec>): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  // Node quotes the option as '-s, --settings <value>' or '--settings'; keep the long name.
  const quoted = /'([^']+)'/.exec(message)?.[1];
  let option = quoted && (/--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(/[ ,]/)[0]);
  const long = Object.entries(options).find(([, o]) => option === `-${o.short}`)?.[0];
  if (long) option = `--${long}`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option '${option}'`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (message.includes("does not take an argument")) {
      return `option '${option}' does not take a value`;
    }
    if (message.includes("ambiguous")) {
      return `option '${option}' needs a value (write ${option}=-value for one starting with '-')`;
    }
    return `option '${option}' needs a value`;
  }
  return message.split("\n")[0].replace(/\.$/, "");
}

function _error(spec: ProgramSpec, message: string): CliResult {
  return { kind: "exit", code: 2, output: `${spec.name}: ${message}. Try '${spec.name} --help'.` };
}
