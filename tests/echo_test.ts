/**
 * Integration tests of `sockit echo`: the real CLI over real loopback sockets, server
 * and client, every behaviour of the README's `echo` section and the server runtime's
 * conventions (limits, idle timeout, trace, workers, signals, exit codes).
 */

import assert from "node:assert/strict";
import { randomBytes } from "../commands/echo/client.ts";
import {
  assertSameBytes,
  LineReader,
  missing,
  readAll,
  readN,
  refusedPort,
  runSockit,
  sockitCommand,
  startSockit,
  within,
  writeAll,
} from "./helpers.ts";
import { fakeTcpServer } from "./fake_servers.ts";
import { spawnPeer } from "./peers.ts";

const LOOPBACK = "127.0.0.1";

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: LOOPBACK, port });
}

/** Writes `bytes` and reads the same number back, concurrently (so nothing deadlocks). */
async function echoBack(conn: Deno.Conn, bytes: Uint8Array): Promise<Uint8Array> {
  const [, got] = await within(
    Promise.all([writeAll(conn, bytes), readN(conn, bytes.length)]),
    `echo of ${bytes.length} bytes`,
  );
  return got;
}

/**
 * Reads until EOF and returns how many bytes came, or `"reset"` when the connection was
 * reset (what "the server closed us" can also look like).
 */
function readToEnd(conn: Deno.Conn): Promise<number | "reset"> {
  return within(
    (async () => {
      const buf = new Uint8Array(4096);
      let total = 0;
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) return total;
          total += n;
        }
      } catch (err) {
        if (err instanceof Deno.errors.ConnectionReset) return "reset" as const;
        throw err;
      }
    })(),
    "EOF",
  );
}

/** The JSON events a `--json` server printed, parsed. */
function events(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l));
}

// ---------------------------------------------------------------- TCP server

Deno.test("echo server: 1 MiB of random bytes in irregular chunks comes back intact", async () => {
  await using server = await startSockit(["echo", "--port", "0"]);
  using conn = await connect(server.port);
  const data = randomBytes(1 << 20);
  // Chunk sizes from 1 byte to well over the server's 64 KiB buffer, in a fixed,
  // irregular sequence, so writes straddle the server's reads in every way.
  const sizes = [1, 7, 1500, 65_536, 3, 100_000, 13, 4096, 65_537, 2, 30_000, 999];
  const writer = (async () => {
    let off = 0;
    for (let i = 0; off < data.length; i++) {
      const end = Math.min(data.length, off + sizes[i % sizes.length]);
      await writeAll(conn, data.subarray(off, end));
      off = end;
    }
  })();
  const [, got] = await within(Promise.all([writer, readN(conn, data.length)]), "1 MiB echo");
  assertSameBytes(got, data);
});

Deno.test("echo server: 50 concurrent clients each get their own bytes back", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  const conns = await Promise.all(Array.from({ length: 50 }, () => connect(server.port)));
  try {
    const payloads = conns.map(() => randomBytes(32 * 1024));
    const replies = await Promise.all(conns.map((c, i) => echoBack(c, payloads[i])));
    replies.forEach((got, i) => assertSameBytes(got, payloads[i], `client ${i}`));
  } finally {
    for (const c of conns) c.close();
  }
});

Deno.test("echo server: half-close gets everything echoed, then EOF", async () => {
  await using server = await startSockit(["echo", "--port", "0"]);
  using conn = await connect(server.port);
  const data = randomBytes(300 * 1024);
  const reader = readAll(conn);
  await writeAll(conn, data);
  await conn.closeWrite();
  assertSameBytes(await within(reader, "echo until EOF"), data);
});

Deno.test("echo server: NUL bytes and invalid UTF-8 come back unchanged", async () => {
  await using server = await startSockit(["echo", "--port", "0"]);
  using conn = await connect(server.port);
  // NUL, lone continuation bytes, an overlong encoding, a UTF-16 surrogate, 0xff, CR LF.
  const bytes = new Uint8Array([
    0x00,
    0x80,
    0xbf,
    0xc0,
    0xaf,
    0xed,
    0xa0,
    0x80,
    0xff,
    0xfe,
    0x00,
    0x0d,
    0x0a,
    0x00,
  ]);
  assertSameBytes(await echoBack(conn, bytes), bytes);
});

Deno.test("echo server: a second server on the same port exits 7 with one line", async () => {
  await using server = await startSockit(["echo", "--port", "0"]);
  const { code, stdout, stderr } = await runSockit(["echo", "--port", String(server.port)]);
  assert.equal(code, 7, stderr);
  assert.equal(stdout, "");
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one stderr line, got: ${stderr}`);
  assert.match(lines[0], new RegExp(`^sockit: listen tcp 127\\.0\\.0\\.1:${server.port}: `));
  assert.match(lines[0], /address already in use/);
});

Deno.test("echo server: --max-conns 2 closes a third client at once and keeps serving", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--max-conns", "2"]);
  const ping = new Uint8Array([1, 2, 3]);
  using a = await connect(server.port);
  using b = await connect(server.port);
  // A round trip each proves both are registered before the third arrives.
  assertSameBytes(await echoBack(a, ping), ping);
  assertSameBytes(await echoBack(b, ping), ping);
  using c = await connect(server.port);
  assert.equal(await readToEnd(c), 0, "the third client is closed without data");
  c.close();
  await server.stderr.until((l) => /^reject 127\.0\.0\.1:\d+: 2 connections open/.test(l));
  // The first two still work; once one leaves, a new client is served.
  assertSameBytes(await echoBack(a, ping), ping);
  b.close();
  await server.stderr.until((l) => l.startsWith("disconnect #2 "));
  using d = await connect(server.port);
  assertSameBytes(await echoBack(d, ping), ping);
  a.close();
});

Deno.test("echo server: --idle-timeout 300ms closes an idle client", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--idle-timeout", "300ms"]);
  using conn = await connect(server.port);
  const ping = new Uint8Array([42]);
  const sent = performance.now();
  assertSameBytes(await echoBack(conn, ping), ping);
  assert.equal(await readToEnd(conn), 0, "EOF after the idle timeout");
  // Not a speed check: the server read the ping after `sent`, so closing sooner than
  // 300 ms after it means the connection was closed before it had been idle that long.
  const idle = performance.now() - sent;
  assert.ok(idle >= 300, `closed after ${idle.toFixed(0)} ms idle; --idle-timeout is 300ms`);
  const line = await server.stderr.until((l) => l.startsWith("disconnect #1 "));
  assert.match(line, /\(timeout\)$/);
});

Deno.test("echo server: --trace dumps each read and write as hex on stderr", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--trace"]);
  using conn = await connect(server.port);
  const bytes = new TextEncoder().encode("hi\x00\xff");
  assertSameBytes(await echoBack(conn, bytes), bytes);
  conn.close();
  const head = await server.stderr.until((l) => /^read \d+ bytes from 127\.0\.0\.1:\d+$/.test(l));
  assert.match(head, /^read 5 bytes from /); // "\xff" is two bytes of UTF-8: c3 bf
  assert.equal(
    await server.stderr.next(),
    "00000000  68 69 00 c3 bf                                    |hi...|",
  );
  await server.stderr.until((l) => /^write 5 bytes to 127\.0\.0\.1:\d+$/.test(l));
});

Deno.test("echo server: 200 connections opened and dropped at once do not stop it", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet", "--json"]);
  const junk = randomBytes(64 * 1024);
  for (let round = 0; round < 10; round++) {
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      using conn = await connect(server.port);
      // Half of them leave data unread behind them, so the close is a reset and the
      // server's write can fail with a broken pipe.
      if (i % 2 === 0) await conn.write(junk).catch(() => {});
      conn.close();
    }));
  }
  using conn = await connect(server.port);
  const ping = randomBytes(1000);
  assertSameBytes(await echoBack(conn, ping), ping);
  const status = await server.stop();
  assert.equal(status.code, 0);
  const summary = events(await server.stdout.rest()).find((e) => e.event === "summary")!;
  // A connection reset before it was accepted is an accept error, not a connection.
  assert.equal(Number(summary.connections) + Number(summary.acceptErrors), 201);
  assert.equal(summary.handlerErrors, 0, "a reset is a disconnect, not a handler error");
});

Deno.test("echo server: a client that does not read is not read from; it all comes back later", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  using conn = await connect(server.port);
  // Write without reading until a write stalls: the server must stop reading once its
  // writes back stall, so only the socket buffers (a few MB) fill, not its memory.
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  const limit = 256 * 1024 * 1024;
  let written = 0;
  let stalled: Promise<number> | undefined;
  while (written < limit) {
    const writing = conn.write(chunk);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = await Promise.race([
      writing,
      new Promise<"stalled">((r) => timer = setTimeout(() => r("stalled"), 1000)),
    ]);
    clearTimeout(timer);
    if (done === "stalled") {
      stalled = writing;
      break;
    }
    written += done;
  }
  assert.ok(stalled, `the server read all ${limit} bytes from a client that never read`);
  assert.ok(written < 64 * 1024 * 1024, `${written} bytes written before the writes stalled`);
  // Reading now lets everything through: the stalled write completes, all comes back.
  const reading = readN(conn, written + chunk.length);
  const total = written + await within(stalled, "the stalled write");
  await within(writeAll(conn, chunk.subarray(total - written)), "the rest of the chunk");
  const back = await within(reading, "the echo of everything written");
  assert.equal(back.length, written + chunk.length);
  assert.ok(back.every((b) => b === 0x5a), "echoed bytes differ");
});

/** Whether this machine has an IPv6 loopback to test on. */
function hasIPv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    console.log("skip: no IPv6 loopback (::1) on this machine");
    return false;
  }
}

Deno.test({
  name: "echo over IPv6: server on ::1, client to [::1]:PORT, TCP and UDP",
  ignore: !hasIPv6Loopback(),
  async fn() {
    await using server = await startSockit(
      ["echo", "--host", "::1", "--port", "0", "--transport", "both"],
      { transports: 2 },
    );
    assert.equal(server.listening[0].host, "::1");
    for (const udp of [[], ["--udp"]]) {
      const { code, stdout } = await runSockit([
        "echo",
        "--to",
        `[::1]:${server.port}`,
        "-c",
        "2",
        "-i",
        "0",
        ...udp,
      ]);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /2 sent, 2 received, 0 mismatched, 0% loss/);
    }
  },
});

// ---------------------------------------------------------------- shutdown

Deno.test("echo server: SIGTERM with clients connected exits 0 within 2 s; they see EOF", async () => {
  await using server = await startSockit(["echo", "--port", "0"]);
  const conns = await Promise.all(Array.from({ length: 3 }, () => connect(server.port)));
  const ping = new Uint8Array([7]);
  for (const c of conns) assertSameBytes(await echoBack(c, ping), ping);
  const began = performance.now();
  const status = await within(server.stop("SIGTERM"), "exit after SIGTERM");
  const ms = performance.now() - began;
  assert.equal(status.code, 0);
  assert.ok(ms < 2000, `exited after ${Math.round(ms)} ms; the README says within 2 s`);
  for (const c of conns) {
    assert.equal(await readToEnd(c), 0, "the client sees EOF");
    c.close();
  }
  const rest = await server.stdout.rest();
  assert.equal(rest.length, 1, JSON.stringify(rest));
  assert.match(rest[0], /^echo: stopped after \S+; 3 connections, 3 at most at once, /);
  assert.ok(
    (await server.stderr.rest()).includes("SIGTERM: shutting down (again to exit at once)"),
  );
});

Deno.test("echo server: a second signal during shutdown exits at once", async () => {
  // Stopped, the process cannot act between the two signals: both are pending when it
  // continues, so the second normally lands during the shutdown the first began. (SIGTERM
  // then SIGINT, because two pending SIGTERMs merge into one.) Echo's shutdown takes a few
  // milliseconds, so now and then it finishes before the second signal is read; that run
  // proves nothing either way and the next attempt decides. A broken second-signal path
  // fails every attempt.
  const outcomes: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    await using server = await startSockit(["echo", "--port", "0"]);
    const conns = await Promise.all(Array.from({ length: 10 }, () => connect(server.port)));
    try {
      const ping = new Uint8Array([7]);
      for (const c of conns) assertSameBytes(await echoBack(c, ping), ping);
      Deno.kill(server.proc.pid, "SIGSTOP");
      server.proc.kill("SIGTERM");
      server.proc.kill("SIGINT");
      Deno.kill(server.proc.pid, "SIGCONT");
      const status = await within(server.stop(), "exit after two signals");
      const err = await server.stderr.rest();
      if (status.code === 130) {
        assert.ok(err.some((l) => / again, exiting now$/.test(l)), JSON.stringify(err));
        if (attempt > 1) console.log(`exited at once on attempt ${attempt}: ${outcomes}`);
        return;
      }
      outcomes.push(`exit ${status.code}`);
    } finally {
      for (const c of conns) c.close();
    }
  }
  assert.fail(`the second signal never made it exit at once: ${outcomes.join(", ")}`);
});

// ---------------------------------------------------------------- workers

Deno.test({
  name: "echo server: --workers 3 spreads connections across threads",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startSockit(["echo", "--port", "0", "--workers", "3", "--json"]);
    const conns = await Promise.all(Array.from({ length: 60 }, () => connect(server.port)));
    try {
      const replies = await Promise.all(conns.map((c, i) => echoBack(c, new Uint8Array([i]))));
      replies.forEach((got, i) => assertSameBytes(got, new Uint8Array([i]), `client ${i}`));
      const threads = new Map<string, number>();
      for (let seen = 0; seen < 60;) {
        const event = JSON.parse((await server.stdout.next())!);
        if (event.event !== "connect") continue;
        seen++;
        const thread = /^(w\d+)\./.exec(event.id)?.[1] ?? "main";
        threads.set(thread, (threads.get(thread) ?? 0) + 1);
      }
      console.log(`connections per thread: ${JSON.stringify(Object.fromEntries(threads))}`);
      assert.ok(threads.size > 1, `all 60 accepted by one thread: ${[...threads.keys()]}`);
    } finally {
      for (const c of conns) c.close();
    }
    assert.equal((await server.stop()).code, 0);
    const summary = events(await server.stdout.rest()).find((e) => e.event === "summary");
    assert.equal(summary?.connections, 60, JSON.stringify(summary));
  },
});

Deno.test({
  name: "echo server: --workers reports the real peak across threads, not each thread's added",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startSockit(["echo", "--port", "0", "--workers", "2", "--json"]);
    // One connection at a time, until both threads have served some (bounded): the
    // peak is 1 however the kernel spread them; adding each thread's peak says 2.
    const threads = new Set<string>();
    let served = 0;
    while (served < 6 || (threads.size < 2 && served < 40)) {
      const conn = await connect(server.port);
      try {
        assertSameBytes(await echoBack(conn, new Uint8Array([served])), new Uint8Array([served]));
      } finally {
        conn.close();
      }
      const gone = JSON.parse(await server.stdout.until((l) => l.includes('"disconnect"')));
      threads.add(/^(w\d+)\./.exec(gone.id)?.[1] ?? "main");
      served++;
    }
    assert.equal(threads.size, 2, `${served} connections all went to one thread`);
    assert.equal((await server.stop()).code, 0);
    const summary = events(await server.stdout.rest()).find((e) => e.event === "summary");
    assert.equal(summary?.connections, served, JSON.stringify(summary));
    assert.equal(summary?.maxOpen, 1, JSON.stringify(summary));
  },
});

Deno.test({
  name: "echo server: --max-conns caps the total over all --workers threads",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startSockit([
      "echo",
      "--port",
      "0",
      "--workers",
      "3",
      "--max-conns",
      "2",
      "--json",
    ]);
    const conns: Deno.TcpConn[] = [];
    try {
      // Each client either gets its byte back (served) or is closed at once (rejected);
      // wherever the kernel sends each, only two may be open at a time.
      const served: Deno.TcpConn[] = [];
      for (let i = 0; i < 8; i++) {
        const conn = await connect(server.port);
        conns.push(conn);
        await conn.write(new Uint8Array([i])).catch(() => {});
        const got = await within(readN(conn, 1).catch(() => new Uint8Array()), `client ${i}`);
        if (got.length === 1) served.push(conn);
      }
      assert.equal(served.length, 2, "clients served at once with --max-conns 2 --workers 3");
      // One leaves; once the server has seen it go, a newcomer is served.
      served[0].close();
      await server.stdout.until((l) => l.includes('"event":"disconnect"'));
      const late = await connect(server.port);
      conns.push(late);
      assertSameBytes(await echoBack(late, new Uint8Array([9])), new Uint8Array([9]));
    } finally {
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed above */ }
      }
    }
  },
});

// ---------------------------------------------------------------- UDP server

Deno.test("echo server: UDP datagrams are answered to their sender", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--transport", "udp"]);
  assert.equal(server.listening[0].transport, "udp");
  const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  try {
    const to: Deno.NetAddr = { transport: "udp", hostname: LOOPBACK, port: server.port };
    for (const payload of [new Uint8Array([0, 0xff, 0xc0]), randomBytes(1400)]) {
      await socket.send(payload, to);
      const [got, from] = await within(socket.receive(), "UDP echo");
      assertSameBytes(got, payload);
      assert.equal((from as Deno.NetAddr).port, server.port);
    }
  } finally {
    socket.close();
  }
});

Deno.test("echo server: --transport both listens on the same port for TCP and UDP", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--transport", "both"], {
    transports: 2,
  });
  assert.deepEqual(server.listening.map((l) => l.transport), ["tcp", "udp"]);
  assert.equal(server.listening[0].port, server.listening[1].port);
  const { code, stdout } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "2",
    "-i",
    "0",
  ]);
  assert.equal(code, 0, stdout);
});

/** Binds UDP 127.0.0.1:19 (chargen's port), or says why it cannot. */
function bindPort19(): Deno.DatagramConn | string {
  try {
    return Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 19 });
  } catch (err) {
    if (err instanceof Deno.errors.PermissionDenied) {
      return "binding UDP port 19 needs root or CAP_NET_BIND_SERVICE";
    }
    if (err instanceof Deno.errors.AddrInUse) return "UDP port 19 is in use";
    throw err;
  }
}

Deno.test("echo server: a datagram from source port 19 gets no reply and is counted", async () => {
  const chargen = bindPort19();
  if (typeof chargen === "string") {
    console.log(`skip: ${chargen}`);
    return;
  }
  const high = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  try {
    await using server = await startSockit([
      "echo",
      "--port",
      "0",
      "--transport",
      "udp",
      "--json",
    ]);
    const to: Deno.NetAddr = { transport: "udp", hostname: LOOPBACK, port: server.port };
    await chargen.send(new TextEncoder().encode("from 19"), to);
    await high.send(new TextEncoder().encode("from high"), to);
    // The server reads datagrams in order, so once the second is answered the first has
    // been handled: any reply to it would already be queued on port 19 ...
    const [reply] = await within(high.receive(), "reply to the high port");
    assert.equal(new TextDecoder().decode(reply), "from high");
    // ... ahead of this marker port 19 sends itself now. It arrives first: no reply.
    const marker = new TextEncoder().encode("marker");
    await chargen.send(marker, chargen.addr);
    const [first, from] = await within(chargen.receive(), "the marker");
    assert.equal((from as Deno.NetAddr).port, 19, "port 19 got a datagram from the server");
    assertSameBytes(first, marker);

    const drop = JSON.parse(await server.stdout.until((l) => l.includes('"drop"')));
    assert.deepEqual(drop, {
      event: "drop",
      transport: "udp",
      peer: "127.0.0.1:19",
      reason: "low-port",
      bytes: 7,
      count: 1,
    });
    assert.equal((await server.stop()).code, 0);
    const summary = events(await server.stdout.rest()).find((e) => e.event === "summary");
    assert.equal(summary?.datagrams, 2);
    assert.deepEqual(summary?.dropped, { "low-port": 1 });
  } finally {
    chargen.close();
    high.close();
  }
});

// ---------------------------------------------------------------- client

Deno.test("echo client: exit 0 against a healthy server", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  const { code, stdout, stderr } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "3",
    "-i",
    "0",
    "--size",
    "1000",
  ]);
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines[0], `ECHO 127.0.0.1:${server.port} (tcp): 3 probes`);
  for (let seq = 1; seq <= 3; seq++) {
    assert.match(lines[seq], new RegExp(`^1000 bytes from 127\\.0\\.0\\.1:\\d+: seq=${seq} time=`));
  }
  assert.ok(lines.includes("3 sent, 3 received, 0 mismatched, 0% loss"), stdout);
  assert.match(
    lines.at(-1)!,
    /^round trip min\/avg\/max\/p99 = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/,
  );
});

Deno.test("echo client: probes larger than 64 KiB, and than both socket buffers, pass", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  // 70 000 bytes once broke the random payload (64 KiB per getRandomValues call);
  // 10 MB deadlocked a client that wrote the whole probe before reading any of it.
  for (const size of ["70000", "10000000"]) {
    const { code, stdout, stderr } = await runSockit([
      "echo",
      "--to",
      `127.0.0.1:${server.port}`,
      "-c",
      "2",
      "-i",
      "0",
      "--size",
      size,
    ]);
    assert.equal(code, 0, `--size ${size}: ${stdout}\n${stderr}`);
    assert.match(stdout, new RegExp(`^${size} bytes from .*seq=2 time=`, "m"));
  }
});

Deno.test("echo client: exit 1 when the server corrupts a byte", async () => {
  let flipped = false;
  await using server = fakeTcpServer(async (conn) => {
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      if (!flipped) {
        buf[3] ^= 0x01; // one bit of one byte, once
        flipped = true;
      }
      await writeAll(conn, buf.subarray(0, n));
    }
  });
  const { code, stdout, stderr } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
    "--message",
    "abcdef",
  ]);
  assert.equal(code, 1, stderr);
  assert.match(stdout, /seq=1 MISMATCH at byte 3: sent 0x64, got 0x65/);
  assert.match(stdout, /seq=2 time=/);
  assert.match(stdout, /2 sent, 2 received, 1 mismatched/);
});

Deno.test("echo client: exit 4 for a closed port, one line on stderr", async () => {
  const port = await refusedPort();
  const { code, stdout, stderr } = await runSockit(["echo", "--to", `127.0.0.1:${port}`]);
  assert.equal(code, 4, stderr);
  assert.equal(stdout, "");
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.match(stderr, new RegExp(`^sockit: dial tcp 127\\.0\\.0\\.1:${port}: connection refused`));
});

Deno.test("echo client: exit 5 when the server accepts and never answers", async () => {
  await using server = fakeTcpServer(async (conn) => {
    await readAll(conn).catch(() => {}); // swallow everything, answer nothing
  });
  const { code, stdout, stderr } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "--timeout",
    "1s",
  ]);
  assert.equal(code, 5, `${stdout}\n${stderr}`);
  assert.match(stdout, /seq=1 lost/);
  assert.match(stderr, /no reply within 1s/);
});

// A listener whose accept queue is full drops new SYNs: the connect itself hangs.
const FULL_QUEUE_LISTENER = `
import signal, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", port)); held.append(c)
print(port, file=sys.stderr, flush=True)
signal.pause()  # until the test ends it (SIGTERM)
`;

Deno.test({
  name: "echo client: exit 5 when connecting hangs, cut off by --timeout",
  ignore: missing("python3"),
  fn: async () => {
    await using peer = spawnPeer("python3", ["-c", FULL_QUEUE_LISTENER], { stderr: true });
    const port = Number(await peer.stderr!.next());
    const { code, stdout, stderr } = await runSockit([
      ...["echo", "--to", `127.0.0.1:${port}`, "--timeout", "500ms"],
    ]);
    assert.equal(code, 5, stderr);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `sockit: dial tcp 127.0.0.1:${port}: timed out after 500ms (raise --timeout if the peer is slow)\n`,
    );
  },
});

Deno.test("echo client: SIGINT stops it with 130 and still prints the summary", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  const { cmd, args } = sockitCommand([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "100",
    "-i",
    "1s",
  ]);
  const client = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).spawn();
  const out = new LineReader(client.stdout);
  try {
    await out.until((l) => / seq=1 time=/.test(l)); // running, waiting for probe 2
    client.kill("SIGINT");
    const status = await within(client.status, "exit after SIGINT");
    assert.equal(status.code, 130);
    const rest = await out.rest();
    assert.ok(rest.some((l) => /^1 sent, 1 received, 0 mismatched, 0% loss$/.test(l)), `${rest}`);
  } finally {
    await out.cancel();
  }
});

Deno.test("echo client: --json prints start, one object per probe, and a summary", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
  const { code, stdout } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
    "--json",
  ]);
  assert.equal(code, 0);
  const [start, p1, p2, summary, ...rest] = events(stdout.trimEnd().split("\n"));
  assert.deepEqual(rest, []);
  assert.deepEqual(start, {
    event: "start",
    transport: "tcp",
    to: `127.0.0.1:${server.port}`,
    count: 2,
  });
  for (const [i, probe] of [p1, p2].entries()) {
    assert.deepEqual(Object.keys(probe), ["event", "seq", "bytes", "status", "rttMs"]);
    assert.equal(probe.event, "probe");
    assert.equal(probe.seq, i + 1);
    assert.equal(probe.bytes, 64);
    assert.equal(probe.status, "ok");
    assert.equal(typeof probe.rttMs, "number");
  }
  assert.deepEqual(Object.keys(summary), [
    "event",
    "to",
    "sent",
    "received",
    "mismatched",
    "lost",
    "unsent",
    "lossPercent",
    "rttMs",
    "ok",
    "interrupted",
  ]);
  assert.equal(summary.sent, 2);
  assert.equal(summary.received, 2);
  assert.equal(summary.lost, 0);
  assert.equal(summary.ok, true);
  assert.deepEqual(Object.keys(summary.rttMs as object), ["min", "avg", "max", "p99"]);
});

Deno.test("echo client: UDP probes against sockit's UDP echo", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--transport", "udp"]);
  const { code, stdout } = await runSockit([
    "echo",
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "3",
    "-i",
    "0",
    "--size",
    "1400",
  ]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^ECHO 127\.0\.0\.1:\d+ \(udp\): 3 probes$/m);
  assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
});
