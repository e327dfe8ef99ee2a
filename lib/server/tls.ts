/**
 * TLS on a server's TCP listener (README, "TLS"): the certificate and
 * key from `--tls-cert`/`--tls-key`, the listener, and the handshake each accepted
 * connection must pass before its handler sees it. A client that is not TLS, or fails
 * the handshake, is logged and closed; the server goes on.
 *
 * @module
 */

import { formatDuration } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { within } from "../pause.ts";
import { readPem } from "../tls_flags.ts";

/** The PEM text a TLS listener serves with. */
export interface ServerTls {
  cert: string;
  key: string;
}

/** Longest a client gets to complete its handshake (one that sends nothing, say). */
export const HANDSHAKE_MS = 10_000;

/**
 * Reads `--tls-cert` and `--tls-key` (both or neither), or undefined for plain TCP.
 *
 * @throws {UsageError} (exit 2) when only one is given or a file cannot be read.
 *
 * @example
 * ```ts
 * const tls = await serverTls(options); // { cert, key } with both flags
 * ```
 */
export async function serverTls(
  flags: { tlsCert?: string; tlsKey?: string },
): Promise<ServerTls | undefined> {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined) throw new UsageError("--tls-key needs --tls-cert too");
  if (flags.tlsKey === undefined) throw new UsageError("--tls-cert needs --tls-key too");
  return {
    cert: await readPem("--tls-cert", flags.tlsCert),
    key: await readPem("--tls-key", flags.tlsKey),
  };
}

/**
 * Opens a TLS listener. A certificate or key rustls cannot use is the user's mistake
 * (exit 2, naming the flag), not a failure to listen.
 *
 * @example
 * ```ts
 * const listener = listenTls({ hostname: "127.0.0.1", port: 0 }, tls);
 * ```
 */
export function listenTls(
  at: { hostname: string; port: number; reusePort?: boolean },
  tls: ServerTls,
): Deno.TlsListener {
  try {
    return Deno.listenTls({ transport: "tcp", ...at, cert: tls.cert, key: tls.key });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (/KeyMismatch/.test(text)) {
      throw new UsageError("--tls-key does not match the certificate in --tls-cert", {
        hint: "pass the key the certificate was made with",
      });
    }
    if (/No certificates found|certificate/i.test(text)) {
      throw new UsageError(`--tls-cert: no usable PEM certificate in it (${text})`);
    }
    if (/key/i.test(text)) {
      throw new UsageError(`--tls-key: no usable PEM private key in it (${text})`);
    }
    throw err;
  }
}

/**
 * Completes an accepted connection's handshake: undefined when it is done, else why it
 * failed (a plain-TCP client, garbage, a client that rejected our certificate, silence
 * past {@linkcode HANDSHAKE_MS}, or the server stopping).
 *
 * @example
 * ```ts
 * const failed = await serverHandshake(conn, stopping.signal);
 * if (failed) conn.close();
 * ```
 */
export async function serverHandshake(
  conn: Deno.TlsConn,
  stop: AbortSignal,
  ms = HANDSHAKE_MS,
): Promise<string | undefined> {
  const stopped = Promise.withResolvers<string>();
  const onStop = () => stopped.resolve("the server is shutting down");
  stop.addEventListener("abort", onStop, { once: true });
  try {
    // "" is success: `within` says undefined for "time ran out".
    const done = conn.handshake().then(
      () => "",
      (err) => (err instanceof Error ? err.message : String(err)) || "handshake failed",
    );
    const result = await within(Promise.race([done, stopped.promise]), ms);
    if (result === undefined) return `no handshake within ${formatDuration(ms)}`;
    return result === "" ? undefined : result;
  } finally {
    stop.removeEventListener("abort", onStop);
  }
}
