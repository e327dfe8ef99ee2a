/**
 * `chat-serve` with clients that stop reading: the others keep getting every message,
 * the stuck ones are dropped once they took no bytes for `--stall-timeout` while bytes
 * waited for them, and their leave is announced as `too_slow`.
 */

import assert from "node:assert/strict";
import { ChatClient, LOOPBACK } from "./chat_serve_clients.ts";
import { startSockit, writeAll } from "./helpers.ts";

const encoder = new TextEncoder();

Deno.test("chat-serve: clients that never read are dropped as too_slow after --stall-timeout; the others get everything", async () => {
  const maxQueue = 64 * 1024;
  await using server = await startSockit([
    "chat-serve",
    "--port",
    "0",
    "--json",
    "--max-queue",
    String(maxQueue),
    "--max-message",
    "32KiB",
    "--stall-timeout",
    "200ms",
  ]);
  // Two clients that join and then never read a byte.
  const stuckLine = await Deno.connect({ hostname: LOOPBACK, port: server.port });
  await writeAll(stuckLine, encoder.encode("stuckline\n"));
  const stuckFramed = await Deno.connect({ hostname: LOOPBACK, port: server.port });
  const hello = encoder.encode(JSON.stringify({ type: "hello", name: "stuckframed" }));
  await writeAll(stuckFramed, new Uint8Array([0, 0, 0, hello.length, ...hello]));

  await using sender = await ChatClient.join(server.port, "framed", "sender");
  await using receiver = await ChatClient.join(server.port, "line", "receiver");
  await sender.untilJson({ type: "join", name: "receiver" });
  try {
    // One message in flight at a time, each acknowledged to the sender and seen by the
    // receiver, until both stuck clients are announced gone. Bounded: 64 MiB at most.
    const text = (i: number) => `${i} `.padEnd(16 * 1024, "z");
    const dropped = new Set<string>();
    let i = 0;
    for (; i < 4096 && dropped.size < 2; i++) {
      await sender.sendJson({ type: "say", text: text(i), id: String(i) });
      for (;;) {
        const m = await sender.json();
        if (m.type === "msg" && m.id === String(i)) break;
        if (m.type === "leave") {
          assert.equal(m.reason, "too_slow", JSON.stringify(m));
          dropped.add(String(m.name));
        }
      }
      // Every message reaches the reader that reads, in order, whatever the stuck ones do.
      for (;;) {
        const line = (await receiver.next())!;
        if (line.startsWith("*** ")) {
          assert.match(line, /^\*\*\* stuck(line|framed) left \(too_slow\)$/);
          continue;
        }
        assert.equal(line, `sender: ${text(i)}`);
        break;
      }
    }
    assert.deepEqual([...dropped].sort(), ["stuckframed", "stuckline"]);
    const leaves = receiver.seen.filter((l) => l.startsWith("*** stuck"));
    assert.equal(leaves.length, 2, "each drop is announced once");

    // The dropped connections are closed by the server: reading them ends, after at most
    // what the kernel buffers held; the server's own queue stayed at --max-queue.
    for (const conn of [stuckLine, stuckFramed]) {
      const buf = new Uint8Array(256 * 1024);
      try {
        while (await conn.read(buf) !== null) { /* drain what the kernel kept */ }
      } catch (err) {
        if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
      }
    }

    // The room goes on.
    await sender.sendJson({ type: "who" });
    assert.deepEqual((await sender.untilJson({ type: "who" })).users, ["sender", "receiver"]);
    assert.equal((await server.stop()).code, 0);
    const events = (await server.stdout.rest()).map((l) => JSON.parse(l));
    const slow = events.filter((e) => e.event === "leave" && e.reason === "too_slow");
    assert.deepEqual(slow.map((e) => e.name).sort(), ["stuckframed", "stuckline"]);
    assert.equal(events.at(-1).tooSlow, 2);
  } finally {
    stuckLine.close();
    stuckFramed.close();
  }
});

Deno.test("chat-serve: SIGTERM with a client that never reads still exits 0 within 2 s", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0"]);
  const stuck = await Deno.connect({ hostname: LOOPBACK, port: server.port });
  try {
    await writeAll(stuck, encoder.encode("stuck\n"));
    await using sender = await ChatClient.join(server.port, "line", "sender");
    await using reader = await ChatClient.join(server.port, "framed", "reader");
    await sender.until((t) => t === "*** reader joined");
    // Enough to fill the stuck client's kernel buffers and leave some queued for it (the
    // default --max-queue of 8 MiB is not reached, so it is not dropped).
    const text = "q".repeat(8 * 1024);
    for (let i = 0; i < 768; i++) await sender.sendText(text); // 6 MiB
    await sender.sendText("done");
    await reader.untilJson({ type: "msg", text: "done" }, 20_000);
    const started = performance.now();
    const status = await server.stop("SIGTERM");
    const took = performance.now() - started;
    assert.equal(status.code, 0);
    assert.ok(took < 2000, `exited after ${took.toFixed(0)} ms`);
    assert.equal((await sender.rest()).at(-1), "*** server shutting down");
  } finally {
    stuck.close();
  }
});
