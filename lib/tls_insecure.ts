/**
 * `--insecure`: TLS without verifying the server's certificate. Deno's own TLS has no
 * per-connection way to skip the check (only a process-wide flag), so this runs
 * `node:tls` with `rejectUnauthorized: false` over the TCP connection `dial` made (its
 * resolving, timeouts and errors stay the same), and hands back the plaintext side as
 * the `read`/`write`/`close` shape the clients use.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { connect, type TLSSocket } from "node:tls";
import { closeQuietly } from "./close.ts";
import type { DialedConn } from "./net.ts";

/**
 * Completes a TLS handshake over `tcp` without verifying the certificate.
 *
 * @example
 * ```ts
 * const conn = await insecureTls(await Deno.connect({ hostname: "127.0.0.1", port: 7 }), "localhost");
 * ```
 */
export function insecureTls(tcp: Deno.TcpConn, servername: string): Promise<DialedConn> {
  const socket = connect({
    socket: duplexOf(tcp),
    servername: /^[\d.]+$|:/.test(servername) ? undefined : servername, // no SNI for an IP
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve(plaintextOf(socket, tcp.remoteAddr));
    });
    socket.once("error", reject);
  });
}

/** A Deno connection as the Node stream `node:tls` runs over. */
function duplexOf(conn: Deno.TcpConn): Duplex {
  const buf = new Uint8Array(64 * 1024);
  return new Duplex({
    read() {
      conn.read(buf).then(
        (n) => this.push(n === null ? null : Buffer.from(buf.subarray(0, n))),
        (err) => this.destroy(err),
      );
    },
    write(chunk: Uint8Array, _encoding, done) {
      writeAll(conn, chunk).then(() => done(), done);
    },
    final(done) {
      conn.closeWrite().then(() => done(), done);
    },
    destroy(err, done) {
      closeQuietly(conn);
      done(err);
    },
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** The plaintext side of a TLS socket, read and written like a Deno connection. */
function plaintextOf(socket: TLSSocket, remoteAddr: Deno.NetAddr): DialedConn {
  const chunks = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let rest: Uint8Array | undefined;
  return {
    remoteAddr,
    async read(buf) {
      if (!rest?.length) {
        const next = await chunks.next().catch((err) => Promise.reject(denoError(err)));
        if (next.done) return null;
        rest = next.value;
      }
      const n = Math.min(buf.length, rest.length);
      buf.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return n;
    },
    write(bytes) {
      return new Promise((resolve, reject) => {
        socket.write(bytes, (err) => err ? reject(denoError(err)) : resolve(bytes.length));
      });
    },
    closeWrite() {
      return new Promise((resolve) => socket.end(resolve));
    },
    close() {
      socket.destroy();
    },
  };
}

/** Node's socket errors as the Deno errors the clients already tell apart. */
function denoError(err: Error & { code?: string }): Error {
  if (err.code === "ECONNRESET") return new Deno.errors.ConnectionReset(err.message);
  if (err.code === "EPIPE") return new Deno.errors.BrokenPipe(err.message);
  if (err.code === "ERR_STREAM_DESTROYED") return new Deno.errors.BadResource(err.message);
  return err;
}
