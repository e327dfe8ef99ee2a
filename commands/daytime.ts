/**
 * `sockit daytime`: an RFC 867 daytime server (one line of text with the time, then
 * close), or with `--protocol time` an RFC 868 time server (4 bytes: big-endian seconds
 * since 1900), over TCP, UDP or both (README, `sockit daytime`). Listening, `--max-conns`,
 * logging, the UDP source guard and shutdown are the shared server runtime's.
 *
 * @module
 */

import { commonFlags, defineCommand } from "../lib/command.ts";
import { DAYTIME_FORMATS, type DaytimeFormat, daytimeText } from "../lib/daytime_format.ts";
import { UsageError } from "../lib/errors.ts";
import { defineFlags } from "../lib/flags.ts";
import { createOutput } from "../lib/output.ts";
import {
  type Connection,
  type DatagramHandler,
  serve,
  serverFlags,
  serverSettings,
} from "../lib/server/mod.ts";
import { toRfc868 } from "../lib/time.ts";

/** The daytime port of RFC 867. */
export const DAYTIME_PORT = 13;
/** The time port of RFC 868. */
export const TIME_PORT = 37;

const { host, port, ...serverRest } = serverFlags(DAYTIME_PORT);
const { default: _portDefault, ...portWithoutDefault } = port;

const flags = defineFlags({
  host,
  // No declared default: it depends on --protocol, so run() resolves it.
  port: {
    ...portWithoutDefault,
    help: "port to listen on; 0 picks a free one (default 13, or 37 with --protocol time)",
  },
  ...serverRest,
  transport: {
    type: "enum",
    choices: ["tcp", "udp", "both"],
    default: "tcp",
    help: "which listeners to open",
  },
  protocol: {
    type: "enum",
    choices: ["daytime", "time"],
    default: "daytime",
    help: "daytime: a line of text (RFC 867); time: 4 bytes of seconds since 1900 (RFC 868)",
  },
  format: {
    type: "enum",
    choices: DAYTIME_FORMATS,
    help: "the daytime line's format (default rfc867); nist is always UTC",
  },
  utc: { type: "boolean", help: "write the time in UTC instead of the local zone" },
  ...commonFlags,
});

/**
 * Makes the bytes of a daytime answer for the current time. The text changes once a
 * second (once a millisecond for `iso`), so the last one is kept and reused: under load
 * most connections are answered without formatting anything.
 *
 * @example
 * ```ts
 * const answer = daytimeAnswer("rfc867", { utc: true });
 * answer(Date.now()); // the bytes of "Saturday, November 21, 2026 23:59:01-UTC\r\n"
 * ```
 */
export function daytimeAnswer(
  format: DaytimeFormat,
  options: { utc?: boolean; timeZone?: string } = {},
): (nowMs: number) => Uint8Array {
  const encoder = new TextEncoder();
  const step = format === "iso" ? 1 : 1000;
  let key = NaN;
  let bytes = new Uint8Array(0);
  return (nowMs) => {
    const k = Math.floor(nowMs / step);
    if (k !== key) {
      key = k;
      bytes = encoder.encode(daytimeText(nowMs, format, options));
    }
    return bytes;
  };
}

/**
 * The 4 bytes of an RFC 868 answer: big-endian seconds since 1900-01-01 UTC, modulo
 * 2^32 (so it stays correct past the 2036 wrap).
 *
 * @example
 * ```ts
 * timeAnswer(0); // Uint8Array [0x83, 0xaa, 0x7e, 0x80] (2208988800)
 * ```
 */
export function timeAnswer(nowMs: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, toRfc868(nowMs));
  return bytes;
}

/** `sockit daytime`. */
export const daytime = defineCommand({
  name: "daytime",
  summary: "RFC 867 daytime server (and RFC 868 time with --protocol time)",
  usage: ["[--host HOST] [--port PORT] [--transport tcp|udp|both] [--format FORMAT] [flags]"],
  description: `
Answers every TCP connection with one line holding the current time, then closes it;
answers every UDP datagram with one datagram holding the same line (never to source
ports below 1024 or broadcast/multicast senders: the echo-chargen loop guard).

Formats (--format), in the local zone unless --utc:
  rfc867   Saturday, November 21, 2026 23:59:01-UTC   (CRLF-terminated, like inetd)
  nist     61365 26-11-21 23:59:01 00 0 0 0.0 UTC(NIST) *   (NIST's format, always UTC:
           MJD, date, time, DST code, leap, health, ms advance, label, on-time marker)
  iso      2026-11-21T23:59:01.234Z   (ISO 8601, with milliseconds)
  rfc2822  Sat, 21 Nov 2026 23:59:01 +0000
  unix     1795305541   (seconds since 1970-01-01 UTC)

With --protocol time (RFC 868) it sends 4 bytes instead: the seconds since 1900-01-01
UTC, big-endian, modulo 2^32 so it stays right after the 2036 wrap; default port 37.`,
  flags,
  examples: [
    "sockit daytime --port 0                        # serve on a free port, print it",
    "sockit daytime --port 1313 --format iso --utc",
    "sockit daytime --port 1313 --transport both --format nist",
    "sockit daytime --protocol time --port 3737     # RFC 868; read it with rdate -p -o 3737",
    "nc 127.0.0.1 1313                              # read a daytime line",
  ],
  async run(options, io) {
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    const time = options.protocol === "time";
    if (time && options.format !== undefined) {
      throw new UsageError("--format applies to --protocol daytime, not time");
    }
    if (time && options.utc) throw new UsageError("--utc applies to --protocol daytime, not time");
    const answer = time ? timeAnswer : daytimeAnswer(options.format ?? "rfc867", {
      utc: options.utc,
    });
    const tcp = (c: Connection) => c.writeAll(answer(io.now()));
    const udp: DatagramHandler = (_data, _peer, reply) => reply(answer(io.now()));
    const port = options.port ?? (time ? TIME_PORT : DAYTIME_PORT);
    return await serve({
      ...await serverSettings({ ...options, port }),
      name: "daytime",
      transport: options.transport,
      tcp,
      udp,
    }, { io, out, trace: options.trace });
  },
});
