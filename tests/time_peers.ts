/**
 * Real time software as test and benchmark peers, each started on a loopback port with
 * its configuration in a temporary directory and stopped by PID: `chronyd` as an NTP
 * server (local reference, no upstream servers, the system clock left alone) and
 * `xinetd` with its built-in daytime service (the inetd baseline).
 *
 * @module
 */

import { decodeNtp, encodeNtp } from "../commands/time_fetch/ntp.ts";
import { toNtp } from "../lib/time.ts";
import { freePort } from "./helpers.ts";
import { type Peer, spawnPeer, waitUntilAccepting } from "./peers.ts";

const LOOPBACK = "127.0.0.1";

/** A time server started by this module; disposing it also removes its directory. */
export interface TimePeer extends Peer {
  port: number;
}

/** Whether an NTP server answers on `port` within `ms`. */
async function ntpAnswers(port: number, ms: number): Promise<boolean> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const request = encodeNtp({ version: 4, mode: 3, transmit: toNtp(Date.now()) });
    await socket.send(request, { transport: "udp", hostname: LOOPBACK, port });
    const answer = await Promise.race([
      socket.receive().then(([data]) => data),
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms)),
    ]);
    return answer !== undefined && decodeNtp(answer)?.mode === 4;
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/**
 * Starts `chronyd` as an NTP server on a loopback port: stratum 8 from its own clock,
 * no `server`/`pool` lines, no command port, `-x` so it never adjusts the system clock.
 * Resolves once it answers an NTP request.
 *
 * @example
 * ```ts
 * await using chrony = await startChronyd();
 * await runSockit(["time-fetch", "--protocol", "ntp", `127.0.0.1:${chrony.port}`]);
 * ```
 */
export async function startChronyd(options: { port?: number } = {}): Promise<TimePeer> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-chrony-" });
  const port = options.port ?? freePort("udp");
  const conf = `${dir}/chrony.conf`;
  await Deno.writeTextFile(
    conf,
    [
      `port ${port}`,
      `bindaddress ${LOOPBACK}`,
      "local stratum 8",
      `allow ${LOOPBACK}`,
      "cmdport 0",
      `pidfile ${dir}/chronyd.pid`,
      `driftfile ${dir}/chrony.drift`,
      "",
    ].join("\n"),
  );
  const peer = spawnPeer("chronyd", ["-d", "-x", "-u", "root", "-f", conf], {
    cleanup: () => removeDir(dir),
  });
  // Bound to about 5 s: each probe waits for an answer, not for time to pass.
  for (let probe = 0; probe < 50; probe++) {
    if (await ntpAnswers(port, 100)) return { ...peer, port };
  }
  await peer[Symbol.asyncDispose]();
  throw new Error(`chronyd did not answer NTP on ${LOOPBACK}:${port} within 5 s`);
}

/**
 * Starts `xinetd` with only its built-in (C, in-process) TCP daytime service on a
 * loopback port, in the foreground. Resolves once it accepts connections.
 *
 * Its defaults are lifted so it can be measured: `cps` (50 connections/s, then the
 * service is switched off for 10 s), the instance limits, and per-connection logging
 * (sockit is measured with `--quiet` too).
 *
 * @example
 * ```ts
 * await using inetd = await startXinetdDaytime();
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: inetd.port });
 * ```
 */
export async function startXinetdDaytime(): Promise<TimePeer> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-xinetd-" });
  const port = freePort("tcp");
  const conf = `${dir}/xinetd.conf`;
  await Deno.writeTextFile(
    conf,
    `defaults
{
}

service daytime
{
  type        = INTERNAL UNLISTED
  id          = daytime-stream
  port        = ${port}
  bind        = ${LOOPBACK}
  socket_type = stream
  protocol    = tcp
  wait        = no
  user        = root
  cps         = 1000000 1
  instances   = UNLIMITED
  per_source  = UNLIMITED
  log_on_success =
  log_on_failure =
}
`,
  );
  const peer = spawnPeer("xinetd", ["-dontfork", "-pidfile", `${dir}/xinetd.pid`, "-f", conf], {
    cleanup: () => removeDir(dir),
  });
  try {
    await waitUntilAccepting(port, peer, 5000);
  } catch (err) {
    await peer[Symbol.asyncDispose]();
    throw new Error(`xinetd did not accept on ${LOOPBACK}:${port}: ${(err as Error).message}`);
  }
  return { ...peer, port };
}

function removeDir(dir: string): Promise<void> {
  return Deno.remove(dir, { recursive: true }).catch(() => {});
}
