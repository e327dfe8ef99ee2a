/**
 * The flags every server command takes besides its transport (README, "Every server").
 *
 * @module
 */

import { defineFlags, type Options } from "../flags.ts";

/**
 * The runtime's flags, declared once for every server command.
 *
 * @example
 * ```ts
 * const flags = defineFlags({ ...serverFlags(7), ...commonFlags });
 * ```
 */
export function serverFlags(defaultPort: number) {
  return defineFlags({
    host: {
      type: "string",
      default: "127.0.0.1",
      valueName: "HOST",
      help: "address to listen on; 0.0.0.0 or :: to expose to the network",
    },
    port: {
      type: "integer",
      default: defaultPort,
      min: 0,
      max: 65535,
      valueName: "PORT",
      help: "port to listen on; 0 picks a free one",
    },
    maxConns: {
      type: "integer",
      default: 10_000,
      min: 1,
      help: "most TCP connections open at once; further ones are closed at once",
    },
    idleTimeout: {
      type: "duration",
      default: 0,
      help: "close a connection after this long without traffic (0: never)",
    },
    quiet: { type: "boolean", help: "do not log connections and disconnections" },
    tlsCert: {
      type: "string",
      valueName: "FILE",
      help: "speak TLS on the TCP listener with this PEM certificate (chain); needs --tls-key",
    },
    tlsKey: {
      type: "string",
      valueName: "FILE",
      help: "the PEM private key of --tls-cert",
    },
    allow: {
      type: "strings",
      valueName: "CIDR",
      help: "serve only these addresses (repeatable, or a comma list; 10.0.0.0/8, ::1, " +
        "2001:db8::/32; a bare address is one host); TCP and UDP",
    },
    deny: {
      type: "strings",
      valueName: "CIDR",
      help: "never serve these addresses (as --allow; --deny wins over --allow)",
    },
    maxConnsPerIp: {
      type: "integer",
      default: 0,
      min: 0,
      help: "most TCP connections open at once from one address; further ones are closed " +
        "at once (0: no limit)",
    },
  });
}

/** The values of {@linkcode serverFlags}, as a command's parsed options hold them. */
export type ServerFlagValues = Options<ReturnType<typeof serverFlags>>;
