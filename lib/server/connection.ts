/**
 * The connection the server runtime hands to a command's handler. It owns the socket:
 * every read marks traffic for the idle timeout, every read and write is counted and
 * traced, and closing (at once, or lingering so a goodbye is not destroyed by a reset)
 * is its job, not the handler's. Forgetting a `touch()` or a byte count can no longer
 * break `--idle-timeout`, the summary or `--trace`.
 *
 * @module
 */

import { closeQuietly } from "../close.ts";
import { within } from "../pause.ts";
import type { Direction } from "../trace.ts";

/** One accepted TCP (or TLS) connection, as a handler sees it. */
export interface Connection {
  /** Sequence number of this connection in this server (0 for one turned away). */
  readonly id: number;
  /** The id as logs show it, with the worker's prefix (`w2.5`). */
  readonly label: string;
  /** The peer's address as text, `127.0.0.1:50123` or `[::1]:50123`. */
  readonly peer: string;
  /** Bytes read and written so far. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Whether {@linkcode Connection.close} ran (or a lingering close finished). */
  readonly closed: boolean;
  /** Why the connection ended, when the runtime ended it (`timeout`, `shutdown`). */
  closeReason?: string;
  /**
   * Reads into `buf`, like `Deno.Conn.read`: the byte count, or null at end of input
   * (and after a lingering close started). Marks traffic, counts, traces.
   */
  read(buf: Uint8Array): Promise<number | null>;
  /** One write, like `Deno.Conn.write`: how many bytes went out. Counts and traces them. */
  write(bytes: Uint8Array): Promise<number>;
  /** Writes all of `bytes`. */
  writeAll(bytes: Uint8Array): Promise<void>;
  /**
   * Closes without losing what was written: FIN first, then whatever the peer still
   * sends is read and dropped until it closes too or `ms` pass, then the socket closes.
   * Closing a socket that holds unread input makes the kernel send RST instead of FIN,
   * and an RST can destroy the last reply before the peer reads it. Resolves once closed.
   */
  lingeringClose(ms?: number): Promise<void>;
  /** Closes the socket now; safe to call more than once. */
  close(): void;
  /**
   * Marks traffic for the idle timeout without a read: for a handler that holds input
   * it read earlier and handles it later (chat's `--rate` pacing).
   */
  touch(): void;
}

/** What a read returns once a lingering close started: the end of input. */
const END: Promise<null> = Promise.resolve(null);

/**
 * A write's failure as the runtime's own reaction sees it: the handler's await sees the
 * error. One shared function, not an arrow per write.
 */
const ignore = (): void => {};

/** Longest a lingering close waits for the peer to close after our FIN. */
export const LINGER_MS = 500;

/** What a connection is told besides its socket. */
export interface ConnectionOptions {
  id: number;
  label: string;
  peer: string;
  /** Logs a read or write (`--trace`). */
  trace?: (direction: Direction, peer: string, bytes: Uint8Array) => void;
}

/**
 * Wraps an accepted socket in the runtime's {@linkcode Connection}.
 *
 * @example
 * ```ts
 * const c = openConnection(await listener.accept(), { id: 1, label: "1", peer: "127.0.0.1:5" });
 * await c.writeAll(new TextEncoder().encode("hello\n"));
 * await c.lingeringClose();
 * ```
 */
export function openConnection(conn: Deno.Conn, options: ConnectionOptions): RuntimeConnection {
  return new RuntimeConnection(conn, options);
}

/**
 * The runtime's side of a connection: what handlers see plus the idle ticks the sweep
 * counts. A class, so the hot path's calls stay monomorphic.
 *
 * @example
 * ```ts
 * const c = openConnection(conn, { id: 1, label: "1", peer: "127.0.0.1:50123" });
 * c.idleTicks++; // the idle sweep's tick; the next read resets it to 0
 * ```
 */
export class RuntimeConnection implements Connection {
  readonly id: number;
  readonly label: string;
  readonly peer: string;
  bytesIn = 0;
  bytesOut = 0;
  closeReason?: string;
  /** Idle-sweep ticks since the last read; a field write is all a read pays for it. */
  idleTicks = 0;
  readonly #conn: Deno.Conn;
  readonly #trace?: (direction: Direction, peer: string, bytes: Uint8Array) => void;
  #closed = false;
  #lingering = false;
  /** The read in flight, so a lingering close waits on it instead of reading twice. */
  #reading: Promise<number | null> | undefined;
  /** Its buffer, for the trace. */
  #readInto: Uint8Array | undefined;

  constructor(conn: Deno.Conn, options: ConnectionOptions) {
    this.#conn = conn;
    this.id = options.id;
    this.label = options.label;
    this.peer = options.peer;
    this.#trace = options.trace;
  }

  get closed(): boolean {
    return this.#closed;
  }

  touch(): void {
    this.idleTicks = 0;
  }

  // The hot path. read() and write() hand back Deno's own promise and do their
  // bookkeeping in a reaction attached first, which runs before the handler's await
  // resumes: no wrapper promise and no extra microtask hop per call (an async wrapper
  // cost the echo server about 4% more CPU per round trip).
  read(buf: Uint8Array): Promise<number | null> {
    if (this.#lingering) return END;
    const reading = this.#reading = this.#conn.read(buf);
    this.#readInto = buf;
    reading.then(this.#afterRead, this.#afterReadFailed);
    return reading;
  }

  readonly #afterRead = (n: number | null): void => {
    this.#reading = undefined;
    if (n === null) return;
    this.idleTicks = 0;
    this.bytesIn += n;
    if (this.#trace) this.#trace("read", this.peer, this.#readInto!.subarray(0, n));
  };

  readonly #afterReadFailed = (): void => {
    this.#reading = undefined; // the handler's await sees the error itself
  };

  write(bytes: Uint8Array): Promise<number> {
    const writing = this.#conn.write(bytes);
    if (this.#trace) {
      const trace = this.#trace;
      writing.then((n) => trace("write", this.peer, bytes.subarray(0, n)), ignore);
    }
    writing.then(this.#afterWrite, ignore);
    return writing;
  }

  readonly #afterWrite = (n: number): void => {
    this.bytesOut += n;
  };

  async writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.write(bytes.subarray(written));
  }

  async lingeringClose(ms: number = LINGER_MS): Promise<void> {
    if (this.#closed || this.#lingering) return;
    this.#lingering = true;
    try {
      await this.#conn.closeWrite();
      await this.#drain(Date.now() + ms);
    } catch { /* the peer is gone already: nothing to linger for */ }
    this.close();
  }

  /** Reads and drops input until the peer closes or `deadline`. */
  async #drain(deadline: number): Promise<void> {
    const scratch = new Uint8Array(4096);
    while (!this.#closed && Date.now() < deadline) {
      // A handler's read may still be in flight: wait on it (a second read would fail
      // as busy); after it, the handler's reads return null and only this loop reads.
      const theirs = this.#reading;
      const pending = theirs ?? this.#conn.read(scratch);
      const n = await within(pending.catch(() => null), deadline - Date.now());
      if (n === undefined || n === null) return;
      if (!theirs) this.bytesIn += n; // the handler's read counted its own
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
  }
}
