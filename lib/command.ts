/**
 * The shape of a subcommand (gh/BusyBox-style): its flag declaration, its help, and one
 * `run(options, io)`. `main.ts` keeps the table of commands; {@linkcode runCli} in
 * `cli.ts` dispatches to them.
 *
 * @module
 */

import { defineFlags, type Flags, type HelpSource, type Options } from "./flags.ts";
import type { Io } from "./io.ts";

/**
 * The options a command's `run` receives: its typed flags plus positional arguments, and
 * which flags were given on the command line (`ParsedArgs.given`).
 */
export type RunOptions<F extends Flags> = Options<F> & {
  positionals: string[];
  given: string[];
};

/**
 * What a command is without its code: name, help and flags. It is all that `--help`,
 * completions and the man page need, so it lives in a small module of its own and the
 * command's code is only loaded when it runs.
 */
export interface CommandMeta<F extends Flags = Flags> extends HelpSource {
  flags: F;
}

/** A subcommand. */
export interface Command<F extends Flags = Flags> extends CommandMeta<F> {
  /** Does the work and returns the exit code; expected failures are thrown as SockitErrors. */
  run(options: RunOptions<F>, io: Io): Promise<number>;
}

/**
 * Declares a command, keeping its flags' literal types for `run`.
 *
 * @example
 * ```ts
 * export const hello = defineCommand({
 *   name: "hello", summary: "say hello", usage: ["[flags]"], examples: ["sockit hello"],
 *   flags: { ...commonFlags },
 *   run(options, io) { io.stdout.write("hello\n"); return Promise.resolve(0); },
 * });
 * ```
 */
export function defineCommand<const F extends Flags>(command: Command<F>): Command<F> {
  return command;
}

/**
 * Declares a command's name, help and flags, keeping the flags' literal types for the
 * `run` that {@linkcode defineCommand} later adds to it.
 *
 * @example
 * ```ts
 * export const helloMeta = defineMeta({
 *   name: "hello", summary: "say hello", usage: ["[flags]"], examples: ["sockit hello"],
 *   flags: { ...commonFlags },
 * });
 * ```
 */
export function defineMeta<const F extends Flags>(meta: CommandMeta<F>): CommandMeta<F> {
  return meta;
}

/**
 * A command in the table that is only named and summed up there: its help and flags (its
 * meta module) are imported when it is named, its code when it runs. So `sockit
 * --version` loads no command's module, and `sockit echo --help` only echo's meta.
 */
export interface LazyCommand {
  name: string;
  summary: string;
  meta(): Promise<CommandMeta>;
  load(): Promise<Command>;
}

/** An entry of the command table: a command, or one loaded on first use. */
export type CommandEntry = Command | LazyCommand;

/**
 * A table entry that knows a command's name and summary now, and imports its help and
 * flags when it is named and its code when it runs. Keep each `import()` a plain
 * string, so `deno compile` sees and embeds the module. `name` and `summary` must be
 * the meta's own (tests/startup_graph_test.ts checks main.ts's table).
 *
 * @example
 * ```ts
 * lazyCommand(
 *   { name: "echo", summary: "RFC 862 echo server (TCP/UDP), and an echo client for checks" },
 *   async () => (await import("./commands/echo/meta.ts")).echoMeta,
 *   async () => (await import("./commands/echo/mod.ts")).echo,
 * );
 * ```
 */
export function lazyCommand<F extends Flags>(
  listed: { name: string; summary: string },
  meta: () => Promise<CommandMeta<F>>,
  load: () => Promise<Command<F>>,
): LazyCommand {
  return {
    name: listed.name,
    summary: listed.summary,
    meta: meta as () => Promise<CommandMeta>,
    load: load as () => Promise<Command>,
  };
}

/**
 * A command's help and flags, importing its meta module if the table holds it lazily.
 *
 * @example
 * ```ts
 * const meta = await loadMeta(entry);
 * io.stdout.write(helpText(meta));
 * ```
 */
export function loadMeta(entry: CommandEntry): Promise<CommandMeta> {
  return "meta" in entry ? entry.meta() : Promise.resolve(entry);
}

/**
 * The command itself, importing its code if the table holds it lazily.
 *
 * @example
 * ```ts
 * const command = await loadCommand(entry);
 * await command.run(options, io);
 * ```
 */
export function loadCommand(entry: CommandEntry): Promise<Command> {
  return "load" in entry ? entry.load() : Promise.resolve(entry);
}

/** The flags every command takes (README, "Conventions"). */
export const commonFlags = defineFlags({
  json: { type: "boolean", help: "print every stdout line as one JSON object (NDJSON)" },
  trace: {
    type: "boolean",
    help: "log every read and write to stderr with a hex + ASCII dump",
  },
  noColor: { type: "boolean", help: "no colors (also when NO_COLOR is set)" },
});
