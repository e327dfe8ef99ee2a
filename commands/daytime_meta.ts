/**
 * `sockit daytime` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the server (commands/daytime.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../lib/command.ts";
import { DAYTIME_FORMATS } from "../lib/daytime_format_names.ts";
import { defineFlags } from "../lib/flags.ts";
import { serverFlags } from "../lib/server/flags.ts";

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

/** `sockit daytime`'s name, help and flags. */
export const daytimeMeta = defineMeta({
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
});
