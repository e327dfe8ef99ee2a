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

/** A subcommand. */
export interface Command<F extends Flags = Flags> extends HelpSource {
  flags: F;
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

/** The flags every command takes (SPEC, "Conventions"). */
export const commonFlags = defineFlags({
  json: { type: "boolean", help: "print every stdout line as one JSON object (NDJSON)" },
  trace: {
    type: "boolean",
    help: "log every read and write to stderr with a hex + ASCII dump",
  },
  noColor: { type: "boolean", help: "no colors (also when NO_COLOR is set)" },
});
