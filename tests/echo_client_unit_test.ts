/**
 * The echo client in-process with `fakeIo`: name resolution through the injected
 * resolver (never DNS), exit codes 0/1/3/4/5/130 against small in-process loopback
 * peers, and the pure parts (round-trip statistics, first difference).
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { firstDifference, rttSummary } from "../commands/echo/client.ts";
import { echo } from "../commands/echo/mod.ts";
import { runCli } from "../lib/cli.ts";
import { ResolveError } from "../lib/errors.ts";
import type { Io } from "../lib/io.ts";
import { fakeTcpServer, fakeUdpServer, replying } from "./fake_servers.ts";
import { type FakeIo, fakeIo, refusedPort } from "./helpers.ts";

const cli = { commands: [echo], version: "test" };

/** Runs `sockit echo ...args` in-process. */
async function runEcho(io: FakeIo, ...args: string[]) {
  const code = await runCli(["echo", ...args], io, cli);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

// --- name resolution ---------------------------------------------------------------

Deno.test("echo --to nowhere.invalid:7: exit 3, one line, only the injected resolver asked", async () => {
  const asked: string[] = [];
  const io = fakeIo({
    resolve(host) {
      asked.push(host);
      return Promise.reject(
        new ResolveError(`resolve ${host}: host not found`, {
          hint: "check the name, or give an IP address",
        }),
      );
    },
  });
  const { code, stdout, stderr } = await runEcho(io, "--to", "nowhere.invalid:7");
  assert.equal(code, 3);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    "sockit: resolve nowhere.invalid: host not found (check the name, or give an IP address)\n",
  );
  assert.deepStrictEqual(asked, ["nowhere.invalid"]);
});

Deno.test("echo --to with fakeIo's default resolver: a name it does not know is exit 3", async () => {
  for (const to of ["nowhere.invalid:7", "nowhere.invalid", "nowhere.invalid:7 "]) {
    const { code, stderr } = await runEcho(fakeIo(), "--to", to.trim(), "--udp");
    assert.equal(code, 3, to);
    assert.match(stderr, /^sockit: resolve nowhere\.invalid: host not found/);
    assert.equal(stderr.split("\n").length, 2, "one line");
  }
});

Deno.test("echo --to NAME:PORT connects to the address the injected resolver gives", async () => {
  await using server = fakeTcpServer(replying((bytes) => bytes));
  const io = fakeIo({
    resolve: (host) => Promise.resolve(host === "echo.test" ? ["127.0.0.1"] : []),
  });
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `echo.test:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
  );
  assert.equal(code, 0, io.stderrText());
  assert.match(stdout, new RegExp(`^ECHO echo\\.test:${server.port} \\(tcp\\): 2 probes\\n`));
});

// --- exit codes against loopback peers ---------------------------------------------

Deno.test("echo client: every probe intact → exit 0, ping-like lines and a summary", async () => {
  await using server = fakeTcpServer(replying((bytes) => bytes));
  const io = fakeIo();
  const { code, stdout, stderr } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "3",
    "-i",
    "0",
    "--size",
    "100",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  const lines = stdout.trim().split("\n");
  assert.equal(lines[0], `ECHO 127.0.0.1:${server.port} (tcp): 3 probes`);
  for (let seq = 1; seq <= 3; seq++) {
    assert.match(lines[seq], new RegExp(`^100 bytes from 127\\.0\\.0\\.1:\\d+: seq=${seq} time=`));
  }
  assert.equal(lines[4], `--- 127.0.0.1:${server.port} echo statistics ---`);
  assert.equal(lines[5], "3 sent, 3 received, 0 mismatched, 0% loss");
  assert.match(lines[6], /^round trip min\/avg\/max\/p99 = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/);
});

Deno.test("echo client --json: every stdout line is one JSON object", async () => {
  await using server = fakeTcpServer(replying((bytes) => bytes));
  const io = fakeIo();
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
    "--message",
    "hello",
    "--json",
  );
  assert.equal(code, 0, io.stderrText());
  const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepStrictEqual(events.map((e) => e.event), ["start", "probe", "probe", "summary"]);
  assert.equal(events[1].bytes, 5);
  assert.equal(events[1].status, "ok");
  assert.equal(typeof events[1].rttMs, "number");
  assert.equal(events[3].ok, true);
  assert.equal(events[3].lossPercent, 0);
  assert.deepStrictEqual(Object.keys(events[3].rttMs), ["min", "avg", "max", "p99"]);
});

Deno.test("echo client: a server that corrupts a byte → exit 1 naming the byte", async () => {
  await using server = fakeTcpServer(replying((bytes) => {
    bytes[2] ^= 0xff;
    return bytes;
  }));
  const io = fakeIo();
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
    "--message",
    "hello",
  );
  assert.equal(code, 1, io.stderrText());
  assert.match(stdout, /seq=1 MISMATCH at byte 2: sent 0x6c, got 0x93/);
  assert.match(stdout, /2 sent, 2 received, 2 mismatched, 0% loss/);
});

Deno.test("echo client: a closed port → exit 4, one line", async () => {
  const port = await refusedPort();
  const io = fakeIo();
  const { code, stdout, stderr } = await runEcho(io, "--to", `127.0.0.1:${port}`, "-c", "1");
  assert.equal(code, 4);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `sockit: dial tcp 127.0.0.1:${port}: connection refused (is a server listening there?)\n`,
  );
});

Deno.test("echo client: a server that accepts and never answers → exit 5", async () => {
  await using server = fakeTcpServer(replying(() => undefined));
  const io = fakeIo();
  const { code, stdout, stderr } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "2",
    "-i",
    "0",
    "--timeout",
    "200ms",
  );
  assert.equal(code, 5, stderr);
  assert.match(stdout, /seq=1 lost/);
  const last = stderr.trim().split("\n").at(-1)!;
  assert.match(last, /^sockit: echo 127\.0\.0\.1:\d+: no reply within 200ms \(.+\)$/);
});

Deno.test("echo client: a stop signal between probes → exit 130 with a summary", async () => {
  await using server = fakeTcpServer(replying((bytes) => bytes));
  const io = fakeIo();
  // Signal as soon as the first probe's line is printed; the 1 h interval would
  // otherwise keep the test waiting, so the signal must cut the pause short.
  const write = io.stdout.write;
  io.stdout = {
    isTerminal: false,
    write(text: string) {
      write(text);
      if (/seq=1 /.test(text)) io.signal("SIGINT");
    },
  } satisfies Io["stdout"];
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "-c",
    "5",
    "-i",
    "1h",
  );
  assert.equal(code, 130, io.stderrText());
  // Probes never sent because of the signal are not lost (like ping).
  assert.match(stdout, /1 sent, 1 received, 0 mismatched, 0% loss/);
  assert.equal(io.subscribed(), 0, "unsubscribed");
});

// --- pure parts --------------------------------------------------------------------

Deno.test("rttSummary: min/avg/max and nearest-rank p99", () => {
  assert.equal(rttSummary([]), undefined);
  assert.deepStrictEqual(rttSummary([1, 2, 3]), { min: 1, avg: 2, max: 3, p99: 3 });
  assert.deepStrictEqual(rttSummary([5]), { min: 5, avg: 5, max: 5, p99: 5 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted input
  assert.deepStrictEqual(rttSummary(hundred), { min: 1, avg: 50.5, max: 100, p99: 99 });
  const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(rttSummary(thousand)!.p99, 990);
});

Deno.test("rttSummary: bounds hold for any sample, and the input is not reordered", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 200 }),
      (rtts) => {
        const copy = [...rtts];
        const s = rttSummary(rtts)!;
        assert.deepStrictEqual(rtts, copy);
        assert.equal(s.min, Math.min(...rtts));
        assert.equal(s.max, Math.max(...rtts));
        assert(s.min <= s.avg * (1 + 1e-12) && s.avg <= s.max * (1 + 1e-12), JSON.stringify(s));
        assert(rtts.includes(s.p99) && s.p99 <= s.max);
        const above = rtts.filter((r) => r > s.p99).length;
        assert(above <= Math.floor(rtts.length * 0.01), `${above} above p99`);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("firstDifference: the first differing byte, or where one side ran out", () => {
  const b = (...bytes: number[]) => new Uint8Array(bytes);
  assert.equal(firstDifference(b(1, 2, 3), b(1, 2, 3)), undefined);
  assert.equal(firstDifference(b(), b()), undefined);
  assert.deepStrictEqual(firstDifference(b(1, 2), b(1, 3)), { offset: 1, sent: 2, got: 3 });
  assert.deepStrictEqual(firstDifference(b(0, 2), b(9, 3)), { offset: 0, sent: 0, got: 9 });
  assert.deepStrictEqual(firstDifference(b(1, 2, 3), b(1, 2)), {
    offset: 2,
    sent: 3,
    got: undefined,
  });
  assert.deepStrictEqual(firstDifference(b(1), b(1, 7)), { offset: 1, sent: undefined, got: 7 });
});

Deno.test("firstDifference: agrees with a byte-by-byte comparison", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ maxLength: 50 }), (a, c) => {
      const d = firstDifference(a, c);
      const equal = a.length === c.length && a.every((x, i) => x === c[i]);
      assert.equal(d === undefined, equal);
      if (d) {
        assert(a.subarray(0, d.offset).every((x, i) => x === c[i]));
        assert.equal(d.sent, a[d.offset]);
        assert.equal(d.got, c[d.offset]);
      }
      assert.equal(firstDifference(a, a.slice()), undefined);
    }),
    { numRuns: 300 },
  );
});

// --- resolving and connecting are bounded by --timeout and cut short by a signal ----

Deno.test("echo client: a resolver that never answers is cut off by --timeout → exit 5", async () => {
  const io = fakeIo({ resolve: () => new Promise<string[]>(() => {}) });
  const { code, stdout, stderr } = await runEcho(io, "--to", "slow.test:7", "--timeout", "100ms");
  assert.equal(code, 5, stderr);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    "sockit: resolve slow.test: timed out after 100ms (raise --timeout if the peer is slow)\n",
  );
});

Deno.test("echo client --udp: a resolver that never answers is cut off by --timeout → exit 5", async () => {
  const io = fakeIo({ resolve: () => new Promise<string[]>(() => {}) });
  const { code, stdout, stderr } = await runEcho(
    io,
    ...["--to", "slow.test:7", "--udp", "--timeout", "100ms"],
  );
  assert.equal(code, 5, stderr);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    "sockit: resolve slow.test: timed out after 100ms (raise --timeout if the peer is slow)\n",
  );
});

Deno.test("echo client: a stop signal while resolving → exit 130, not a timeout", async () => {
  const io = fakeIo({
    resolve() {
      queueMicrotask(() => io.signal("SIGINT")); // the user presses Ctrl-C while it resolves
      return new Promise<string[]>(() => {});
    },
  });
  const { code, stderr } = await runEcho(io, "--to", "slow.test:7", "--timeout", "1h");
  assert.equal(code, 130, stderr);
  assert.equal(stderr, "sockit: interrupted\n");
});

// --- UDP -------------------------------------------------------------------------------

Deno.test("echo client --udp: random payloads all come back → exit 0", async () => {
  await using server = fakeUdpServer((bytes) => bytes);
  const io = fakeIo();
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "3",
    "-i",
    "0",
  );
  assert.equal(code, 0, io.stderrText());
  assert.match(stdout, /\(udp\): 3 probes/);
  assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
});

Deno.test("echo client --udp --message: the same text every probe still counts each reply", async () => {
  await using server = fakeUdpServer((bytes) => bytes);
  const io = fakeIo();
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "3",
    "-i",
    "0",
    "--message",
    "ping",
    "--timeout",
    "2s",
  );
  assert.equal(code, 0, stdout + io.stderrText());
  assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
});

Deno.test("echo client --udp: a server that drops every datagram → exit 5, each probe lost", async () => {
  await using server = fakeUdpServer(() => undefined);
  const io = fakeIo();
  const { code, stdout, stderr } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "2",
    "-i",
    "0",
    "--timeout",
    "100ms",
  );
  assert.equal(code, 5, stderr);
  assert.match(stdout, /seq=1 lost/);
  assert.match(stdout, /seq=2 lost/, "UDP goes on after a loss");
  assert.match(stdout, /2 sent, 0 received, 0 mismatched, 100% loss/);
});

Deno.test("echo client --udp: one lost datagram of three → exit 1 with 33% loss", async () => {
  let n = 0;
  await using server = fakeUdpServer((bytes) => (++n === 2 ? undefined : bytes));
  const io = fakeIo();
  const { code, stdout } = await runEcho(
    io,
    "--to",
    `127.0.0.1:${server.port}`,
    "--udp",
    "-c",
    "3",
    "-i",
    "0",
    "--timeout",
    "100ms",
  );
  assert.equal(code, 1, io.stderrText());
  assert.match(stdout, /seq=2 lost/);
  assert.match(stdout, /3 sent, 2 received, 0 mismatched, 33\.333% loss/);
});
