/**
 * The echo server's own parts (RFC 862): the per-connection loop, the datagram reply,
 * and the `--workers` plan. Listening, limits, logging and shutdown are the shared
 * server runtime's.
 *
 * @module
 */

import type { Connection, DatagramHandler } from "../../lib/server/mod.ts";

/** Size of the buffer each connection reuses for every read. */
export const ECHO_BUFFER_SIZE = 64 * 1024;

/**
 * Echoes one TCP connection: a plain read/write loop over one reused buffer (about
 * twice the rate of `readable.pipeTo(writable)`). Each write is awaited before the next
 * read, so a client that does not read stops being read from: backpressure. When the
 * client shuts its write side, everything read has been written back, and the
 * connection closes: half-close works. Shutdown and the idle timeout close the
 * connection (the runtime's default), which ends the pending read.
 *
 * @example
 * ```ts
 * await serve({ name: "echo", host: "127.0.0.1", port: 7, transport: "tcp", tcp: echoConnection }, { io, out });
 * ```
 */
export async function echoConnection(c: Connection): Promise<void> {
  const buf = new Uint8Array(ECHO_BUFFER_SIZE);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) return;
    // c.write, not c.writeAll: one await per write on the hot path, no wrapper.
    let written = 0;
    while (written < n) written += await c.write(buf.subarray(written, n));
  }
}

/** Answers a datagram with the same bytes (the runtime's source guard ran already). */
export const echoDatagram: DatagramHandler = (data, _peer, reply) => reply(data);

/** How many TCP listeners `--workers N` gets on an OS, and why when fewer. */
export interface WorkerPlan {
  /** Accepting threads: the main one plus `threads - 1` Web Workers. */
  threads: number;
  /** Said on stderr when the request could not be honoured. */
  note?: string;
}

/**
 * Plans `--workers N`: several listeners on one port need SO_REUSEPORT with the
 * kernel spreading connections among them, which Deno offers on Linux only. Elsewhere
 * one listener serves (it is still concurrent: one event loop, many connections).
 *
 * @example
 * ```ts
 * workerPlan("linux", 4); // { threads: 4 }
 * workerPlan("darwin", 4).threads; // 1
 * ```
 */
export function workerPlan(os: typeof Deno.build.os, requested: number): WorkerPlan {
  if (requested <= 1) return { threads: 1 };
  if (os === "linux") return { threads: requested };
  return {
    threads: 1,
    note: `sockit: --workers ${requested}: sharing a port between listeners ` +
      `(SO_REUSEPORT) is Linux-only; serving with one listener on ${os}`,
  };
}
