/**
 * `sockit time-fetch` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the clients (commands/time_fetch/mod.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../../lib/command.ts";
import { defineFlags } from "../../lib/flags.ts";

/** Where `time-fetch` asks when no server is named. */
export const DEFAULT_SERVER = "time.nist.gov";

const flags = defineFlags({
  protocol: {
    type: "enum",
    choices: ["daytime", "time", "ntp"],
    default: "daytime",
    short: "p",
    help: "daytime (RFC 867 text, port 13), time (RFC 868, port 37) or ntp (SNTPv4, port 123)",
  },
  udp: { type: "boolean", short: "u", help: "daytime and time over UDP (ntp always is)" },
  count: { type: "integer", short: "c", default: 1, min: 1, help: "ask each server N times" },
  interval: {
    type: "duration",
    short: "i",
    default: 4000,
    help: "pause between the --count rounds (NIST asks for 4 s at least)",
  },
  timeout: {
    type: "duration",
    short: "W",
    default: 5000,
    min: 1,
    help: "longest wait for one answer: resolving, connecting and every retry together",
  },
  retries: {
    type: "integer",
    default: 2,
    min: 0,
    max: 100,
    help: "UDP: send the request again this many times, spread over --timeout",
  },
  maxOffset: {
    type: "duration",
    valueName: "DURATION",
    help: "exit 1 when the best answer puts the local clock further off than this",
  },
  ...commonFlags,
});

/** `sockit time-fetch`'s name, help and flags. */
export const timeFetchMeta = defineMeta({
  name: "time-fetch",
  summary: "ask time servers (daytime, time, NTP) and compare with the local clock",
  usage: ["[SERVER ...] [--protocol daytime|time|ntp] [--max-offset DURATION] [flags]"],
  positional: {
    name: "SERVER ...",
    help: `HOST, HOST:PORT or [IPv6]:PORT, asked in parallel (default ${DEFAULT_SERVER})`,
  },
  description: `
Prints a line per answer, like sntp's: the server's time in the local zone, the local
clock's offset from it (positive: the server is ahead) +/- how far that can be off, the
server, and then the details: what a daytime server said, both clocks, the round trip
and the precision. Time answers and most daytime answers name whole seconds, so their
offset is only good to +/- 0.5 s plus half the round trip (an ISO 8601 answer with
milliseconds does better); NTP's to about the round trip.

Daytime answers are read in the NIST format, RFC 867-style lines (ctime, inetd),
RFC 2822, ISO 8601 or Unix seconds; anything else is a protocol error that shows the
text. NTP answers are checked as RFC 4330 says: mode 4, our transmit timestamp as their
origin (others are ignored), a kiss-o'-death (stratum 0, e.g. RATE) or an unsynchronised
server (leap indicator 3) is an error.

With several servers or --count, the answer with the shortest round trip in each round
is marked best, and a summary names the best of all; --max-offset is checked against it.

Exit codes: 0 ok, 1 offset over --max-offset, 3 host not found, 4 refused, 5 no answer
within --timeout, 6 not a time answer / kiss-o'-death / unsynchronised, 130 interrupted.
With several servers, 0 when any answered; when none did, the most telling failure's
code, whatever the order of the servers: 6, then 1, 4, 3, 5 (a timeout). A server that
sends a kiss-o'-death is not asked again in later --count rounds (RFC 4330).`,
  flags,
  examples: [
    "sockit time-fetch                                  # time.nist.gov, daytime",
    "sockit time-fetch --protocol ntp pool.ntp.org time.google.com",
    "sockit time-fetch --protocol ntp --max-offset 100ms ntp.example.org   # check the clock",
    "sockit time-fetch 127.0.0.1:1313 --udp --timeout 1s --retries 3",
    "sockit time-fetch --protocol time [::1]:3737 --json",
  ],
});
