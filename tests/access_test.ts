/**
 * Access control through the runtime, from several source addresses (127.0.0.2,
 * 127.0.0.3 ... are loopback too): `--allow` (repeatable, comma lists), `--deny` winning
 * over it, UDP datagrams dropped, IPv6 `::1`, `--max-conns-per-ip 2` turning away the
 * third from one address while another is served; refused peers closed at once without
 * a byte, logged and counted in the summary and `--json`; a bad CIDR is exit 2 naming it.
 */

import assert from "node:assert/strict";
import {
  assertEveryServerRefuses,
  assertSameBytes,
  refusedPort,
  runSockit,
  startSockit,
  within,
} from "./helpers.ts";
import { connectFrom } from "./access_helpers.ts";

const te = new TextEncoder();
const echoServer = (...flags: string[]) => startSockit(["echo", "--port", "0", ...flags]);
const linux = Deno.build.os === "linux"; // 127.0.0.2 and up are loopback without setup

async function served(source: string, port: number): Promise<boolean> {
  const client = await connectFrom(source, port);
  try {
    const bytes = te.encode(`from ${source}`);
    const got = await client.echo(bytes);
    if (got.length === 0) return false;
    assertSameBytes(got, bytes, source);
    return true;
  } finally {
    client.close();
  }
}

/** Connects from `source` and checks the server closes it without sending a byte. */
async function refused(source: string, port: number): Promise<void> {
  const client = await connectFrom(source, port);
  try {
    const got = await within(client.closed, `${source} to be closed at once`);
    assert.equal(got.length, 0, `${source}: closed without a byte`);
  } finally {
    client.close();
  }
}

Deno.test({
  name:
    "access: --allow serves only its addresses (repeatable, comma lists); others closed at once",
  ignore: !linux,
  async fn() {
    await using server = await echoServer(
      "--allow",
      "127.0.0.2",
      "--allow",
      "127.0.0.4/32,10.0.0.0/8",
    );
    assert.ok(await served("127.0.0.2", server.port));
    assert.ok(await served("127.0.0.4", server.port));
    await refused("127.0.0.3", server.port);
    await server.stderr.until((l) => /^denied 127\.0\.0\.3:\d+ \(tcp: not in --allow\)$/.test(l));
    await refused("127.0.0.1", server.port);
    assert.equal((await server.stop()).code, 0);
    const summary = (await server.stdout.rest()).at(-1)!;
    assert.match(summary, /2 connections, .*2 denied by --allow\/--deny/);
  },
});

Deno.test({
  name: "access: --deny wins over --allow, and --json logs and counts it",
  ignore: !linux,
  async fn() {
    await using server = await echoServer(
      "--allow",
      "127.0.0.0/8",
      "--deny",
      "127.0.0.3",
      "--json",
    );
    assert.ok(await served("127.0.0.2", server.port));
    await refused("127.0.0.3", server.port);
    const denied = JSON.parse(await server.stdout.until((l) => l.includes('"denied"')));
    assert.equal(denied.transport, "tcp");
    assert.match(denied.peer, /^127\.0\.0\.3:\d+$/);
    assert.equal(denied.rule, "--deny 127.0.0.3");
    assert.ok(await served("127.0.0.1", server.port));
    assert.equal((await server.stop()).code, 0);
    const summary = (await server.stdout.rest()).map((l) => JSON.parse(l))
      .find((e) => e.event === "summary");
    assert.equal(summary.denied, 1);
    assert.equal(summary.connections, 2);
  },
});

Deno.test({
  name: "access: a denied UDP datagram is dropped and counted; others are answered",
  ignore: !linux,
  async fn() {
    await using server = await echoServer("--transport", "udp", "--deny", "127.0.0.3");
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: server.port };
    const bad = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.3", port: 0 });
    const good = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port: 0 });
    try {
      await bad.send(te.encode("no"), to);
      await server.stderr.until((l) =>
        /^denied 127\.0\.0\.3:\d+ \(udp: --deny 127\.0\.0\.3\)/.test(l)
      );
      await good.send(te.encode("yes"), to);
      const [reply] = await good.receive();
      assertSameBytes(reply, te.encode("yes"), "the allowed sender's answer");
    } finally {
      bad.close();
      good.close();
    }
    assert.equal((await server.stop()).code, 0);
    assert.match(
      (await server.stdout.rest()).at(-1)!,
      /1 denied by --allow\/--deny, .*2 datagrams$/,
    );
  },
});

Deno.test({
  name: "access: IPv6 ::1 is matched by ::1 and ::/0, and refused by --deny ::1",
  async fn() {
    for (const [flags, ok] of [[["--allow", "::1"], true], [["--deny", "::/0"], false]] as const) {
      await using server = await startSockit(["echo", "--host", "::1", "--port", "0", ...flags]);
      const conn = await Deno.connect({ hostname: "::1", port: server.port });
      try {
        await conn.write(te.encode("six"));
        const buf = new Uint8Array(3);
        const n = await conn.read(buf).catch(() => null);
        assert.equal(n === 3, ok, flags.join(" "));
      } finally {
        conn.close();
      }
      if (!ok) await server.stderr.until((l) => l.startsWith("denied [::1]:"));
    }
  },
});

Deno.test({
  name: "access: --max-conns-per-ip 2 turns away a third from one address, not another's",
  ignore: !linux,
  async fn() {
    await using server = await echoServer("--max-conns-per-ip", "2");
    const a1 = await connectFrom("127.0.0.2", server.port);
    const a2 = await connectFrom("127.0.0.2", server.port);
    try {
      assert.equal((await a1.echo(te.encode("1"))).length, 1);
      assert.equal((await a2.echo(te.encode("2"))).length, 1);
      await refused("127.0.0.2", server.port);
      await server.stderr.until((l) =>
        /^reject 127\.0\.0\.2:\d+: 2 connections open from 127\.0\.0\.2 \(--max-conns-per-ip\)$/
          .test(l)
      );
      assert.ok(await served("127.0.0.3", server.port), "another address is still served");
      a1.close();
      await server.stderr.until((l) => l.startsWith("disconnect #1 "));
      assert.ok(await served("127.0.0.2", server.port), "one left: the address may connect again");
    } finally {
      a1.close();
      a2.close();
    }
    assert.equal((await server.stop()).code, 0);
    assert.match((await server.stdout.rest()).at(-1)!, /1 rejected over --max-conns-per-ip/);
  },
});

Deno.test("access: a bad CIDR is a usage error (exit 2) naming the flag and the value", async () => {
  const cases: [string[], RegExp][] = [
    [["--allow", "10.0.0.0/33"], /--allow: "10\.0\.0\.0\/33": the prefix length must be 0 to 32/],
    [["--deny", "127.0.0.1,nonsense"], /--deny: "nonsense" is not an IP address or CIDR block/],
    [["--allow", "::1/129"], /--allow: "::1\/129"/],
  ];
  await assertEveryServerRefuses(cases);
});

Deno.test({
  name: "access: daytime and chat-serve refuse through the same runtime",
  ignore: !linux,
  async fn() {
    for (const command of ["daytime", "chat-serve"]) {
      await using server = await startSockit([command, "--port", "0", "--deny", "127.0.0.3"]);
      await refused("127.0.0.3", server.port);
      await server.stderr.until((l) => l.startsWith("denied 127.0.0.3:"));
    }
  },
});

Deno.test({
  name: "access: with --workers, --max-conns-per-ip counts an address over every thread",
  ignore: !linux,
  async fn() {
    await using server = await echoServer("--workers", "3", "--max-conns-per-ip", "1");
    const first = await connectFrom("127.0.0.2", server.port);
    try {
      assert.equal((await first.echo(te.encode("1"))).length, 1);
      // Wherever the kernel sends them, none is served while the first is open.
      for (let i = 0; i < 6; i++) await refused("127.0.0.2", server.port);
      assert.ok(await served("127.0.0.3", server.port));
    } finally {
      first.close();
    }
  },
});

Deno.test("access: the 10th denied line says that further denials are sampled", async () => {
  await using server = await echoServer("--transport", "udp", "--deny", "127.0.0.1");
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: server.port };
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (let i = 0; i < 12; i++) await peer.send(te.encode("x"), to);
    const tenth = await server.stderr.until((l) =>
      l.startsWith("denied ") && l.includes("one line per 1000")
    );
    assert.match(
      tenth,
      /^denied 127\.0\.0\.1:\d+ \(udp: --deny 127\.0\.0\.1\) \(further denials: /,
    );
  } finally {
    peer.close();
  }
});

Deno.test("access: chat-serve --cluster says a bad CIDR is exit 2 before it dials Redis", async () => {
  // Nothing listens there: had it dialled, this would be exit 4 (refused).
  const redis = `redis://127.0.0.1:${await refusedPort()}`;
  const { code, stderr } = await runSockit(
    ["chat-serve", "--port", "0", "--cluster", redis, "--allow", "nonsense"],
  );
  assert.equal(code, 2, stderr);
  assert.match(stderr, /--allow: "nonsense" is not an IP address or CIDR block/);
});
