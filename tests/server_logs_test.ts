/**
 * The servers' log lines, now that stdout and stderr writes are batched: every line
 * arrives, in order, under load and across an exit; and a server whose stdout reader
 * went away keeps serving.
 */

import assert from "node:assert/strict";
import { assertSameBytes, readAll, readN, ROOT, startSockit, within, writeAll } from "./helpers.ts";

/** Runs `count` connections, `concurrency` at a time, each through `use`. */
async function churn(
  port: number,
  count: number,
  concurrency: number,
  use: (conn: Deno.TcpConn, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await use(conn, index);
      } finally {
        conn.close();
      }
    }
  };
  await within(
    Promise.all(Array.from({ length: concurrency }, worker)),
    `${count} connections`,
    60_000,
  );
}

Deno.test("server logs: a daytime line logged just before SIGTERM is on stderr after the exit", async () => {
  await using server = await startSockit(["daytime", "--port", "0"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  assert.ok((await readAll(conn)).length > 0);
  conn.close();
  // No waiting for the disconnect line: it was queued when the server closed, and the
  // signal comes before anything says it was written.
  const status = await server.stop("SIGTERM");
  assert.equal(status.code, 0);
  const err = await server.stderr.rest();
  assert.match(err[0] ?? "", /^connect #1 from 127\.0\.0\.1:\d+ \(1 open\)$/, JSON.stringify(err));
  assert.match(err[1] ?? "", /^disconnect #1 127\.0\.0\.1:\d+ after .*\(closed\)$/);
  assert.equal(err[2], "SIGTERM: shutting down (again to exit at once)");
  assert.equal(err.length, 3, JSON.stringify(err));
  const out = await server.stdout.rest();
  assert.match(out.join("\n"), /^daytime: stopped after \S+; 1 connection, /);
});

Deno.test("server logs: 500 short daytime connections log every line once, in order", async () => {
  const count = 500;
  await using server = await startSockit(["daytime", "--port", "0"]);
  const stderr = server.stderr.rest(60_000); // read while it runs: a full pipe blocks it
  await churn(server.port, count, 50, async (conn) => {
    assert.ok((await readAll(conn)).length > 0);
  });
  assert.equal((await server.stop("SIGTERM")).code, 0);
  const err = await stderr;
  const connects: number[] = [];
  const disconnectAt = new Map<number, number>();
  const connectAt = new Map<number, number>();
  err.forEach((line, at) => {
    const connect = /^connect #(\d+) from 127\.0\.0\.1:\d+ \(\d+ open\)$/.exec(line);
    const disconnect = /^disconnect #(\d+) 127\.0\.0\.1:\d+ after .* \(closed\)$/.exec(line);
    if (connect) {
      connects.push(Number(connect[1]));
      assert.ok(!connectAt.has(Number(connect[1])), `twice: ${line}`);
      connectAt.set(Number(connect[1]), at);
    } else if (disconnect) {
      assert.ok(!disconnectAt.has(Number(disconnect[1])), `twice: ${line}`);
      disconnectAt.set(Number(disconnect[1]), at);
    } else {
      assert.equal(line, "SIGTERM: shutting down (again to exit at once)", `torn or stray line`);
    }
  });
  // Ids are handed out in accept order and logged as they are: connect lines count up.
  assert.deepStrictEqual(connects, Array.from({ length: count }, (_, i) => i + 1));
  assert.equal(disconnectAt.size, count);
  for (const [id, at] of disconnectAt) assert.ok(connectAt.get(id)! < at, `#${id} order`);
  assert.equal(err.at(-1), "SIGTERM: shutting down (again to exit at once)");
});

Deno.test("server logs: echo --json --trace under churn: events in order, every dump whole", async () => {
  const count = 200;
  await using server = await startSockit(["echo", "--port", "0", "--json", "--trace"]);
  // Read both while it runs: a full pipe would block the server.
  const [stdout, stderr] = [server.stdout.rest(60_000), server.stderr.rest(60_000)];
  const message = (i: number) => new TextEncoder().encode(`m${i}`);
  await churn(server.port, count, 20, async (conn, i) => {
    await writeAll(conn, message(i));
    assertSameBytes(await readN(conn, message(i).length), message(i));
  });
  assert.equal((await server.stop("SIGTERM")).code, 0);
  const events = (await stdout).map((line) => JSON.parse(line));
  assert.equal(events.at(-1).event, "summary", "the summary comes last");
  assert.equal(events.at(-1).connections, count);
  const seen = new Map<string, string[]>();
  for (const e of events.slice(0, -1)) {
    if (e.event === "shutdown") continue;
    assert.ok(e.event === "connect" || e.event === "disconnect", JSON.stringify(e));
    seen.set(e.id, [...(seen.get(e.id) ?? []), e.event]);
  }
  assert.equal(seen.size, count);
  for (const [id, order] of seen) assert.deepStrictEqual(order, ["connect", "disconnect"], id);
  // Each read is dumped before its echo's write, for every connection.
  const err = await stderr;
  const heads = err.filter((line) => /^(read|write) \d+ bytes? (from|to) /.test(line));
  assert.equal(heads.length, 2 * count, "one dump per read and per write");
  const firstAt = new Map<string, string>();
  for (const head of heads) {
    const peer = head.split(" ").at(-1)!;
    if (!firstAt.has(peer)) firstAt.set(peer, head);
  }
  for (const [peer, head] of firstAt) assert.match(head, /^read /, peer);
});

Deno.test("server logs: a server keeps serving when its stdout reader goes away", async () => {
  // `(sockit echo --port 0 --json | head -1) &`: the reader of stdout leaves after the
  // listening line; the clients did not leave with it.
  await using server = await startSockit(["echo", "--port", "0", "--json"]);
  await server.stdout.cancel();
  for (const text of ["first", "second", "third"]) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      const bytes = new TextEncoder().encode(text);
      await writeAll(conn, bytes);
      assertSameBytes(await within(readN(conn, bytes.length), `echo of ${text}`), bytes, text);
    } finally {
      conn.close();
    }
  }
  const note = await server.stderr.until((line) => line.includes("stdout closed"));
  assert.equal(
    note,
    "sockit: stdout closed (its reader went away); still serving, no more output there",
  );
  assert.equal((await server.stop("SIGTERM")).code, 0);
  const rest = await server.stderr.rest();
  assert.ok(!rest.some((line) => line.includes("stdout closed")), "said once");
});

Deno.test("server logs: a closed stderr loses only the logs: the server serves and sums up", async () => {
  await using server = await startSockit(["daytime", "--port", "0"]);
  await server.stderr.cancel();
  await churn(server.port, 50, 10, async (conn) => {
    assert.ok((await readAll(conn)).length > 0);
  });
  assert.equal((await server.stop("SIGTERM")).code, 0);
  const out = await server.stdout.rest();
  assert.equal(out.length, 1, JSON.stringify(out));
  assert.match(out[0], /^daytime: stopped after \S+; 50 connections, /);
});

Deno.test("server logs: lines queued right before Deno.exit or a crash are written", async () => {
  const script = (end: string) =>
    `import { systemIo } from "${ROOT}lib/io.ts";
     const io = systemIo();
     io.stdout.write("out line\\n");
     io.stderr.write("err line\\n");
     ${end}`;
  for (
    const [end, code] of [["Deno.exit(3);", 3], ["", 0], ['throw new Error("boom");', 1]] as const
  ) {
    const { code: got, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script(end)],
      stdin: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const text = new TextDecoder();
    assert.equal(got, code, end);
    assert.equal(text.decode(stdout), "out line\n", end);
    assert.ok(text.decode(stderr).startsWith("err line\n"), `${end}: ${text.decode(stderr)}`);
  }
});
