/**
 * Dispatch and the top-level error → exit code mapping, in-process with `fakeIo`:
 * help, version, unknown commands and flags, bad values, one line and no stack trace
 * for expected errors.
 */

import assert from "node:assert/strict";
import { echo } from "../commands/echo/mod.ts";
import { type CliOptions, mainHelp, runCli } from "../lib/cli.ts";
import { defineCommand, lazyCommand } from "../lib/command.ts";
import { ListenError, ResolveError } from "../lib/errors.ts";
import { flagName } from "../lib/flags.ts";
import { fakeIo } from "./helpers.ts";

const probe = defineCommand({
  name: "probe",
  summary: "a test command",
  usage: ["[flags]"],
  examples: ["sockit probe --fail listen"],
  flags: {
    fail: {
      type: "enum",
      choices: ["none", "listen", "resolve", "bug", "code"],
      default: "none",
      help: "how to end",
    },
    json: { type: "boolean", help: "NDJSON" },
  },
  run(options, io) {
    switch (options.fail) {
      case "listen":
        throw new ListenError("listen tcp 127.0.0.1:7: address already in use", {
          hint: "choose another with --port",
          cause: new Deno.errors.AddrInUse("os error 98"),
        });
      case "resolve":
        throw new ResolveError("resolve nowhere.invalid: host not found", { hint: "check it" });
      case "bug":
        throw new TypeError("cannot read properties of undefined");
      case "code":
        return Promise.resolve(6);
    }
    io.stdout.write("probed\n");
    return Promise.resolve(0);
  },
});

const options: CliOptions = { commands: [echo, probe], version: "9.8.7" };

async function run(...args: string[]) {
  const io = fakeIo();
  const code = await runCli(args, io, options);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Checks `stderr` is exactly one line with no stack trace, and returns it. */
function oneLine(stderr: string): string {
  assert(stderr.endsWith("\n"), JSON.stringify(stderr));
  const lines = stderr.slice(0, -1).split("\n");
  assert.equal(lines.length, 1, `not one line:\n${stderr}`);
  assert(!/\n\s+at /.test(stderr) && !/\bat .*:\d+:\d+/.test(stderr), `stack in ${stderr}`);
  assert(lines[0].startsWith("sockit: "), lines[0]);
  return lines[0];
}

Deno.test("runCli: --help, -h and help print the command list on stdout, exit 0", async () => {
  for (const arg of ["--help", "-h", "help"]) {
    const { code, stdout, stderr } = await run(arg);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.equal(stdout, mainHelp(options));
    assert.match(stdout, /^sockit 9\.8\.7 — /);
    assert.match(stdout, /\n {2}echo {3}RFC 862 echo server/);
    assert.match(stdout, /\n {2}probe {2}a test command/);
    assert.match(stdout, /Exit codes: 0 ok/);
  }
});

Deno.test("runCli: no arguments prints the help on stderr, exit 2", async () => {
  const { code, stdout, stderr } = await run();
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, mainHelp(options));
});

Deno.test("runCli: --version names sockit's and Deno's versions, exit 0", async () => {
  for (const arg of ["--version", "-V"]) {
    const { code, stdout, stderr } = await run(arg);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.equal(stdout, `sockit 9.8.7 (deno ${Deno.version.deno}, ${Deno.build.target})\n`);
  }
});

Deno.test("runCli: an unknown command is one line, exit 2", async () => {
  const { code, stdout, stderr } = await run("bogus", "--port", "1");
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(oneLine(stderr), 'sockit: unknown command "bogus" (see sockit --help)');
});

Deno.test("runCli: an unknown flag before the command is one line naming it, exit 2", async () => {
  const { code, stderr } = await run("--bogus");
  assert.equal(code, 2);
  assert.equal(oneLine(stderr), "sockit: unknown flag --bogus (see sockit --help)");
});

Deno.test("runCli: an unknown command flag is one line naming it, exit 2", async () => {
  for (const flag of ["--bogus", "-Z", "--bogus=3"]) {
    const { code, stdout, stderr } = await run("echo", "--to", "127.0.0.1:1", flag);
    assert.equal(code, 2, flag);
    assert.equal(stdout, "");
    assert.equal(oneLine(stderr), `sockit: unknown flag ${flag.replace(/=.*/, "")} (see --help)`);
  }
});

Deno.test("runCli: bad values are one line naming the flag, exit 2", async () => {
  const cases: [string[], string][] = [
    [["--port", "70000"], "--port: 70000 is above the maximum of 65535"],
    [["--port", "http"], '--port: "http" is not a whole number'],
    [["--count", "0", "--to", "h"], "--count: 0 is below the minimum of 1"],
    [["--count"], "--count needs a value"],
    [["-c"], "--count needs a value"],
    [["--json=1"], "--json takes no value"],
    [
      ["--interval", "soon", "--to", "h"],
      '--interval: "soon" is not a duration (like 250ms, 2s, 1.5s, 1m)',
    ],
    [["--transport", "sctp"], '--transport: "sctp" is not one of tcp, udp, both'],
    [["--size", "big", "--to", "h"], '--size: "big" is not a size (like 512, 64KiB, 1MiB)'],
    [["--to", "[::1"], 'address "[::1": missing "]"'],
    [["--to", "h:99999"], 'address "h:99999": "99999" is not a port number (0-65535)'],
    [
      ["--to", "h:7", "--size", "8", "--message", "hi"],
      "--size and --message cannot be used together",
    ],
    [["--to", "h:7", "--message", ""], "--message: must not be empty"],
    [
      ["--to", "h:7", "--udp", "--size", "70000"],
      "--size: 70000 bytes do not fit one UDP datagram (65507 at most)",
    ],
    [["stray"], 'unexpected argument "stray"'],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await run("echo", ...args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "", args.join(" "));
    assert.equal(oneLine(stderr), `sockit: ${message} (see --help)`, args.join(" "));
  }
});

Deno.test("runCli: <command> --help prints every flag with its default and the examples", async () => {
  const { code, stdout, stderr } = await run("echo", "--help");
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.match(stdout, /^sockit echo — /);
  assert.match(stdout, /\nUsage:\n {2}sockit echo /);
  for (const key of Object.keys(echo.flags)) {
    assert(stdout.includes(`--${flagName(key)}`), `--${flagName(key)} missing:\n${stdout}`);
  }
  for (const example of echo.examples) assert(stdout.includes(example), example);
  for (
    const shown of [
      "(default 127.0.0.1)",
      "(default 7)",
      "(default tcp)",
      "(default 4)",
      "(default 1s)",
      "(default 5s)",
      "(default 10000)",
      "(default 1)",
    ]
  ) assert(stdout.includes(shown), `${shown} missing`);
  assert.match(stdout, /Linux only/, "--workers says where it works");
  const short = await run("echo", "-h");
  assert.equal(short.stdout, stdout);
});

Deno.test("runCli: --help wins over other flags, even bad ones after it", async () => {
  const { code, stdout } = await run("echo", "--to", "h", "--help");
  assert.equal(code, 0);
  assert.match(stdout, /^sockit echo/);
});

Deno.test("runCli: a command's SockitError is one line with its hint and its exit code", async () => {
  const listen = await run("probe", "--fail", "listen");
  assert.equal(listen.code, 7);
  assert.equal(
    oneLine(listen.stderr),
    "sockit: listen tcp 127.0.0.1:7: address already in use (choose another with --port)",
  );
  const resolve = await run("probe", "--fail", "resolve");
  assert.equal(resolve.code, 3);
  assert.equal(
    oneLine(resolve.stderr),
    "sockit: resolve nowhere.invalid: host not found (check it)",
  );
});

Deno.test("runCli: with --json a failure is also an error event on stdout", async () => {
  const failed = await run("probe", "--fail", "listen", "--json");
  assert.equal(failed.code, 7);
  assert.deepEqual(JSON.parse(failed.stdout), {
    event: "error",
    message: "listen tcp 127.0.0.1:7: address already in use",
    hint: "choose another with --port",
    exitCode: 7,
  });
  assert.equal((await run("probe", "--fail", "listen")).stdout, "", "human mode: stderr only");
});

Deno.test("runCli: a command's own exit code and output pass through", async () => {
  assert.deepStrictEqual(await run("probe"), { code: 0, stdout: "probed\n", stderr: "" });
  assert.deepStrictEqual(await run("probe", "--fail", "code"), { code: 6, stdout: "", stderr: "" });
});

Deno.test("runCli: an unexpected error (a bug) exits 1 and keeps its stack to be reported", async () => {
  const { code, stderr } = await run("probe", "--fail", "bug");
  assert.equal(code, 1);
  const [first, ...rest] = stderr.split("\n");
  assert.equal(
    first,
    "sockit: internal error: cannot read properties of undefined (please report this)",
  );
  assert(rest.join("\n").includes("TypeError"));
});

Deno.test("runCli: with --json a usage error from parsing the flags is an error event too", async () => {
  for (
    const args of [
      ["echo", "--json", "--count", "many"],
      ["echo", "--json", "--bogus"],
      ["echo", "--count", "--json"],
      ["probe", "--json", "extra"],
    ]
  ) {
    const { code, stdout, stderr } = await run(...args);
    assert.equal(code, 2, args.join(" "));
    const event = JSON.parse(stdout);
    assert.equal(event.event, "error");
    assert.equal(event.exitCode, 2);
    assert.equal(`sockit: ${event.message} (${event.hint})`, oneLine(stderr));
  }
  assert.equal((await run("echo", "--", "--json")).stdout, "", "after --, --json is an argument");
});

Deno.test("runCli: help CMD shows that command's help, like CMD --help", async () => {
  const { code, stdout } = await run("help", "echo");
  assert.equal(code, 0);
  assert.equal(stdout, (await run("echo", "--help")).stdout);
  assert.equal((await run("help")).stdout, mainHelp(options));
  const unknown = await run("help", "ecoh");
  assert.equal(unknown.code, 2);
  assert.equal(
    oneLine(unknown.stderr),
    'sockit: unknown command "ecoh" (did you mean echo? see sockit --help)',
  );
});

Deno.test("runCli: an unknown command or flag near a known one says which was meant", async () => {
  const command = await run("ecoh", "--port", "0");
  assert.equal(command.code, 2);
  assert.equal(
    oneLine(command.stderr),
    'sockit: unknown command "ecoh" (did you mean echo? see sockit --help)',
  );
  const flag = await run("echo", "--to", "127.0.0.1:1", "--cuont", "2");
  assert.equal(flag.code, 2);
  assert.equal(oneLine(flag.stderr), "sockit: unknown flag --cuont (did you mean --count?)");
  assert.equal(oneLine((await run("--verison")).stderr).includes("did you mean --version?"), true);
});

Deno.test("runCli: help says how durations are written, a bare number being seconds", async () => {
  const { stdout } = await run("echo", "--help");
  assert.match(stdout, /^DURATION: .*a bare number means seconds/m);
  assert.match(mainHelp(options), /a bare number means seconds/);
  assert.doesNotMatch((await run("probe", "--help")).stdout, /DURATION/, "only where one is");
});

Deno.test("runCli: a lazily loaded command is imported only to run, not for its help", async () => {
  let loads = 0;
  const lazy = lazyCommand(echo, () => Promise.resolve(echo), () => {
    loads++;
    return Promise.resolve(probe as unknown as typeof echo);
  });
  const io = fakeIo();
  const cli = { commands: [lazy], version: "1" };
  assert.equal(await runCli(["echo", "--help"], io, cli), 0);
  assert.equal(await runCli(["help", "echo"], io, cli), 0);
  assert.equal(await runCli(["echo", "--bogus"], io, cli), 2);
  assert.equal(loads, 0);
  assert.equal(await runCli(["echo"], io, cli), 0);
  assert.equal(loads, 1);
});
