/**
 * sockit's entry point: the table of subcommands, and dispatch. Nothing else lives here.
 *
 * The table holds each command's name, help and flags (its small `meta` module) and
 * imports its code only when it runs, so `sockit --version` and `sockit echo --help`
 * start about as fast as the runtime does. `deno compile` embeds the lazily imported
 * modules because each `import()` names a plain string.
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { runCli } from "./lib/cli.ts";
import { type CommandEntry, lazyCommand } from "./lib/command.ts";
import { systemIo } from "./lib/io.ts";
import { chatJoinMeta } from "./commands/chat/join_meta.ts";
import { chatServeMeta } from "./commands/chat/serve_meta.ts";
import { daytimeMeta } from "./commands/daytime_meta.ts";
import { echoMeta } from "./commands/echo/meta.ts";
import { raceDemoMeta } from "./commands/race_demo/meta.ts";
import { timeFetchMeta } from "./commands/time_fetch/meta.ts";

/** Every subcommand, in the order `sockit --help` lists them. */
export const commands: readonly CommandEntry[] = [
  lazyCommand(daytimeMeta, async () => (await import("./commands/daytime.ts")).daytime),
  lazyCommand(timeFetchMeta, async () => (await import("./commands/time_fetch/mod.ts")).timeFetch),
  lazyCommand(echoMeta, async () => (await import("./commands/echo/mod.ts")).echo),
  lazyCommand(chatServeMeta, async () => (await import("./commands/chat/serve.ts")).chatServe),
  lazyCommand(chatJoinMeta, async () => (await import("./commands/chat/join.ts")).chatJoin),
  lazyCommand(raceDemoMeta, async () => (await import("./commands/race_demo/mod.ts")).raceDemo),
];

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: config.version }));
}
