/**
 * `chat-serve` flow control (README, chat-serve: "a client that keeps reading never
 * loses a message"): one sender blasts 20 MiB of numbered lines at ten readers that
 * read more slowly than it sends; each gets every line, in order, and none is dropped.
 * With one more client that never reads, that one is dropped as `too_slow` once it
 * stalls the room for `--stall-timeout`, everyone hears its leave, and the readers
 * still get everything.
 */

import assert from "node:assert/strict";
import { blast, neverReader, pacedRead, type PacedResult, peakRss } from "./chat_flow_helpers.ts";
import { LOOPBACK } from "./chat_serve_clients.ts";
import { hasTool, startSockit, writeAll } from "./helpers.ts";

const encoder = new TextEncoder();
const LINES = 20 * 1024; // of 1 KiB: 20 MiB
const SIZE = 1024;
const READERS = 10;

async function serve(...extra: string[]) {
  return await startSockit([
    "chat-serve",
    "--port",
    "0",
    "--json",
    "--quiet",
    "--max-queue",
    "256KiB",
    ...extra,
  ]);
}

/** Joins `n` paced readers; resolves to their running reads once all are in the room. */
async function joinReaders(port: number, n: number) {
  const conns: Deno.TcpConn[] = [];
  const reads: Promise<PacedResult>[] = [];
  for (let i = 0; i < n; i++) {
    const conn = await Deno.connect({ hostname: LOOPBACK, port });
    await writeAll(conn, encoder.encode(`reader${i}\n`));
    conns.push(conn);
    // Reads of 16 KiB with a pause after each one: slower than the sender writes.
    reads.push(
      pacedRead(conn, {
        from: "blaster",
        count: LINES,
        size: SIZE,
        readSize: 16 * 1024,
        pauseMs: 1,
      }),
    );
  }
  return { conns, reads };
}

Deno.test("chat-serve flow control: 10 slow readers get all of a 20 MiB blast, in order, none dropped", async () => {
  await using server = await serve();
  const { conns, reads } = await joinReaders(server.port, READERS);
  const blaster = await Deno.connect({ hostname: LOOPBACK, port: server.port });
  try {
    await writeAll(blaster, encoder.encode("blaster\n"));
    await blast(blaster, LINES, SIZE);
    const results = await Promise.all(reads);
    for (const [i, r] of results.entries()) {
      assert.equal(r.lines, LINES, `reader${i} got every line: ${JSON.stringify(r)}`);
      assert.equal(r.closed, false);
      assert.ok(!r.notices.some((l) => l.includes("left")), `reader${i}: ${r.notices}`);
    }
    console.log(`peak server RSS ${((peakRss(server.proc.pid) ?? 0) / 2 ** 20).toFixed(1)} MiB`);
    assert.equal((await server.stop()).code, 0);
    const summary = (await server.stdout.rest()).map((l) => JSON.parse(l)).at(-1);
    assert.equal(summary.tooSlow, 0);
  } finally {
    blaster.close();
    for (const conn of conns) conn.close();
  }
});

Deno.test({
  name:
    "chat-serve flow control: a client that never reads is dropped as too_slow; the slow readers still get everything",
  ignore: !hasTool("python3"),
  async fn() {
    // The default --stall-timeout (1s): a reader of this busy test process, starved of
    // CPU on a loaded machine, may well pause for a few hundred milliseconds.
    await using server = await serve();
    const { conns, reads } = await joinReaders(server.port, READERS);
    await using _stuck = await neverReader(server.port, "stuck");
    const blaster = await Deno.connect({ hostname: LOOPBACK, port: server.port });
    try {
      await writeAll(blaster, encoder.encode("blaster\n"));
      await blast(blaster, LINES, SIZE);
      const results = await Promise.all(reads);
      for (const [i, r] of results.entries()) {
        assert.equal(r.lines, LINES, `reader${i} got every line: ${JSON.stringify(r)}`);
        assert.ok(r.notices.includes("*** stuck left (too_slow)"), `reader${i}: ${r.notices}`);
      }
      console.log(`peak server RSS ${((peakRss(server.proc.pid) ?? 0) / 2 ** 20).toFixed(1)} MiB`);
      assert.equal((await server.stop()).code, 0);
      const events = (await server.stdout.rest()).map((l) => JSON.parse(l));
      assert.equal(events.at(-1).tooSlow, 1);
    } finally {
      blaster.close();
      for (const conn of conns) conn.close();
    }
  },
});
