/**
 * sockit's entry point: the table of subcommands, and dispatch. Nothing else lives here.
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { runCli } from "./lib/cli.ts";
import { systemIo } from "./lib/io.ts";
import { echo } from "./commands/echo/mod.ts";

/** Every subcommand, in the order `sockit --help` lists them. */
export const commands = [
  echo,
];

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: config.version }));
}
