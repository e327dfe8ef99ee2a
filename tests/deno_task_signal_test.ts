/**
 * The README's way of running from a checkout, `deno task sockit ...`, stops gracefully
 * on one Ctrl-C. A terminal sends SIGINT to the whole foreground process group, and
 * `deno task` (in that group too) forwards it to its child again, so the server gets
 * one Ctrl-C as two or three SIGINTs a few ms apart. Reproduced here with a
 * process-group kill, as the terminal does it.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { echo } from "../commands/echo/mod.ts";
import { runCli } from "../lib/cli.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { type FakeIo, fakeIo, hasTool, LineReader, ROOT } from "./helpers.ts";

const noSetsid = !hasTool("setsid");
if (noSetsid) console.log("skip: no setsid (util-linux) to start a process group");

Deno.test({
  name: "deno task sockit chat-serve: one SIGINT to the process group shuts down gracefully",
  ignore: noSetsid,
  async fn() {
    for (let run = 0; run < 3; run++) {
      // setsid execs deno task as the leader of a new process group: its pid is the group's.
      const proc = new Deno.Command("setsid", {
        args: [Deno.execPath(), "task", "--quiet", "sockit", "chat-serve", "--port", "0"],
        cwd: ROOT,
        env: { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}` },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stdout = new LineReader(proc.stdout);
      const stderr = new LineReader(proc.stderr);
      try {
        const first = await stdout.next(30_000);
        const port = Number(/:(\d+)$/.exec(first ?? "")?.[1]);
        assert(port > 0, `no listening line: ${first}`);
        // An open connection makes the shutdown last long enough for a duplicate to land.
        await using alice = await ChatClient.join(port, "line", "alice");
        await stderr.until((line) => line.startsWith("join alice"));
        Deno.kill(-proc.pid, "SIGINT");
        assert.match((await alice.until((l) => /shutting down/.test(l)))!, /shutting down/);
        const status = await proc.status;
        const err = await stderr.rest();
        assert.equal(status.code, 0, `exit ${status.code}; stderr: ${err.join(" | ")}`);
        assert.match((await stdout.rest()).join("\n"), /^chat-serve: stopped after /m);
        assert(!err.some((l) => /again, exiting now/.test(l)), err.join("\n"));
      } finally {
        try {
          Deno.kill(-proc.pid, "SIGKILL");
        } catch { /* already gone */ }
        await proc.status;
        await stdout.cancel();
        await stderr.cancel();
      }
    }
  },
});

/** Starts `sockit echo --port 0` in-process; once it listens, gives its exit to await. */
async function echoServer(io: FakeIo): Promise<{ running: Promise<number> }> {
  const listening = Promise.withResolvers<void>();
  const write = io.stdout.write;
  io.stdout = {
    isTerminal: false,
    write(text: string) {
      write(text);
      if (text.startsWith("listening on")) listening.resolve();
    },
  };
  const running = runCli(["echo", "--port", "0"], io, { commands: [echo], version: "test" });
  await listening.promise;
  return { running }; // wrapped: an async function's returned promise would be awaited
}

Deno.test("echo server under deno task: the same signal twice at once is one Ctrl-C", async () => {
  const io = fakeIo({ env: (name) => name === "SOCKIT_DENO_TASK" ? "1" : undefined });
  const { running } = await echoServer(io);
  io.signal("SIGINT");
  io.signal("SIGINT");
  assert.equal(await running, 0, io.stderrText());
  assert.match(io.stdoutText(), /^echo: stopped after /m);
  assert.doesNotMatch(io.stderrText(), /again, exiting now/);
});

Deno.test("echo server run directly: a second signal at once still exits at once (130)", async () => {
  const io = fakeIo();
  const { running } = await echoServer(io);
  // A connection that never closes keeps the shutdown waiting for the second signal.
  const port = Number(/:(\d+)\n/.exec(io.stdoutText())![1]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    io.signal("SIGINT");
    io.signal("SIGINT");
    assert.equal(await running, 130, io.stderrText());
    assert.match(io.stderrText(), /SIGINT again, exiting now/);
  } finally {
    conn.close();
  }
});
