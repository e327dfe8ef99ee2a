/**
 * `sockit echo` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the server or the client (commands/echo/mod.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../../lib/command.ts";
import { defineFlags } from "../../lib/flags.ts";
import { serverFlags } from "../../lib/server/flags.ts";
import { tlsClientFlags } from "../../lib/tls_flags.ts";

/** The echo port of RFC 862. */
export const ECHO_PORT = 7;

const flags = defineFlags({
  ...serverFlags(ECHO_PORT),
  transport: {
    type: "enum",
    choices: ["tcp", "udp", "both"],
    default: "tcp",
    help: "server: which listeners to open",
  },
  workers: {
    type: "integer",
    default: 1,
    min: 1,
    max: 256,
    help: "server: accept TCP on N threads (this one and N-1 Web Workers) sharing the port " +
      "with SO_REUSEPORT; Linux only, one listener elsewhere",
  },
  to: { type: "string", valueName: "HOST:PORT", help: "client: check the echo server there" },
  count: { type: "integer", short: "c", default: 4, min: 1, help: "client: probes to send" },
  size: {
    type: "bytes",
    short: "s",
    min: 1,
    help: "client: random payload of this size (default 64)",
  },
  message: { type: "string", short: "m", help: "client: send this text instead of random bytes" },
  interval: { type: "duration", short: "i", default: 1000, help: "client: pause between probes" },
  timeout: {
    type: "duration",
    short: "W",
    default: 5000,
    min: 1,
    help: "client: longest wait to connect, and for each reply",
  },
  udp: { type: "boolean", short: "u", help: "client: probe over UDP" },
  tls: { ...tlsClientFlags.tls, help: `client: ${tlsClientFlags.tls.help}` },
  ca: { ...tlsClientFlags.ca, help: `client: ${tlsClientFlags.ca.help}` },
  servername: { ...tlsClientFlags.servername, help: `client: ${tlsClientFlags.servername.help}` },
  insecure: { ...tlsClientFlags.insecure, help: `client: ${tlsClientFlags.insecure.help}` },
  ...commonFlags,
});

/** `sockit echo`'s name, help and flags. */
export const echoMeta = defineMeta({
  name: "echo",
  summary: "RFC 862 echo server (TCP/UDP), and an echo client for checks",
  usage: [
    "[--host HOST] [--port PORT] [--transport tcp|udp|both] [flags]",
    "--to HOST:PORT [flags]",
  ],
  description: `
Without --to, serves echo: every byte a client sends comes back, binary-safe, as it
arrives (no line buffering), with backpressure; when a client shuts its write side, what
is pending is echoed and the connection closes. UDP datagrams are answered to their
sender, except those from source ports below 1024 or broadcast/multicast senders (the
echo-chargen packet storm): those are dropped and counted.

With --to, sends --count probes and verifies each reply byte for byte, printing a line
per probe and a summary (sent, received, loss, min/avg/max/p99 round trip). Exit 0 when
every probe came back intact, 1 when any came back wrong or not at all (a server that
closes the connection before replying included), 3 host not found, 4 refused, 5 nothing
came back before --timeout, 6 the server does not speak TLS (--tls), 8 its certificate
could not be verified (untrusted, expired, another name), 130 interrupted (Ctrl-C)
before every probe was sent.

With --tls-cert and --tls-key the server speaks TLS on its TCP listener; with --tls the
client does, verifying the certificate against the system's roots or --ca.`,
  flags,
  examples: [
    "sockit echo --port 0                      # serve on a free port, print it",
    "sockit echo --port 7007 --transport both  # TCP and UDP",
    "sockit echo --to 127.0.0.1:7007 -c 10 -i 0.2s",
    "sockit echo --to [::1]:7007 --message hello --json",
    "sockit echo --to 127.0.0.1:7007 --udp --size 1400",
    "sockit echo --port 7007 --tls-cert server.pem --tls-key server.key",
    "sockit echo --to localhost:7007 --tls --ca ca.pem",
  ],
});
