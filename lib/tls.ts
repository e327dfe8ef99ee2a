/**
 * TLS for every TCP client (README, "TLS"): the handshake over a dialled connection,
 * and one classification of its failures: a certificate that cannot be verified is
 * exit 8 with the reason and the hint, a peer that does not speak TLS is exit 6. The
 * flags, and reading them into {@linkcode TlsClientOptions}, are in lib/tls_flags.ts:
 * a client imports this module only to speak TLS (`dial` with `tls`).
 *
 * Deno checks certificates with rustls: `Deno.startTls` over the dialled TCP connection
 * (so the name checked can differ from the host dialled, `--servername`). Deno has no
 * per-connection way to skip the check, so `--insecure` goes through `node:tls`
 * (`lib/tls_insecure.ts`).
 *
 * @module
 */

import { closeQuietly } from "./close.ts";
import { InterruptedError, ProtocolError, SockitError, TimeoutError, TlsError } from "./errors.ts";
import type { DialedConn } from "./net.ts";
import { within } from "./pause.ts";
import type { TlsClientOptions } from "./tls_flags.ts";

/** Where a handshake happens and for how long it may take. */
export interface HandshakeContext {
  /** The host as given (checked in the certificate unless `servername` says otherwise). */
  host: string;
  /** The address dialled, for messages: `127.0.0.1:7`. */
  where: string;
  /** Milliseconds left for the handshake. */
  timeout: number;
  /** The user's cancel (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Speaks TLS over a dialled TCP connection and completes the handshake, so a bad
 * certificate fails here with its exit code rather than on the first read.
 *
 * @throws {TlsError} (exit 8) when the certificate cannot be verified.
 * @throws {ProtocolError} (exit 6) when the peer does not speak TLS.
 * @throws {TimeoutError} (exit 5) when the handshake takes longer than `timeout`.
 *
 * @example
 * ```ts
 * const tls = await startClientTls(tcp, { caCerts: [pem] }, { host: "localhost", where: "127.0.0.1:7", timeout: 5000 });
 * ```
 */
export async function startClientTls(
  tcp: Deno.TcpConn,
  options: TlsClientOptions,
  at: HandshakeContext,
): Promise<DialedConn> {
  const name = options.servername ?? at.host;
  try {
    if (options.insecure) {
      // Imported here: node:tls brings the whole Node layer with it, some 15 ms at
      // start-up that every echo --to and chat-join would pay without --insecure.
      const { insecureTls } = await import("./tls_insecure.ts");
      return await bounded(insecureTls(tcp, name), tcp, at);
    }
    const conn = await Deno.startTls(tcp, { hostname: name, caCerts: options.caCerts });
    await bounded(conn.handshake(), conn, at);
    return conn;
  } catch (err) {
    throw clientTlsError(err, at.where, name);
  }
}

/** `work`, unless the handshake's time runs out or the user cancels: then closed. */
async function bounded<T>(work: Promise<T>, conn: { close(): void }, at: HandshakeContext) {
  const cancelled = Promise.withResolvers<"cancelled">();
  const onAbort = () => cancelled.resolve("cancelled");
  at.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await within(Promise.race([work, cancelled.promise]), at.timeout);
    if (result === undefined || result === "cancelled") {
      work.catch(() => {}); // abandoned with the socket
      closeQuietly(conn);
      if (result === "cancelled") throw new InterruptedError();
      throw new TimeoutError(`tls ${at.where}: no TLS handshake within the timeout`, {
        hint: "raise --timeout if the server is slow; is it a TLS server?",
      });
    }
    return result as T;
  } finally {
    at.signal?.removeEventListener("abort", onAbort);
  }
}

const TRUST_HINT = "pass --ca FILE, or --insecure to skip the check";

/**
 * The exit-coded error for a failed client handshake: a certificate rustls rejects is
 * a {@linkcode TlsError} naming why; anything else means the peer does not speak TLS.
 *
 * @example
 * ```ts
 * clientTlsError(new Deno.errors.InvalidData("invalid peer certificate: UnknownIssuer"), "127.0.0.1:7", "localhost").exitCode; // 8
 * clientTlsError(new Deno.errors.UnexpectedEof("eof"), "127.0.0.1:7", "localhost").exitCode; // 6
 * ```
 */
export function clientTlsError(err: unknown, where: string, name: string): SockitError {
  if (err instanceof SockitError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const cert = /invalid peer certificate: (.*)$/s.exec(text)?.[1];
  if (cert !== undefined) {
    const { reason, hint } = certificateReason(cert, name);
    return new TlsError(`tls ${where}: ${reason}`, { hint, cause: err });
  }
  return new ProtocolError(`tls ${where}: the server does not speak TLS (${text})`, {
    hint: "is it a plain TCP server? then leave out --tls",
    cause: err,
  });
}

function certificateReason(cert: string, name: string): { reason: string; hint: string } {
  if (cert.includes("UnknownIssuer")) {
    return { reason: "the server's certificate is not signed by a trusted CA", hint: TRUST_HINT };
  }
  const expired = /not valid after (\d+)/.exec(cert);
  if (expired || /expired/i.test(cert)) {
    const when = expired ? ` on ${new Date(Number(expired[1]) * 1000).toISOString()}` : "";
    return { reason: `the server's certificate expired${when}`, hint: TRUST_HINT };
  }
  const only = /only valid for (.*)$/.exec(cert)?.[1];
  if (cert.includes("not valid for name")) {
    return {
      reason: `the server's certificate is not valid for ${JSON.stringify(name)}` +
        (only ? ` (only for ${only})` : ""),
      hint: "pass --servername with a name it holds, or --insecure to skip the check",
    };
  }
  if (cert.includes("CaUsedAsEndEntity")) {
    return {
      reason: "the server's certificate is a CA certificate, not a server's (CaUsedAsEndEntity)",
      hint: "the server needs a leaf certificate signed by that CA",
    };
  }
  return { reason: `the server's certificate could not be verified: ${cert}`, hint: TRUST_HINT };
}
