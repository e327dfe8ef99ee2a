/**
 * Integration tests of `sockit daytime`: the real CLI over loopback sockets — each
 * format over TCP and UDP, RFC 868 time, the local zone, many clients at once, JSON
 * events, tracing, the default ports, usage errors and shutdown.
 */

import assert from "node:assert/strict";
import { DAYTIME_FORMATS } from "../lib/daytime_format.ts";
import { assertNow, startDaytimeServers } from "./daytime_servers.ts";
import { fromRfc868 } from "../lib/time.ts";
import { readAll, runSockit, startSockit, within } from "./helpers.ts";

const LOOPBACK = "127.0.0.1";
const td = new TextDecoder();

/** Connects, reads to EOF (the server closes after its line), returns the text. */
async function readLine(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: LOOPBACK, port });
  try {
    return td.decode(await readAll(conn));
  } finally {
    conn.close();
  }
}

/** Sends one datagram and waits for the answer (bounded, so a bug fails, not hangs). */
async function askUdp(port: number, payload = new Uint8Array([0x0a])): Promise<Uint8Array> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  try {
    await socket.send(payload, { transport: "udp", hostname: LOOPBACK, port });
    const [data] = await within(socket.receive(), "UDP answer", 5000);
    return data;
  } finally {
    socket.close();
  }
}

Deno.test("daytime: every format over TCP is one line naming the current second, then EOF", async () => {
  await using daytime = await startDaytimeServers("tcp");
  for (const [i, format] of DAYTIME_FORMATS.entries()) {
    const text = await readLine(daytime.servers[i].port);
    assert.match(text, format === "nist" ? /^\n[^\n]+\n$/ : /^[^\r\n]+\r\n$/, format);
    assertNow(text, format);
  }
});

Deno.test("daytime: rfc867 is RFC 867's example style; --utc says UTC, TZ sets the local zone", async () => {
  await using utc = await startSockit(["daytime", "--port", "0", "--utc", "--quiet"]);
  await using la = await startSockit(["daytime", "--port", "0", "--quiet"], {
    env: { TZ: "America/Los_Angeles" },
  });
  const utcText = await readLine(utc.port);
  assert.match(utcText, /^[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/);
  const laText = await readLine(la.port);
  assert.match(laText, /-P[SD]T\r\n$/);
  assertNow(laText, "rfc867");
});

Deno.test("daytime: --transport both answers TCP and UDP on one port", async () => {
  await using server = await startSockit(
    ["daytime", "--port", "0", "--transport", "both", "--format", "iso", "--utc"],
    { transports: 2 },
  );
  assert.deepEqual(server.listening.map((l) => l.transport), ["tcp", "udp"]);
  assert.equal(server.listening[0].port, server.listening[1].port);
  assertNow(await readLine(server.port), "iso");
  const datagram = td.decode(await askUdp(server.port));
  assert.match(datagram, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\r\n$/);
  assertNow(datagram, "iso");
});

Deno.test("daytime: a UDP datagram from a source port below 1024 is dropped and logged", async () => {
  await using server = await startSockit(
    ["daytime", "--port", "0", "--transport", "udp"],
  );
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 1013 });
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.AddrInUse)) {
      throw err;
    }
    console.log(`skip: cannot bind UDP port 1013 here (${(err as Error).name})`);
    return;
  }
  try {
    await socket.send(new Uint8Array([0x0a]), {
      transport: "udp",
      hostname: LOOPBACK,
      port: server.port,
    });
    const line = await server.stderr.until((l) => l.startsWith("drop datagram"));
    assert.match(line, /from 127\.0\.0\.1:1013: source port below 1024/);
  } finally {
    socket.close();
  }
});

Deno.test("daytime --protocol time: 4 big-endian bytes of seconds since 1900, over TCP and UDP", async () => {
  await using server = await startSockit(
    ["daytime", "--protocol", "time", "--port", "0", "--transport", "both"],
    { transports: 2 },
  );
  const conn = await Deno.connect({ hostname: LOOPBACK, port: server.port });
  const bytes = await readAll(conn);
  conn.close();
  assert.equal(bytes.length, 4);
  const told = fromRfc868(new DataView(bytes.buffer).getUint32(0), Date.now());
  assert.ok(Math.abs(told - Date.now()) < 2000);
  const datagram = await askUdp(server.port, new Uint8Array(0)); // RFC 868: an empty datagram
  assert.equal(datagram.length, 4);
});

Deno.test("daytime: 200 clients at once each get their line", async () => {
  await using server = await startSockit(["daytime", "--port", "0", "--quiet", "--format", "unix"]);
  const texts = await Promise.all(Array.from({ length: 200 }, () => readLine(server.port)));
  for (const text of texts) assert.match(text, /^\d{10}\r\n$/);
});

Deno.test("daytime: --json logs listening, connect and disconnect events; SIGTERM gives the summary", async () => {
  await using server = await startSockit(["daytime", "--port", "0", "--json"]);
  await readLine(server.port);
  const connect = JSON.parse(await server.stdout.until((l) => l.includes('"connect"')));
  assert.equal(connect.transport, "tcp");
  const disconnect = JSON.parse(await server.stdout.until((l) => l.includes('"disconnect"')));
  assert.ok(disconnect.bytesOut > 30);
  const status = await server.stop();
  assert.equal(status.code, 0);
  const summary = JSON.parse(await server.stdout.until((l) => l.includes('"summary"')));
  assert.equal(summary.command, "daytime");
  assert.equal(summary.connections, 1);
});

Deno.test("daytime: --trace dumps the line written", async () => {
  await using server = await startSockit(
    ["daytime", "--port", "0", "--trace", "--quiet", "--format", "unix"],
  );
  await readLine(server.port);
  const head = await server.stderr.until((l) => l.startsWith("write "));
  assert.match(head, /^write 12 bytes to 127\.0\.0\.1:\d+$/);
  assert.match((await server.stderr.next()) ?? "", /\|\d{10}\.\.\|$/);
});

Deno.test("daytime: without --port it binds 13, or 37 for --protocol time", async () => {
  // 192.0.2.1 (TEST-NET-1) is on no interface: the bind fails and names the port it tried.
  const day = await runSockit(["daytime", "--host", "192.0.2.1"]);
  assert.equal(day.code, 7);
  assert.match(day.stderr, /^sockit: listen tcp 192\.0\.2\.1:13: /);
  const time = await runSockit(["daytime", "--host", "192.0.2.1", "--protocol", "time"]);
  assert.equal(time.code, 7);
  assert.match(time.stderr, /^sockit: listen tcp 192\.0\.2\.1:37: /);
});

Deno.test("daytime: --format and --utc with --protocol time are usage errors", async () => {
  const format = await runSockit(["daytime", "--protocol", "time", "--format", "iso"]);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /^sockit: --format applies to --protocol daytime, not time/);
  const utc = await runSockit(["daytime", "--protocol", "time", "--utc"]);
  assert.equal(utc.code, 2);
  assert.match(utc.stderr, /^sockit: --utc applies to --protocol daytime, not time/);
  const bad = await runSockit(["daytime", "--format", "julian"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format: "julian" is not one of rfc867, nist, iso, rfc2822, unix/);
});

Deno.test("daytime on [::1], read by time-fetch over TCP and UDP (IPv6 both ways)", async () => {
  await using server = await startSockit(
    ["daytime", "--host", "::1", "--port", "0", "--transport", "both", "--quiet"],
    { transports: 2 },
  );
  assert.equal(server.listening[0].host, "::1");
  for (const udp of [[], ["--udp"]]) {
    const { code, stdout, stderr } = await runSockit(
      ["time-fetch", `[::1]:${server.port}`, ...udp, "--json"],
    );
    assert.equal(code, 0, stderr);
    const answer = JSON.parse(stdout);
    assert.equal(answer.address, `[::1]:${server.port}`);
    assert.ok(Math.abs(answer.offsetMs) < 1500);
  }
});
