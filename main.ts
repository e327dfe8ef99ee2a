/**
 * sockit's entry point: the table of subcommands, and dispatch. Nothing else lives here.
 *
 * The table holds each command's name and summary; it imports the command's help and
 * flags (its small `meta` module) when the command is named and its code only when it
 * runs, so `sockit --version` and `sockit echo --help` start about as fast as the
 * runtime does. `deno compile` embeds the lazily imported
 * modules because each `import()` names a plain string; `deno run` reads them only when
 * imported with `--unstable-lazy-dynamic-imports` (deno.json's `sockit` task), else all
 * of them at every start.
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { runCli } from "./lib/cli.ts";
import { type CommandEntry, lazyCommand } from "./lib/command.ts";
import { systemIo } from "./lib/io.ts";

// Each command's name and summary are written here as well as in its meta module: the
// general help and "did you mean" need only these, and importing all six metas costs
// every start about 3 ms (issue 10). tests/startup_graph_test.ts checks they agree.

/** Every subcommand, in the order `sockit --help` lists them. */
export const commands: readonly CommandEntry[] = [
  lazyCommand(
    {
      name: "daytime",
      summary: "RFC 867 daytime server (and RFC 868 time with --protocol time)",
    },
    async () => (await import("./commands/daytime_meta.ts")).daytimeMeta,
    async () => (await import("./commands/daytime.ts")).daytime,
  ),
  lazyCommand(
    {
      name: "time-fetch",
      summary: "ask time servers (daytime, time, NTP) and compare with the local clock",
    },
    async () => (await import("./commands/time_fetch/meta.ts")).timeFetchMeta,
    async () => (await import("./commands/time_fetch/mod.ts")).timeFetch,
  ),
  lazyCommand(
    { name: "echo", summary: "RFC 862 echo server (TCP/UDP), and an echo client for checks" },
    async () => (await import("./commands/echo/meta.ts")).echoMeta,
    async () => (await import("./commands/echo/mod.ts")).echo,
  ),
  lazyCommand(
    {
      name: "chat-serve",
      summary: "multi-client chat server: nc/telnet lines, framed JSON, or the ascii8 lab protocol",
    },
    async () => (await import("./commands/chat/serve_meta.ts")).chatServeMeta,
    async () => (await import("./commands/chat/serve.ts")).chatServe,
  ),
  lazyCommand(
    {
      name: "chat-join",
      summary: "chat client for chat-serve: interactive, scripted from stdin, or --send",
    },
    async () => (await import("./commands/chat/join_meta.ts")).chatJoinMeta,
    async () => (await import("./commands/chat/join.ts")).chatJoin,
  ),
  lazyCommand(
    {
      name: "race-demo",
      summary: "a race condition on Web Workers: lost updates seen, explained and fixed",
    },
    async () => (await import("./commands/race_demo/meta.ts")).raceDemoMeta,
    async () => (await import("./commands/race_demo/mod.ts")).raceDemo,
  ),
];

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: config.version }));
}
