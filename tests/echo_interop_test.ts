/**
 * Interop tests of `sockit echo` with real third-party peers: `nc` (netcat-openbsd) and
 * `ncat` as clients of sockit's server; sockit's client against `ncat -e /bin/cat` and
 * `socat ... PIPE` echo servers over TCP and UDP. Each test is skipped, saying why, when
 * its peer is not installed.
 */

import assert from "node:assert/strict";
import { randomBytes } from "../commands/echo/client.ts";
import {
  assertSameBytes,
  freePort,
  LineReader,
  missing,
  runSockit,
  runTool,
  startSockit,
} from "./helpers.ts";

const LOOPBACK = "127.0.0.1";

/** A third-party peer process, stopped by its PID. */
interface Peer {
  proc: Deno.ChildProcess;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `cmd args`; its stderr is read line by line when `stderr` is true, else discarded. */
function spawnPeer(cmd: string, args: string[], stderr = false): Peer & { stderr?: LineReader } {
  const proc = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: stderr ? "piped" : "null",
  }).spawn();
  const lines = stderr ? new LineReader(proc.stderr) : undefined;
  return {
    proc,
    stderr: lines,
    async [Symbol.asyncDispose]() {
      try {
        proc.kill("SIGTERM");
      } catch { /* already exited */ }
      await proc.status;
      await lines?.cancel();
    },
  };
}

/**
 * Waits until something accepts TCP connections on `port`: connects until one succeeds,
 * a bounded number of times (the peer prints nothing we could wait for instead).
 */
async function waitUntilAccepting(port: number, peer: Peer): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: LOOPBACK, port });
      conn.close();
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.ConnectionRefused)) throw err;
    }
    const exited = await Promise.race([
      peer.proc.status,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)), // between attempts
    ]);
    if (exited) throw new Error(`the peer exited with ${exited.code} before listening`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after 10 s`);
  }
}

// ---------------------------------------------------------------- peers as clients

Deno.test({
  name: "interop: nc (netcat-openbsd) sends binary data to sockit echo and gets it back",
  ignore: missing("nc"),
  async fn() {
    await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
    const data = randomBytes(200_000);
    // -N: shut down the write side at EOF on stdin, so sockit echoes the rest and closes.
    const { code, stdout, stderr } = await runTool("nc", ["-N", LOOPBACK, String(server.port)], {
      stdin: data,
    });
    assert.equal(code, 0, stderr);
    assertSameBytes(stdout, data, "nc's output");
  },
});

Deno.test({
  name: "interop: ncat sends text and binary data to sockit echo and gets it back",
  ignore: missing("ncat"),
  async fn() {
    await using server = await startSockit(["echo", "--port", "0", "--quiet"]);
    const text = new TextEncoder().encode("hello\r\nwörld\n");
    const data = new Uint8Array([...text, 0x00, 0xff, ...randomBytes(100_000)]);
    // At EOF on stdin ncat shuts down its write side and prints what still arrives.
    const { code, stdout, stderr } = await runTool("ncat", [LOOPBACK, String(server.port)], {
      stdin: data,
    });
    assert.equal(code, 0, stderr);
    assertSameBytes(stdout, data, "ncat's output");
  },
});

// ---------------------------------------------------------------- peers as servers

Deno.test({
  name: "interop: sockit echo --to checks ncat -l -k -e /bin/cat",
  ignore: missing("ncat"),
  async fn() {
    const port = freePort();
    await using peer = spawnPeer("ncat", ["-l", "-k", "-e", "/bin/cat", LOOPBACK, String(port)]);
    await waitUntilAccepting(port, peer);
    const { code, stdout, stderr } = await runSockit([
      "echo",
      "--to",
      `${LOOPBACK}:${port}`,
      "-c",
      "3",
      "-i",
      "0",
      "--size",
      "1000",
    ]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
  },
});

Deno.test({
  name: "interop: sockit echo --to checks socat TCP-LISTEN ... PIPE",
  ignore: missing("socat"),
  async fn() {
    const port = freePort();
    await using peer = spawnPeer("socat", [
      `TCP-LISTEN:${port},bind=${LOOPBACK},reuseaddr,fork`,
      "PIPE",
    ]);
    await waitUntilAccepting(port, peer);
    const { code, stdout, stderr } = await runSockit([
      "echo",
      "--to",
      `${LOOPBACK}:${port}`,
      "-c",
      "3",
      "-i",
      "0",
      "--size",
      "100000",
      "--json",
    ]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const summary = JSON.parse(stdout.trimEnd().split("\n").at(-1)!);
    assert.equal(summary.event, "summary");
    assert.equal(summary.received, 3);
    assert.equal(summary.ok, true);
  },
});

Deno.test({
  name: "interop: sockit echo --to --udp checks socat UDP-RECVFROM ... PIPE",
  ignore: missing("socat"),
  async fn() {
    const port = freePort("udp");
    // -d -d: socat says "receiving on ..." once bound; UDP has no connect to probe with.
    await using peer = spawnPeer("socat", [
      "-d",
      "-d",
      `UDP-RECVFROM:${port},bind=${LOOPBACK},fork`,
      "PIPE",
    ], true);
    await peer.stderr!.until((l) => l.includes(`receiving on AF=2 ${LOOPBACK}:${port}`));
    const { code, stdout, stderr } = await runSockit([
      "echo",
      "--to",
      `${LOOPBACK}:${port}`,
      "--udp",
      "-c",
      "3",
      "-i",
      "0",
      "--size",
      "1400",
    ]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /^ECHO 127\.0\.0\.1:\d+ \(udp\): 3 probes$/m);
    assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
  },
});
