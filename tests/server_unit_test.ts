/**
 * Unit tests of the server runtime's pure parts (UDP source guard, summary, stats,
 * the echo worker plan) and of its life cycle in-process over loopback: accept,
 * --max-conns, idle timeout, graceful shutdown on a stop signal.
 */

import assert from "node:assert/strict";
import { workerPlan } from "../commands/echo/server.ts";
import { echoConnection } from "../commands/echo/server.ts";
import type { StopSignal } from "../lib/io.ts";
import { createOutput } from "../lib/output.ts";
import {
  emptyStats,
  listen,
  mergeStats,
  serve,
  type ServerSpec,
  summaryLine,
  udpDropReason,
} from "../lib/server/mod.ts";
import { fakeIo, readAll, readN, writeAll } from "./helpers.ts";

const udp = (hostname: string, port = 40000): Deno.NetAddr => ({
  transport: "udp",
  hostname,
  port,
});

Deno.test("udpDropReason: source ports below 1024 are dropped (echo/chargen loops)", () => {
  for (const port of [0, 7, 19, 53, 1023]) {
    assert.equal(udpDropReason(udp("127.0.0.1", port)), "low-port", String(port));
  }
  assert.equal(udpDropReason(udp("::1", 19)), "low-port");
  assert.equal(udpDropReason(udp("127.0.0.1", 1024)), undefined);
  assert.equal(udpDropReason(udp("127.0.0.1", 65535)), undefined);
});

Deno.test("udpDropReason: broadcast and multicast senders are dropped", () => {
  const dropped = [
    "255.255.255.255",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "::ffff:224.0.0.251",
    "::FFFF:255.255.255.255",
    "::",
    "ff02::1",
    "FF05::1:3",
  ];
  for (const host of dropped) assert.equal(udpDropReason(udp(host)), "broadcast", host);
});

Deno.test("udpDropReason: ordinary unicast senders are answered", () => {
  const answered = [
    "127.0.0.1",
    "10.0.0.1",
    "192.168.1.255", // a directed broadcast cannot be told from a host without the netmask
    "223.255.255.255",
    "240.0.0.1",
    "::1",
    "::ffff:127.0.0.1",
    "fe80::1",
    "2001:db8::ff",
  ];
  for (const host of answered) assert.equal(udpDropReason(udp(host)), undefined, host);
});

Deno.test("mergeStats: adds every number and every drop reason, keeps the larger peak", () => {
  const a = emptyStats();
  Object.assign(a, { connections: 2, rejected: 1, maxOpen: 2, bytesIn: 10, bytesOut: 10 });
  a.dropped = { "low-port": 1 };
  const b = {
    connections: 3,
    rejected: 0,
    maxOpen: 3,
    bytesIn: 5,
    bytesOut: 4,
    datagrams: 7,
    dropped: { "low-port": 2, broadcast: 1 },
    acceptErrors: 1,
    handlerErrors: 2,
    tlsFailed: 1,
    denied: 4,
    overPerIp: 2,
  };
  const merged = mergeStats(a, b);
  assert.equal(merged, a);
  assert.deepStrictEqual(merged, {
    connections: 5,
    rejected: 1,
    maxOpen: 3, // both saw the count across threads: the peak is the larger
    bytesIn: 15,
    bytesOut: 14,
    datagrams: 7,
    dropped: { "low-port": 3, broadcast: 1 },
    acceptErrors: 1,
    handlerErrors: 2,
    tlsFailed: 1,
    denied: 4,
    overPerIp: 2,
  });
  assert.deepStrictEqual(b.dropped, { "low-port": 2, broadcast: 1 }, "the source is unchanged");
  assert.deepStrictEqual(mergeStats(emptyStats(), emptyStats()), emptyStats());
});

Deno.test("summaryLine: one line with the numbers, and the same numbers as fields", () => {
  const stats = emptyStats();
  Object.assign(stats, { connections: 1, maxOpen: 1, bytesIn: 5, bytesOut: 5 });
  const quiet = summaryLine("echo", stats, 1500.4);
  assert.equal(
    quiet.text,
    "echo: stopped after 1.5s; 1 connection, 1 at most at once, 5 bytes in, 5 bytes out",
  );
  assert.equal(quiet.fields.command, "echo");
  assert.equal(quiet.fields.uptimeMs, 1500);
  assert.equal(quiet.fields.connections, 1);

  Object.assign(stats, {
    connections: 12,
    maxOpen: 4,
    rejected: 2,
    bytesIn: 65536,
    bytesOut: 3 * 1024 ** 2,
    datagrams: 9,
    dropped: { "low-port": 2, broadcast: 1 },
  });
  const busy = summaryLine("daytime", stats, 120_000, { clients: 3 });
  assert(!busy.text.includes("\n"));
  assert.equal(
    busy.text,
    "daytime: stopped after 2m; 12 connections, 4 at most at once, 2 rejected over --max-conns, " +
      "64KiB in, 3MiB out, 9 datagrams, 3 dropped by the source guard, clients 3",
  );
  assert.deepStrictEqual(busy.fields.dropped, { "low-port": 2, broadcast: 1 });
  Object.assign(stats, { rejected: 0, bytesIn: 1, bytesOut: 1, datagrams: 1, dropped: {} });
  assert.match(summaryLine("echo", stats, 5).text, /, 1 byte in, 1 byte out, 1 datagram$/);
  assert.equal(busy.fields.clients, 3);
  assert.equal(busy.fields.bytesIn, 65536);
});

Deno.test("workerPlan: Linux honours --workers N", () => {
  assert.deepStrictEqual(workerPlan("linux", 4), { threads: 4 });
  assert.deepStrictEqual(workerPlan("linux", 1), { threads: 1 });
});

Deno.test("workerPlan: macOS and Windows serve with one listener and say why", () => {
  for (const os of ["darwin", "windows"] as const) {
    const plan = workerPlan(os, 4);
    assert.equal(plan.threads, 1, os);
    assert.match(plan.note!, /^sockit: --workers 4: /);
    assert.match(plan.note!, /Linux-only/);
    assert(plan.note!.includes(os));
    assert.deepStrictEqual(workerPlan(os, 1), { threads: 1 }, "nothing to say for 1");
  }
});

// --- the runtime in-process, over loopback -----------------------------------------

function echoSpec(extra: Partial<ServerSpec> = {}): ServerSpec {
  return {
    name: "echo",
    host: "127.0.0.1",
    port: 0,
    transport: "tcp",
    tcp: echoConnection,
    ...extra,
  };
}

const te = new TextEncoder();

Deno.test("listen: serves, counts, logs connect/disconnect, and shuts down closing clients", async () => {
  const io = fakeIo();
  const server = listen(echoSpec(), { out: createOutput(io, { json: true }) });
  const [addr] = server.addrs;
  assert.equal(addr.hostname, "127.0.0.1");
  assert(addr.port > 0);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
  try {
    await writeAll(conn, te.encode("ping"));
    assert.deepStrictEqual(await readN(conn, 4), te.encode("ping"));
    assert.equal(server.connections.size, 1);
    const stats = await server.shutdown();
    assert.deepStrictEqual(await readAll(conn), new Uint8Array(0), "the client sees EOF");
    assert.equal(stats.connections, 1);
    assert.equal(stats.bytesIn, 4);
    assert.equal(stats.bytesOut, 4);
    assert.equal(await server.finished, stats);
    assert.equal(server.connections.size, 0);
  } finally {
    conn.close();
  }
  const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
  assert.deepStrictEqual(events.map((e) => e.event), ["connect", "disconnect"]);
  assert.equal(events[1].reason, "shutdown");
  assert.equal(events[1].bytesIn, 4);
});

Deno.test("listen: --max-conns turns away the connection over the limit", async () => {
  const io = fakeIo();
  const server = listen(echoSpec({ maxConns: 1 }), { out: createOutput(io) });
  const port = server.addrs[0].port;
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  const second = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(first, te.encode("a"));
    assert.deepStrictEqual(await readN(first, 1), te.encode("a"));
    assert.deepStrictEqual(await readAll(second), new Uint8Array(0), "closed at once");
    await writeAll(first, te.encode("b"));
    assert.deepStrictEqual(await readN(first, 1), te.encode("b"), "the first is unharmed");
  } finally {
    first.close();
    second.close();
  }
  const stats = await server.shutdown();
  assert.equal(stats.rejected, 1);
  assert.equal(stats.connections, 1);
  assert.match(io.stderrText(), /reject 127\.0\.0\.1:\d+: 1 connections open \(--max-conns\)/);
});

Deno.test("listen: the idle timeout closes a silent connection with reason timeout", async () => {
  const io = fakeIo();
  const server = listen(echoSpec({ idleTimeout: 100 }), { out: createOutput(io) });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addrs[0].port });
  try {
    assert.deepStrictEqual(await readAll(conn), new Uint8Array(0)); // waits for the close
  } finally {
    conn.close();
  }
  await server.shutdown();
  assert.match(io.stderrText(), /disconnect #1 127\.0\.0\.1:\d+ after .*\(timeout\)/);
});

Deno.test("listen: a port in use is a ListenError (exit 7) naming the address", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(
      () => listen(echoSpec({ port: taken.addr.port }), { out: createOutput(fakeIo()) }),
      (err: Error & { exitCode?: number }) => {
        assert.equal(err.exitCode, 7);
        assert.equal(
          err.message,
          `listen tcp 127.0.0.1:${taken.addr.port}: address already in use`,
        );
        return true;
      },
    );
  } finally {
    taken.close();
  }
});

Deno.test("listen: --transport both binds TCP and UDP on the same port", async () => {
  const server = listen(echoSpec({ transport: "both", udp: () => {} }), {
    out: createOutput(fakeIo()),
  });
  try {
    assert.deepStrictEqual(server.addrs.map((a) => a.transport), ["tcp", "udp"]);
    assert.equal(server.addrs[0].port, server.addrs[1].port);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve: listening line first, a stop signal shuts down gracefully with a summary", async () => {
  let signal: ((s: StopSignal) => void) | undefined;
  let unsubscribed = false;
  const io = fakeIo({
    onSignal(listener) {
      signal = listener;
      return () => void (unsubscribed = true);
    },
  });
  // serve prints the listening line once bound: wait for that write, not for time.
  const { promise: announced, resolve: announce } = Promise.withResolvers<void>();
  const write = io.stdout.write;
  io.stdout = { isTerminal: false, write: (text) => (write(text), announce()) };
  const out = createOutput(io);
  const running = serve(echoSpec(), { io, out });
  await announced;
  const m = /^listening on tcp 127\.0\.0\.1:(\d+)\n$/.exec(io.stdoutText());
  assert(m, io.stdoutText());
  assert(signal, "subscribed to stop signals before announcing");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(m[1]) });
  try {
    await writeAll(conn, te.encode("x"));
    await readN(conn, 1);
    signal("SIGTERM");
    assert.equal(await running, 0);
    assert.deepStrictEqual(await readAll(conn), new Uint8Array(0));
  } finally {
    conn.close();
  }
  assert(unsubscribed);
  const lines = io.stdoutText().trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^echo: stopped after .*; 1 connection, 1 at most at once, 1 byte in/);
  assert.match(io.stderrText(), /SIGTERM: shutting down/);
});
