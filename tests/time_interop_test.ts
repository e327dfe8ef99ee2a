/**
 * Interop tests of `daytime` and `time-fetch` with real time software: `rdate` reads
 * sockit's RFC 868 server, `nc` and `socat` read its daytime formats, `time-fetch`
 * checks a `chronyd` NTP server started here, reads xinetd's built-in daytime, and
 * reads sockit's own daytime server in every format. Each test skips, with the reason
 * printed, when its peer is not installed. Loopback only: no test reaches a public
 * time server or asks a name server.
 */

import assert from "node:assert/strict";
import { DAYTIME_FORMATS } from "../lib/daytime_format.ts";
import { assertNow, startDaytimeServers } from "./daytime_servers.ts";
import { missing, runSockit, runTool, startSockit } from "./helpers.ts";
import { startChronyd, startXinetdDaytime } from "./time_peers.ts";

const LOOPBACK = "127.0.0.1";
const td = new TextDecoder();

/** The `--json` answers of a time-fetch run. */
function answers(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.event === "answer");
}

Deno.test({
  name: "interop: rdate -p reads sockit's RFC 868 time server over TCP and UDP",
  ignore: missing("rdate"),
  async fn() {
    await using server = await startSockit(
      ["daytime", "--protocol", "time", "--port", "0", "--transport", "both", "--quiet"],
      { transports: 2 },
    );
    for (const udp of [false, true]) {
      const args = ["-p", ...(udp ? ["-u"] : []), "-o", String(server.port), LOOPBACK];
      const { code, stdout, stderr } = await runTool("rdate", args);
      assert.equal(code, 0, `rdate ${args.join(" ")}: ${stderr}`);
      // rdate prints the time it read: "Sun Nov 22 01:30:49 UTC 2026"
      assertNow(td.decode(stdout).trim());
    }
  },
});

Deno.test({
  name: "interop: nc reads every daytime format; socat reads one over UDP",
  ignore: missing("nc", "socat"),
  async fn() {
    await using daytime = await startDaytimeServers("both");
    for (const [i, format] of DAYTIME_FORMATS.entries()) {
      const { code, stdout } = await runTool("nc", [LOOPBACK, String(daytime.servers[i].port)]);
      assert.equal(code, 0, `nc for ${format}`);
      assertNow(td.decode(stdout), format);
    }
    const nist = daytime.servers[DAYTIME_FORMATS.indexOf("nist")];
    const udp = await runTool("socat", ["-T", "2", "-", `UDP:${LOOPBACK}:${nist.port}`], {
      stdin: "\n",
    });
    assert.equal(udp.code, 0, udp.stderr);
    assertNow(td.decode(udp.stdout), "nist");
  },
});

Deno.test({
  name: "interop: time-fetch --protocol ntp against chronyd reports |offset| < 50 ms",
  ignore: missing("chronyd"),
  async fn() {
    await using chrony = await startChronyd();
    const { code, stdout, stderr } = await runSockit(
      ["time-fetch", "--protocol", "ntp", `${LOOPBACK}:${chrony.port}`, "--json"],
    );
    assert.equal(code, 0, stderr);
    const [answer] = answers(stdout);
    assert.ok(Math.abs(answer.offsetMs as number) < 50, `offset ${answer.offsetMs} ms`);
    const ntp = answer.ntp as Record<string, unknown>;
    assert.equal(ntp.stratum, 8); // chrony.conf: local stratum 8
    assert.equal(ntp.leap, "no-leap");
    assert.ok((answer.precisionMs as number) < 1, "chronyd's clock ticks finer than 1 ms");

    const human = await runSockit(
      ["time-fetch", "-p", "ntp", `${LOOPBACK}:${chrony.port}`, "--max-offset", "50ms"],
    );
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, / s8 no-leap\n/);
  },
});

Deno.test("interop: time-fetch reads sockit's own daytime server in every format, TCP and UDP, |offset| < 1.5 s", async () => {
  await using daytime = await startDaytimeServers("both");
  const addresses = daytime.servers.map((s) => `${LOOPBACK}:${s.port}`);
  for (const udp of [false, true]) {
    // All five asked at once, in one process.
    const { code, stdout, stderr } = await runSockit(
      ["time-fetch", ...addresses, ...(udp ? ["--udp"] : []), "--json"],
    );
    assert.equal(code, 0, stderr);
    const got = answers(stdout);
    assert.deepEqual(
      got.map((a) => (a.daytime as Record<string, unknown>).format),
      DAYTIME_FORMATS,
    );
    for (const a of got) {
      assert.equal(a.transport, udp ? "udp" : "tcp");
      assert.ok(Math.abs(a.offsetMs as number) < 1500, `${JSON.stringify(a)}`);
    }
    assert.equal(got.filter((a) => a.best).length, 1, "one best answer is marked");
  }
});

Deno.test("interop: time-fetch --protocol time reads sockit's RFC 868 server, |offset| < 1.5 s", async () => {
  await using server = await startSockit(
    ["daytime", "--protocol", "time", "--port", "0", "--quiet"],
  );
  const { code, stdout, stderr } = await runSockit(
    ["time-fetch", "-p", "time", `${LOOPBACK}:${server.port}`, "--json"],
  );
  assert.equal(code, 0, stderr);
  const [answer] = answers(stdout);
  assert.ok(Math.abs(answer.offsetMs as number) < 1500);
  assert.equal(answer.precisionMs, 1000);
});

Deno.test({
  name: "interop: time-fetch reads xinetd's built-in daytime service",
  ignore: missing("xinetd"),
  async fn() {
    await using inetd = await startXinetdDaytime();
    const { code, stdout, stderr } = await runSockit(
      ["time-fetch", `${LOOPBACK}:${inetd.port}`, "--json"],
    );
    assert.equal(code, 0, stderr);
    const [answer] = answers(stdout);
    // xinetd says "22 NOV 2026 01:29:04 UTC": an RFC 867-style line.
    assert.equal((answer.daytime as Record<string, unknown>).format, "rfc867");
    assert.ok(Math.abs(answer.offsetMs as number) < 1500);
  },
});
