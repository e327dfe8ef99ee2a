/**
 * A chat client's outgoing queue and the writer loop that drains it, so that one slow
 * reader never holds up a broadcast: the room only appends shared, already-encoded
 * bytes here (no await), and each client's own loop writes them out at the pace that
 * client reads. A queue that passes its limit means the client stopped reading: the
 * outbox calls `onOverflow` once and takes nothing more.
 *
 * @module
 */

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Most bytes waiting (queued or being written) before the client counts as too slow. */
  maxQueue: number;
  /** Called once, synchronously, when a send pushes the queue past `maxQueue`. */
  onOverflow: () => void;
  /** Called once when a write fails (the peer went away). */
  onError?: (err: unknown) => void;
  /** Called with every chunk written (for `--trace` and byte counts). */
  onWrite?: (bytes: Uint8Array) => void;
}

/**
 * The queue of bytes to one client plus its writer loop.
 *
 * @example
 * ```ts
 * const outbox = new Outbox(conn, { maxQueue: 1 << 20, onOverflow: () => dropSlow(client) });
 * outbox.send(bytes); // never waits; written by the outbox's own loop
 * ```
 */
export class Outbox {
  readonly #conn: Pick<Deno.Conn, "write">;
  readonly #options: OutboxOptions;
  #queue: Uint8Array[] = [];
  #queued = 0; // bytes queued plus bytes being written
  #closed = false;
  #drained: (() => void)[] = [];

  constructor(conn: Pick<Deno.Conn, "write">, options: OutboxOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  /** Bytes waiting to be written, including the write in progress. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the outbox stopped taking bytes (overflowed, failed or closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `bytes` (which may be shared with other outboxes: they are never modified).
   * An idle outbox starts writing at once; bytes queued while a write is in progress go
   * out together in the next write. Returns false when the outbox is closed or this
   * send overflowed it.
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    this.#queued += bytes.length;
    if (this.#queued > this.#options.maxQueue) {
      this.#close();
      this.#options.onOverflow();
      return false;
    }
    if (this.#writing === undefined) this.#write(bytes); // idle: straight out, no queue
    else this.#queue.push(bytes);
    return true;
  }

  /** Resolves once everything queued so far is written (or the outbox closed). */
  flushed(): Promise<void> {
    if (this.#queued === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Stops taking bytes and drops what is queued (the connection is being closed). */
  close(): void {
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#wake();
  }

  #wake(): void {
    if (this.#drained.length === 0) return;
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  // The writer loop, as plain callbacks rather than an async function: this is the hot
  // path of every fan-out (one write per recipient per message in the worst case).
  #writing: Uint8Array | undefined; // the chunk being written
  #written = 0; // of #writing

  #writeQueued(): void {
    // Small chunks waiting together go out in one write; a big one goes as it is, since
    // broadcast chunks are shared by every recipient and a copy would be this client's own.
    const queue = this.#queue;
    let take = 1;
    let size = queue[0].length;
    while (take < queue.length && size + queue[take].length <= COALESCE_LIMIT) {
      size += queue[take++].length;
    }
    const chunk = take === 1 ? queue[0] : concat(queue, take);
    if (take === queue.length) queue.length = 0;
    else this.#queue = queue.slice(take);
    this.#write(chunk);
  }

  #write(chunk: Uint8Array): void {
    this.#writing = chunk;
    this.#written = 0;
    this.#conn.write(chunk).then(this.#onWrite, this.#onError);
  }

  readonly #onWrite = (n: number): void => {
    const chunk = this.#writing!;
    this.#written += n;
    if (this.#closed) {
      this.#writing = undefined;
      return;
    }
    if (this.#written < chunk.length) {
      this.#conn.write(chunk.subarray(this.#written)).then(this.#onWrite, this.#onError);
      return;
    }
    this.#writing = undefined;
    this.#queued -= chunk.length;
    this.#options.onWrite?.(chunk);
    if (this.#queue.length > 0) this.#writeQueued();
    else this.#wake();
  };

  readonly #onError = (err: unknown): void => {
    this.#writing = undefined;
    if (this.#closed) return;
    this.#close();
    this.#options.onError?.(err);
  };
}

/** Queued chunks are merged into one write while their total stays within this. */
const COALESCE_LIMIT = 64 * 1024;

/**
 * The first `count` of `chunks` (all by default) as one buffer.
 *
 * @example
 * ```ts
 * concat([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concat(chunks: readonly Uint8Array[], count = chunks.length): Uint8Array {
  let length = 0;
  for (let i = 0; i < count; i++) length += chunks[i].length;
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < count; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}
