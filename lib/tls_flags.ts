/**
 * The TLS flags of every TCP client, apart from lib/tls.ts (which loads node:tls for
 * `--insecure`), so a command's flag data, read by `--help` and completions, loads no
 * TLS code.
 *
 * @module
 */

import { defineFlags } from "./flags.ts";

/**
 * The TLS flags of every TCP client.
 *
 * @example
 * ```ts
 * const flags = defineFlags({ ...tlsClientFlags, ...commonFlags });
 * ```
 */
export const tlsClientFlags = defineFlags({
  tls: {
    type: "boolean",
    help: "speak TLS; the server's certificate is verified against the system's roots or --ca",
  },
  ca: {
    type: "string",
    valueName: "FILE",
    help: "with --tls: trust the CA certificate(s) in this PEM file instead of the system's",
  },
  servername: {
    type: "string",
    valueName: "NAME",
    help: "with --tls: the name the certificate must hold (default: the host given)",
  },
  insecure: {
    type: "boolean",
    help: "with --tls: do not verify the server's certificate (anyone on the path can listen in)",
  },
});
