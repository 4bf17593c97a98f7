/**
 * How a component starts: typed settings tables loaded with Scrapy Cluster's precedence
 * (`settings.ts`), subcommand parsing and `--help` (`cli.ts`), logging on LogTape in Scrapy
 * Cluster's LogFactory style (`log.ts`), ranked plugin loading (`plugin_loader.ts`) and the
 * shared start-up path that turns all of it into a running program (`program.ts`).
 *
 * @module
 */

export * from "./settings.ts";
export * from "./parsers.ts";
export * from "./cli.ts";
export * from "./log.ts";
export * from "./plugin_loader.ts";
export * from "./program.ts";
