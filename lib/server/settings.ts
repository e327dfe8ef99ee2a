/**
 * The spec fields the runtime's flags decide, read once for every server command. Apart
 * from `flags.ts` so that the commands' help data (their meta modules) can name the
 * flags without loading TLS and access control at start-up.
 *
 * @module
 */

import { dottedQuadProblem } from "../cidr.ts";
import { UsageError } from "../errors.ts";
import { accessRules } from "./access.ts";
import type { ServerFlagValues } from "./flags.ts";
import type { ServerSpec } from "./spec.ts";
import { serverTls } from "./tls.ts";

/** The part of a {@linkcode ServerSpec} that `serverFlags` decide. */
export type ServerSettings = Pick<
  ServerSpec,
  "host" | "port" | "maxConns" | "idleTimeout" | "quiet" | "tls" | "access"
>;

/**
 * The spec fields the runtime's flags set, read the same way for every server command:
 * the `--tls-cert`/`--tls-key` files are read and the `--allow`/`--deny` rules parsed
 * here, so their usage errors come before the command touches the network.
 *
 * @throws {UsageError} (exit 2) for a TLS file that cannot be used or a bad CIDR.
 *
 * @example
 * ```ts
 * await serve({ ...await serverSettings(options), name: "echo", transport: "tcp", tcp }, { io, out });
 * ```
 */
export async function serverSettings(flags: ServerFlagValues): Promise<ServerSettings> {
  // The system resolver would read 127.0.0.010 as octal and listen somewhere else.
  const quad = dottedQuadProblem(flags.host);
  if (quad) throw new UsageError(`--host "${flags.host}": not an IPv4 address: ${quad}`);
  return {
    host: flags.host,
    port: flags.port,
    maxConns: flags.maxConns,
    idleTimeout: flags.idleTimeout,
    quiet: flags.quiet,
    tls: await serverTls(flags),
    access: accessRules(flags),
  };
}
