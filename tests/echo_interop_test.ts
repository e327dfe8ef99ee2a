/**
 * Interop tests of `sockit echo` with real third-party peers: `nc` (netcat-openbsd) and
 * `ncat` as clients of sockit's server; sockit's client against `ncat -e /bin/cat` and
 * `socat ... PIPE` echo servers over TCP and UDP. Each test is skipped, saying why, when
 * its peer is not installed.
 */

import assert from "node:assert/strict";
import { randomBytes } from "../commands/echo/client.ts";
import { assertSameBytes, freePort, missing, runSockit, runTool, startSockit } from "./helpers.ts";
import { spawnPeer, waitUntilAccepting } from "./peers.ts";

const LOOPBACK = "127.0.0.1";

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
    ], { stderr: true });
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
