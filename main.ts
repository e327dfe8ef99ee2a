/**
 * sockit's entry point: the table of subcommands, and dispatch. Nothing else lives here.
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { runCli } from "./lib/cli.ts";
import { systemIo } from "./lib/io.ts";
import { daytime } from "./commands/daytime.ts";
import { timeFetch } from "./commands/time_fetch/mod.ts";
import { echo } from "./commands/echo/mod.ts";
import { chatServe } from "./commands/chat/serve.ts";
import { chatJoin } from "./commands/chat/join.ts";
import { raceDemo } from "./commands/race_demo/mod.ts";

/** Every subcommand, in the order `sockit --help` lists them. */
export const commands = [
  daytime,
  timeFetch,
  echo,
  chatServe,
  chatJoin,
  raceDemo,
];

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: config.version }));
}
