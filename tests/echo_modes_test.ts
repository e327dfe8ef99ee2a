/**
 * `sockit echo` is a server without --to and a client with it; a flag of the other mode
 * is a usage error that says what was meant, never silently ignored (nc users type
 * `-u -l` and would get a TCP-only server).
 */

import assert from "node:assert/strict";
import { echo } from "../commands/echo/mod.ts";
import { runCli } from "../lib/cli.ts";
import { fakeIo } from "./helpers.ts";

async function usage(...args: string[]): Promise<string> {
  const io = fakeIo();
  const code = await runCli(["echo", ...args], io, { commands: [echo], version: "test" });
  assert.equal(code, 2, io.stderrText());
  assert.equal(io.stdoutText(), "");
  const lines = io.stderrText().trimEnd().split("\n");
  assert.equal(lines.length, 1, io.stderrText());
  return lines[0];
}

Deno.test("echo server: --udp is a usage error pointing at --transport udp", async () => {
  assert.equal(
    await usage("--port", "0", "--udp"),
    "sockit: --udp is for the client (with --to); the server takes --transport udp (see --help)",
  );
  assert.match(await usage("-u", "--port", "0"), /^sockit: --udp is for the client/);
});

Deno.test("echo server: client flags are usage errors, even at their default value", async () => {
  for (
    const args of [["-c", "4"], ["--message", "x"], ["--size", "10"], ["-i", "1s"], ["-W", "5s"]]
  ) {
    assert.match(
      await usage("--port", "0", ...args),
      /^sockit: --(count|message|size|interval|timeout) is for the client; give --to HOST:PORT/,
    );
  }
});

Deno.test("echo client: server flags are usage errors naming what the client takes", async () => {
  const to = ["--to", "127.0.0.1:7"];
  assert.match(await usage(...to, "--workers", "2"), /^sockit: --workers is for the server;/);
  assert.match(await usage(...to, "--workers", "1"), /^sockit: --workers is for the server;/);
  assert.match(
    await usage(...to, "--transport", "udp"),
    /^sockit: --transport is for the server; the client takes --udp/,
  );
  assert.match(
    await usage(...to, "--port", "7"),
    /^sockit: --port is for the server; the client's port goes in --to HOST:PORT/,
  );
  assert.match(await usage(...to, "--max-conns", "5"), /^sockit: --max-conns is for the server/);
  assert.match(await usage(...to, "--quiet"), /^sockit: --quiet is for the server/);
});
