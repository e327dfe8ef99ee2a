/** Unit tests of the injected world: stop signals per OS, the resolver contract. */

import assert from "node:assert/strict";
import { ResolveError } from "../lib/errors.ts";
import { EXIT_STDOUT_CLOSED, stopSignals, systemIo, systemResolve } from "../lib/io.ts";
import { fakeIo, LineReader, sockitCommand, startSockit } from "./helpers.ts";

Deno.test("stopSignals: Windows delivers SIGINT and SIGBREAK", () => {
  assert.deepStrictEqual(stopSignals("windows"), ["SIGINT", "SIGBREAK"]);
});

Deno.test("stopSignals: Unix-likes stop on SIGINT and SIGTERM", () => {
  for (const os of ["linux", "darwin", "freebsd", "netbsd", "android", "solaris"] as const) {
    assert.deepStrictEqual(stopSignals(os), ["SIGINT", "SIGTERM"], os);
  }
});

Deno.test("systemResolve: IP literals come back as they are, without asking a name server", async () => {
  assert.deepStrictEqual(await systemResolve("127.0.0.1"), ["127.0.0.1"]);
  assert.deepStrictEqual(await systemResolve("::1"), ["::1"]);
  assert.deepStrictEqual(await systemResolve("fe80::1%lo"), ["fe80::1%lo"]);
});

Deno.test("systemIo: the real world, with the OS and a working clock", () => {
  const io = systemIo();
  assert.equal(io.os, Deno.build.os);
  assert(Math.abs(io.now() - Date.now()) < 60_000);
  assert.equal(typeof io.stdout.isTerminal, "boolean");
  // Subscribing and unsubscribing leaves no signal listener behind (the sanitizer checks).
  const stop = io.onSignal(() => {});
  stop();
});

Deno.test("fakeIo: captures output and resolves only literals and localhost", async () => {
  const io = fakeIo();
  io.stdout.write("out");
  io.stderr.write("err");
  assert.equal(io.stdoutText(), "out");
  assert.equal(io.stderrText(), "err");
  assert.deepStrictEqual(await io.resolve("localhost"), ["127.0.0.1"]);
  assert.deepStrictEqual(await io.resolve("::1"), ["::1"]);
  await assert.rejects(io.resolve("nowhere.invalid"), (err) => {
    assert(err instanceof ResolveError);
    assert.equal(err.exitCode, 3);
    assert.equal(err.message, "resolve nowhere.invalid: host not found");
    return true;
  });
});

Deno.test("systemIo: a closed stdout ends the command quietly with 141, like SIGPIPE", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  // Far more output than a pipe holds, so the client must write after the reader left.
  const { cmd, args } = sockitCommand(
    ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "100000", "-i", "0", "--size", "1"],
  );
  const proc = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const stdout = new LineReader(proc.stdout);
  assert.match((await stdout.next())!, /^ECHO 127\.0\.0\.1:\d+ \(tcp\): 100000 probes$/);
  await stdout.cancel(); // the reader goes away, as `| head -1` does
  const [status, stderr] = await Promise.all([
    proc.status,
    new Response(proc.stderr).text(),
  ]);
  assert.equal(stderr, "");
  assert.equal(status.code, EXIT_STDOUT_CLOSED);
});
