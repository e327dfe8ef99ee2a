/**
 * Dispatch: `sockit [--help | --version | <command> [flags]]`, and the top-level
 * error → exit code mapping, so no command ever has to call `Deno.exit`.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { exitCodeOf, formatError, SockitError, UsageError } from "./errors.ts";
import { helpText, parseFlags } from "./flags.ts";
import type { Io } from "./io.ts";

/** What {@linkcode runCli} needs besides the arguments. */
export interface CliOptions {
  commands: readonly Command[];
  version: string;
}

/**
 * The general help: one line per command.
 *
 * @example
 * ```ts
 * io.stdout.write(mainHelp({ commands, version: "0.1.0" }));
 * ```
 */
export function mainHelp(options: CliOptions): string {
  const width = Math.max(...options.commands.map((c) => c.name.length)) + 2;
  return [
    `sockit ${options.version} — a networking toolkit: servers, clients and checks`,
    "",
    "Usage:",
    "  sockit <command> [flags]",
    "  sockit <command> --help",
    "  sockit --version",
    "",
    "Commands:",
    ...options.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Exit codes: 0 ok, 1 check failed, 2 usage, 3 host not found, 4 refused/unreachable,",
    "            5 timeout, 6 protocol error, 7 cannot listen, 130 interrupted",
    "",
  ].join("\n");
}

/**
 * Runs the command line `args` and returns the exit code. Errors that reach here are
 * printed as one line on stderr (SPEC, "Conventions") and mapped by `exitCodeOf`.
 *
 * @example
 * ```ts
 * Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: "0.1.0" }));
 * ```
 */
export async function runCli(args: string[], io: Io, options: CliOptions): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.stderr.write(mainHelp(options));
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp(options));
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(
      `sockit ${options.version} (deno ${Deno.version.deno}, ${Deno.build.target})\n`,
    );
    return 0;
  }
  let json = false;
  try {
    const command = options.commands.find((c) => c.name === name);
    if (!command) {
      throw new UsageError(
        name.startsWith("-") ? `unknown flag ${name}` : `unknown command "${name}"`,
        { hint: "see sockit --help" },
      );
    }
    const parsed = parseFlags(rest, command.flags, command.positional);
    json = (parsed.options as { json?: unknown }).json === true;
    if (parsed.help) {
      io.stdout.write(helpText(command));
      return 0;
    }
    const { positionals, given } = parsed;
    return await command.run({ ...parsed.options, positionals, given }, io);
  } catch (err) {
    io.stderr.write(formatError(err) + "\n");
    // With --json a script reads stdout only: the failure is an event there too.
    if (json) io.stdout.write(JSON.stringify(errorEvent(err)) + "\n");
    return exitCodeOf(err);
  }
}

/**
 * The `--json` event for an error that ended a command: what failed, the hint, and the
 * exit code, so a script reading only stdout sees why it stopped.
 *
 * @example
 * ```ts
 * errorEvent(new ConnectError("dial tcp 127.0.0.1:7: connection refused"));
 * // { event: "error", message: "dial tcp 127.0.0.1:7: connection refused", exitCode: 4 }
 * ```
 */
export function errorEvent(err: unknown): Record<string, unknown> {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof SockitError ? err.hint : undefined;
  return { event: "error", message, ...(hint ? { hint } : {}), exitCode: exitCodeOf(err) };
}
