/**
 * The echo client against servers that end the connection instead of echoing: an EOF
 * or a reset before the reply is neither a timeout nor a reply. Whatever way the close
 * arrives (FIN after reading, FIN at once, a reset for unread data), the report, the
 * exit code (1) and the --json counts are the same.
 */

import assert from "node:assert/strict";
import { echo } from "../commands/echo/mod.ts";
import { runCli } from "../lib/cli.ts";
import { fakeTcpServer, fakeUdpServer } from "./fake_servers.ts";
import { fakeIo, within } from "./helpers.ts";

const cli = { commands: [echo], version: "test" };

const closers: Record<string, (conn: Deno.TcpConn) => Promise<void>> = {
  "closes at once": async () => {},
  "reads, then closes": async (conn) => void await conn.read(new Uint8Array(64)),
  "reads one byte, then closes (a reset: data left unread)": async (conn) =>
    void await conn.read(new Uint8Array(1)),
};

for (const [what, handle] of Object.entries(closers)) {
  Deno.test(`echo client: a server that ${what} → exit 1, "closed before replying"`, async () => {
    await using server = fakeTcpServer(handle);
    // Several runs: the way the close arrives races with the probe's write.
    for (let run = 0; run < 5; run++) {
      const io = fakeIo();
      const args = ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "2", "-i", "0"];
      const code = await runCli([...args, "-W", "10s", "-m", "hello", "--json"], io, cli);
      const stderr = io.stderrText();
      assert.equal(code, 1, stderr);
      const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
      const probe = events.find((e) => e.event === "probe");
      assert.equal(probe.status, "lost");
      assert.equal(probe.bytes, 0);
      assert.match(probe.reason, /^(closed|reset)$/);
      const summary = events.find((e) => e.event === "summary");
      assert.deepStrictEqual(
        [summary.sent, summary.received, summary.mismatched, summary.lost, summary.unsent],
        [1, 0, 0, 1, 1],
      );
      const error = events.find((e) => e.event === "error");
      assert.equal(error?.exitCode, 1);
      assert.match(
        error.message,
        new RegExp(
          `^echo 127\\.0\\.0\\.1:${server.port}: connection (closed|reset) by ` +
            `127\\.0\\.0\\.1:${server.port} before replying`,
        ),
      );
    }
  });
}

Deno.test("echo client: human output names the close, never a timeout", async () => {
  await using server = fakeTcpServer(async () => {});
  const io = fakeIo();
  const args = ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "2", "-i", "0", "-W", "10s"];
  const code = await runCli([...args, "-m", "hello"], io, cli);
  assert.equal(code, 1);
  assert.match(io.stdoutText(), /seq=1 lost \(connection (closed|reset) before replying\)/);
  assert.match(io.stdoutText(), /1 sent, 0 received, 0 mismatched, 100% loss, 1 not sent/);
  assert.doesNotMatch(io.stderrText(), /within|timed out/);
  assert.match(io.stderrText(), /before replying/);
});

Deno.test("echo client: a short reply then a close is a mismatch that was received", async () => {
  await using server = fakeTcpServer(async (conn) => {
    await conn.read(new Uint8Array(64));
    await conn.write(new TextEncoder().encode("hel"));
  });
  const io = fakeIo();
  const args = ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "2", "-i", "0", "-W", "10s"];
  const code = await runCli([...args, "-m", "hello", "--json"], io, cli);
  assert.equal(code, 1, io.stderrText());
  const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
  const summary = events.find((e) => e.event === "summary");
  assert.deepStrictEqual(
    [summary.sent, summary.received, summary.mismatched, summary.lost, summary.unsent],
    [1, 1, 1, 0, 1],
  );
});

Deno.test("echo client: part of a reply and then silence is a short reply (exit 1), not 'no reply'", async () => {
  const done = Promise.withResolvers<void>();
  await using server = fakeTcpServer(async (conn) => {
    const got = new Uint8Array(5);
    await conn.read(got);
    await conn.write(got.subarray(0, 4)); // "hell", then nothing more, connection open
    await done.promise;
  });
  const io = fakeIo();
  const args = ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "2", "-i", "0", "-W", "300ms"];
  const code = await runCli([...args, "-m", "hello", "--json"], io, cli);
  done.resolve();
  assert.equal(code, 1, io.stderrText());
  const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
  const probe = events.find((e) => e.event === "probe");
  assert.deepStrictEqual([probe.status, probe.bytes], ["mismatch", 4]);
  assert.deepStrictEqual(probe.firstDiff, { offset: 4, sent: 0x6f }); // got: nothing (short)
  const summary = events.find((e) => e.event === "summary");
  assert.deepStrictEqual(
    [summary.sent, summary.received, summary.mismatched, summary.lost, summary.unsent],
    [1, 1, 1, 0, 1],
  );
  assert.match(io.stderrText(), /only 4 of 5 bytes came back within 300ms/);
  assert.doesNotMatch(io.stderrText(), /no reply/);
});

for (const udp of [false, true]) {
  Deno.test(`echo client${udp ? " --udp" : ""}: Ctrl-C during a probe stops it at once (130)`, async () => {
    const arrived = Promise.withResolvers<void>();
    const done = Promise.withResolvers<void>();
    await using tcp = fakeTcpServer(async (conn) => {
      await conn.read(new Uint8Array(64));
      arrived.resolve(); // and never answer
      await done.promise;
    });
    await using silent = fakeUdpServer(() => {
      arrived.resolve();
      return undefined;
    });
    const port = udp ? silent.port : tcp.port;
    const io = fakeIo();
    const args = ["echo", "--to", `127.0.0.1:${port}`, "-c", "3", "-i", "0", "-W", "60s"];
    const running = runCli([...args, ...(udp ? ["--udp"] : []), "--json"], io, cli);
    await arrived.promise;
    io.signal("SIGINT");
    const code = await within(running, "exit after Ctrl-C"); // without the fix: 60 s
    done.resolve();
    assert.equal(code, 130, io.stderrText());
    const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(events.filter((e) => e.event === "probe").length, 0); // neither answered nor lost
    const summary = events.find((e) => e.event === "summary");
    assert.deepStrictEqual([summary.sent, summary.interrupted], [0, true]);
    assert.doesNotMatch(io.stderrText(), /within/);
    assert.equal(io.subscribed(), 0);
  });
}
