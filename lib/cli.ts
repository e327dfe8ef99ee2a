/**
 * Dispatch: `sockit [--help | --version | help CMD | completions SHELL | man | <command>
 * [flags]]`, and the top-level error → exit code mapping, so no command ever has to call
 * `Deno.exit`. A command's code is imported only when it runs (lib/command.ts,
 * `lazyCommand`), and its help and flags only when it is named, so `--version` loads
 * no command's module and `echo --help` only echo's meta.
 *
 * @module
 */

import { type CommandEntry, loadCommand, loadMeta } from "./command.ts";
import { exitCodeOf, formatError, SockitError, UsageError } from "./errors.ts";
import { helpText, parseFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { closest } from "./suggest.ts";

/** What {@linkcode runCli} needs besides the arguments. */
export interface CliOptions {
  commands: readonly CommandEntry[];
  version: string;
}

/** The commands `runCli` answers itself, before the command table. */
const BUILT_INS = ["help", "completions", "man"];

/** The shells `sockit completions` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

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
    "  sockit <command> --help       (or: sockit help <command>)",
    "  sockit --version",
    "  sockit completions bash|zsh|fish",
    "  sockit man                    the manual page (roff): sockit man | man -l -",
    "",
    "Commands:",
    ...options.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Durations: 250ms, 2s, 1.5s, 1m; a bare number means seconds.",
    "Exit codes: 0 ok, 1 check failed, 2 usage, 3 host not found, 4 refused/unreachable,",
    "            5 timeout, 6 protocol error, 7 cannot listen, 8 TLS certificate not verified,",
    "            130 interrupted",
    "",
  ].join("\n");
}

/**
 * Runs the command line `args` and returns the exit code. Errors that reach here are
 * printed as one line on stderr (README, "Exit codes") and mapped by `exitCodeOf`; with
 * `--json` they are an error event on stdout too, usage errors included.
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
  if (name === "--help" || name === "-h") {
    io.stdout.write(mainHelp(options));
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(
      `sockit ${options.version} (deno ${Deno.version.deno}, ${Deno.build.target})\n`,
    );
    return 0;
  }
  let json = wantsJson(rest);
  try {
    if (BUILT_INS.includes(name)) return await builtIn(name, rest, io, options);
    const entry = findCommand(name, options.commands);
    const meta = await loadMeta(entry);
    const parsed = parseFlags(rest, meta.flags, meta.positional);
    json = (parsed.options as { json?: unknown }).json === true;
    if (parsed.help) {
      io.stdout.write(helpText(meta));
      return 0;
    }
    const command = await loadCommand(entry);
    const { positionals, given } = parsed;
    return await command.run({ ...parsed.options, positionals, given }, io);
  } catch (err) {
    io.stderr.write(formatError(err) + "\n");
    // With --json a script reads stdout only: the failure is an event there too.
    if (json) io.stdout.write(JSON.stringify(errorEvent(err)) + "\n");
    return exitCodeOf(err);
  }
}

/** `help [CMD]`, `completions SHELL`, `man`: the commands about sockit itself. */
async function builtIn(
  name: string,
  args: string[],
  io: Io,
  options: CliOptions,
): Promise<number> {
  const [first, ...extra] = args;
  if (name === "help") {
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const entry = first === undefined ? undefined : findCommand(first, options.commands);
    io.stdout.write(entry ? helpText(await loadMeta(entry)) : mainHelp(options));
    return 0;
  }
  const commands = await Promise.all(options.commands.map(loadCommand));
  if (name === "man") {
    if (first !== undefined) throw new UsageError(`unexpected argument "${first}"`);
    const { manPage } = await import("./man_page.ts");
    io.stdout.write(manPage(commands, { version: options.version }));
    return 0;
  }
  const shell = SHELLS.find((s) => s === first);
  if (!shell) {
    throw new UsageError(
      first === undefined
        ? "completions needs a shell: bash, zsh or fish"
        : `completions: "${first}" is not bash, zsh or fish`,
      { hint: "e.g. sockit completions bash > ~/.local/share/bash-completion/completions/sockit" },
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const { completionScript } = await import("./completions.ts");
  io.stdout.write(completionScript(shell, commands));
  return 0;
}

/** The table entry called `name`, or a usage error with the nearest name as a hint. */
function findCommand(name: string, commands: readonly CommandEntry[]): CommandEntry {
  const entry = commands.find((c) => c.name === name);
  if (entry) return entry;
  const flag = name.startsWith("-");
  const near = flag
    ? closest(name, ["--help", "--version"])
    : closest(name, [...commands.map((c) => c.name), ...BUILT_INS]);
  throw new UsageError(flag ? `unknown flag ${name}` : `unknown command "${name}"`, {
    hint: near ? `did you mean ${near}? see sockit --help` : "see sockit --help",
  });
}

/**
 * Whether the arguments ask for `--json`, read before they are parsed: a usage error in
 * parsing them must still reach a script reading stdout as an error event.
 */
function wantsJson(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
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
