/**
 * The TLS flags of every TCP client and reading them into options, apart from the
 * handshake in lib/tls.ts: a command's flag data (`--help`, completions) and a client
 * that does not speak TLS load no TLS code (issue 10).
 *
 * Verification is never off by default; `--insecure` turns it off and says so once.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
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

/** How a client speaks TLS; absent for plain TCP. */
export interface TlsClientOptions {
  /** PEM certificates to trust instead of the system's roots (`--ca`). */
  caCerts?: string[];
  /** The name the certificate must hold (`--servername`); default: the host dialled. */
  servername?: string;
  /** Skip verification (`--insecure`). */
  insecure?: boolean;
}

/** The parsed values of {@linkcode tlsClientFlags}. */
export interface TlsClientFlagValues {
  tls: boolean;
  ca?: string;
  servername?: string;
  insecure: boolean;
}

/**
 * Reads the TLS flags into options (loading `--ca`), or undefined without `--tls`.
 * `--insecure` is said once on stderr through `note`.
 *
 * @throws {UsageError} (exit 2) for a TLS flag without `--tls`, `--ca` with
 * `--insecure`, or a `--ca` file that cannot be read.
 *
 * @example
 * ```ts
 * const tls = await tlsClientOptions(options, out.note); // { caCerts: [pem] } with --ca
 * ```
 */
export async function tlsClientOptions(
  flags: TlsClientFlagValues,
  note: (text: string) => void,
): Promise<TlsClientOptions | undefined> {
  if (!flags.tls) {
    const stray = flags.ca !== undefined
      ? "--ca"
      : flags.servername !== undefined
      ? "--servername"
      : flags.insecure
      ? "--insecure"
      : undefined;
    if (stray) throw new UsageError(`${stray} applies to TLS: add --tls`);
    return undefined;
  }
  if (flags.insecure && flags.ca !== undefined) {
    throw new UsageError("--ca and --insecure cannot be used together (--insecure checks nothing)");
  }
  if (flags.insecure) {
    note(
      "sockit: --insecure: the server's certificate is not verified; " +
        "anyone on the path can read and change this traffic",
    );
  }
  return {
    caCerts: flags.ca === undefined ? undefined : [await readPem("--ca", flags.ca)],
    servername: flags.servername,
    insecure: flags.insecure,
  };
}

/**
 * Reads a PEM file named by a flag.
 *
 * @throws {UsageError} (exit 2) naming the flag and the file when it cannot be read.
 *
 * @example
 * ```ts
 * const pem = await readPem("--tls-cert", "server.pem");
 * ```
 */
export async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new UsageError(`${flag} ${JSON.stringify(path)}: cannot read it: ${why}`);
  }
}
