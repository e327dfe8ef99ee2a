/**
 * The connection the runtime hands to handlers, tested once here so the commands'
 * tests need not: reads mark traffic for the idle timeout and reads and writes are
 * counted and traced; the handler's hooks run on idle and on shutdown; a lingering close
 * delivers the last reply even when the peer's unread input is pending, also while the
 * handler's own read is in flight. And the second stop signal ends `serve` with 130.
 */

import assert from "node:assert/strict";
import type { StopSignal } from "../lib/io.ts";
import { createOutput } from "../lib/output.ts";
import { type Connection, listen, serve, type ServerSpec } from "../lib/server/mod.ts";
import { fakeIo, readAll, readN, writeAll } from "./helpers.ts";

const te = new TextEncoder();

function spec(tcp: ServerSpec["tcp"], extra: Partial<ServerSpec> = {}): ServerSpec {
  return { name: "test", host: "127.0.0.1", port: 0, transport: "tcp", tcp, ...extra };
}

const dial = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Reads one line's worth and answers it upper-cased, until EOF. */
async function shout(c: Connection): Promise<void> {
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) return;
    await c.writeAll(te.encode(new TextDecoder().decode(buf.subarray(0, n)).toUpperCase()));
  }
}

Deno.test("connection: reads and writes are counted and traced without the handler's help", async () => {
  const io = fakeIo();
  const server = listen(spec(shout), { out: createOutput(io, { json: true }), trace: true });
  const conn = await dial(server.addrs[0].port);
  try {
    await writeAll(conn, te.encode("hello"));
    assert.deepStrictEqual(await readN(conn, 5), te.encode("HELLO"));
  } finally {
    conn.close();
  }
  const stats = await server.shutdown();
  assert.equal(stats.bytesIn, 5);
  assert.equal(stats.bytesOut, 5);
  const disconnect = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l))
    .find((e) => e.event === "disconnect");
  assert.equal(disconnect.bytesIn, 5);
  assert.equal(disconnect.bytesOut, 5);
  const trace = io.stderrText();
  assert.match(trace, /read 5 bytes/i);
  assert.match(trace, /write 5 bytes/i);
  assert.match(trace, /hello/);
  assert.match(trace, /HELLO/);
});

Deno.test("connection: traffic keeps it from idling; silence runs the handler's onIdle", async () => {
  const io = fakeIo();
  const idled = Promise.withResolvers<string | undefined>();
  const server = listen(
    spec((c) => ({ done: shout(c), onIdle: () => idled.resolve(c.closeReason) }), {
      idleTimeout: 600,
    }),
    { out: createOutput(io) },
  );
  const conn = await dial(server.addrs[0].port);
  try {
    // Talking for longer than the timeout, a message at a time, keeps it open.
    for (let i = 0; i < 8; i++) {
      await writeAll(conn, te.encode("x"));
      assert.deepStrictEqual(await readN(conn, 1), te.encode("X"));
      await new Promise((r) => setTimeout(r, 100)); // time passing, not a wait for an event
    }
    assert.equal(server.connections.size, 1);
    assert.equal(await idled.promise, "timeout", "then silence: onIdle, reason timeout");
    assert.equal(server.connections.size, 1, "onIdle decides: it did not close");
  } finally {
    conn.close();
  }
  await server.shutdown();
});

Deno.test("connection: a lingering close delivers the goodbye though unread input is pending", async () => {
  const closed = Promise.withResolvers<void>();
  const server = listen(
    spec(async (c) => {
      // Never reads the client's bytes: a plain close would answer them with a reset.
      await c.writeAll(te.encode("bye\n"));
      await c.lingeringClose();
      assert(c.closed);
      closed.resolve();
    }),
    { out: createOutput(fakeIo()) },
  );
  const conn = await dial(server.addrs[0].port);
  try {
    await writeAll(conn, new Uint8Array(64 * 1024).fill(120));
    assert.deepStrictEqual(await readAll(conn), te.encode("bye\n"), "the goodbye, then FIN");
  } finally {
    conn.close();
  }
  await closed.promise;
  await server.shutdown();
});

Deno.test("connection: onShutdown says goodbye while the handler's read is pending", async () => {
  const io = fakeIo();
  const server = listen(
    spec((c) => ({
      done: shout(c),
      onShutdown: () =>
        void c.writeAll(te.encode("shutting down\n")).then(() => c.lingeringClose()),
    })),
    { out: createOutput(io, { json: true }) },
  );
  const conn = await dial(server.addrs[0].port);
  try {
    await writeAll(conn, te.encode("a"));
    assert.deepStrictEqual(await readN(conn, 1), te.encode("A"));
    const stopping = server.shutdown();
    assert.deepStrictEqual(await readAll(conn), te.encode("shutting down\n"));
    conn.close();
    await stopping;
  } finally {
    try {
      conn.close();
    } catch { /* closed above */ }
  }
  const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(events.find((e) => e.event === "disconnect")?.reason, "shutdown");
});

Deno.test("serve: a second stop signal returns 130 at once, without waiting for handlers", async () => {
  let signal: ((s: StopSignal) => void) | undefined;
  const io = fakeIo({
    onSignal(listener) {
      signal = listener;
      return () => {};
    },
  });
  const announced = Promise.withResolvers<void>();
  const summarized = Promise.withResolvers<void>();
  const write = io.stdout.write;
  io.stdout = {
    isTerminal: false,
    write(text) {
      write(text);
      announced.resolve();
      if (text.includes("stopped after")) summarized.resolve();
    },
  };
  // A handler that ignores shutdown, with a grace far longer than the test.
  const stuck = (c: Connection) => ({ done: shout(c), onShutdown: () => {} });
  const running = serve(spec(stuck, { grace: 60_000 }), { io, out: createOutput(io) });
  await announced.promise;
  const port = Number(/:(\d+)\n$/.exec(io.stdoutText())![1]);
  const conn = await dial(port);
  try {
    await writeAll(conn, te.encode("a"));
    await readN(conn, 1);
    signal!("SIGINT");
    signal!("SIGINT");
    assert.equal(await running, 130);
    assert(!io.stdoutText().includes("stopped after"), "no summary: it did not wait");
  } finally {
    conn.close();
  }
  assert.match(io.stderrText(), /SIGINT again, exiting now/);
  // In a process the exit ends the rest; here the client's close lets it finish.
  await summarized.promise;
});
