/**
 * What every component's `main.ts` does before its real work: parse the command line, load and
 * validate settings, configure logging, and turn SIGINT/SIGTERM into an AbortSignal — and, for a
 * long-running component, run it until stopped (`runUntilStopped`). Errors the user can fix end
 * the program with one clear line (exit code 2 for usage, 1 otherwise).
 *
 * @module
 */

import { type CliResult, parseCli, type ProgramSpec, settingsOverridesFromCli } from "./cli.ts";
import { logOptionsFromSettings, setupLogging, shutdownLogging } from "./log.ts";
import { SettingsError } from "./parsers.ts";
import { loadSettings, type SettingsOf, type SettingsTable } from "./settings.ts";

/** A started program: its command, flags, positionals and frozen settings. */
export interface Program<T extends SettingsTable> {
  command: string;
  values: Extract<CliResult, { kind: "run" }>["values"];
  positionals: string[];
  settings: SettingsOf<T>;
}

/**
 * Parses `args`, loads settings from defaults, `--settings`, the environment and flags.
 * `flagSettings` maps a command's own flags to the settings they set (`{ spider: "SPIDER" }`).
 */
export async function startProgram<T extends SettingsTable>(
  spec: ProgramSpec,
  table: T,
  args: string[],
  env: Record<string, string | undefined>,
  flagSettings: Record<string, keyof T & string> = {},
): Promise<Program<T>> {
  const cli = parseCli({ ...spec, settings: spec.settings ?? table }, args);
  if (cli.kind === "exit") {
    (cli.code === 0 ? console.log : console.error)(cli.output);
    Deno.exit(cli.code);
  }
  let settings: SettingsOf<T>;
  try {
    settings = loadSettings(table, {
      file: typeof cli.values.settings === "string" ? cli.values.settings : null,
      env,
      overrides: {
        ...settingsOverridesFromCli(cli.values),
        ...flagOverrides(cli.values, flagSettings),
      },
    });
  } catch (err) {
    exitWithError(err);
  }
  const logSettings = settings as unknown as Parameters<typeof logOptionsFromSettings>[1];
  try {
    await setupLogging(logOptionsFromSettings(spec.name, logSettings));
  } catch (err) {
    exitWithError(err);
  }
  // A permission found missing later (a TLS file outside the project, say) ends the program
  // with the same one line, wherever it was awaited.
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (!_isMissingPermission(event.reason)) return;
    event.preventDefault();
    exitWithError(event.reason);
  });
  return { command: cli.command, values: cli.values, positionals: cli.positionals, settings };
}

function flagOverrides(
  values: Record<string, unknown>,
  flagSettings: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, setting] of Object.entries(flagSettings)) {
    if (values[flag] !== undefined) out[setting] = values[flag];
  }
  return out;
}

/**
 * Prints a fatal error as {@linkcode fatalErrorText} words it and exits 1: one line for what
 * the user can fix, a stack trace for programmer errors.
 */
export function exitWithError(err: unknown): never {
  console.error(fatalErrorText(err));
  Deno.exit(1);
}

/** The engine's own error classes: thrown by a bug in the code, not by a bad setting or service. */
const _PROGRAMMER_ERRORS = [
  TypeError,
  ReferenceError,
  RangeError,
  SyntaxError,
  EvalError,
  URIError,
];

/**
 * The text {@linkcode exitWithError} prints: the first line of the message for errors the user
 * can fix (a {@linkcode SettingsError}, "Cannot connect to Redis ...", anything thrown that is
 * not one of the engine's error classes), and the whole stack for programmer errors
 * (`TypeError`, `ReferenceError`, ...), so a bug is not mistaken for a configuration problem.
 */
export function fatalErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err).split("\n")[0];
  if (_isMissingPermission(err)) return missingPermissionText(err);
  const programmer = !(err instanceof SettingsError) &&
    _PROGRAMMER_ERRORS.some((type) => err instanceof type);
  if (programmer) return err.stack ?? `${err.name}: ${err.message}`;
  return _explainRefusal(err.message.split("\n")[0]);
}

/** Deno's wording of a refused permission, wherever it ends up in a message. */
const _DENO_REFUSAL =
  /Requires (\w+) access to "?(.*?)"?, run again with the (--allow-[\w-]+) flag/;

/**
 * One line for a permission Deno refused (`NotCapable`, or a message that carries its words):
 * what was refused and the exact flag that grants it, e.g. `Missing permission: write access to
 * "logs" is not granted (add --allow-write=logs to the deno run command)`. The tasks grant as
 * little as the work needs (README "Components").
 */
export function missingPermissionText(err: Error): string {
  const line = _explainRefusal(err.message.split("\n")[0]);
  return _isMissingPermission(err) ? `Missing permission: ${line}` : line;
}

function _explainRefusal(line: string): string {
  return line.replace(
    _DENO_REFUSAL,
    (_, kind, what, flag) =>
      `${kind} access to "${what}" is not granted (add ${flag}=${what} to the deno run command)`,
  );
}

function _isMissingPermission(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable;
}

/** An AbortSignal that aborts on the first SIGINT or SIGTERM; a second one exits at once. */
export function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = () => {
    // `deno task` and `timeout` may deliver one Ctrl-C twice: only a second press a moment
    // later means "now".
    if (controller.signal.aborted) {
      if (Date.now() - firstAt > 1_000) Deno.exit(130);
      return;
    }
    firstAt = Date.now();
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return controller.signal;
}

/**
 * The life of a component's `run` once started: `body` runs with a shutdown signal (SIGINT,
 * SIGTERM); a failure is logged and ends the program with its one clear line (exit code 1), the
 * end of `body` flushes the logs and exits 0.
 */
export async function runUntilStopped(
  log: { error(message: string, props: Record<string, unknown>): void },
  body: (signal: AbortSignal) => Promise<void>,
): Promise<never> {
  const signal = shutdownSignal();
  try {
    await body(signal);
  } catch (err) {
    log.error("{message}", { message: (err as Error).message });
    exitWithError(err);
  }
  return await finish(0);
}

/** Flushes logs and exits with `code`. */
export async function finish(code: number): Promise<never> {
  await shutdownLogging();
  Deno.exit(code);
}
