/**
 * A chat client's outgoing queue and the writer loop that drains it. The room only
 * appends shared, already-encoded bytes here (no await), and each client's own loop
 * writes them out at the pace that client reads. Nothing queued is ever dropped while
 * the client is connected: past `limit` bytes the outbox says it is full
 * (`onPressure(true)`), and whoever fills it (the room's senders, see `pressure.ts`)
 * waits until it has drained to half the limit (`onPressure(false)`). A client that
 * takes no bytes at all is found by {@linkcode Outbox.stalledTicks}, not here.
 *
 * @module
 */

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Bytes waiting (queued or being written) past which the outbox is full. */
  limit: number;
  /**
   * Called with true when a send makes the outbox full, and with false once it has
   * drained to half of `limit` (or closed) again.
   */
  onPressure?: (full: boolean) => void;
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
 * const outbox = new Outbox(conn, { limit: 1 << 20, onPressure: (full) => gate.set(outbox, full) });
 * outbox.send(bytes); // never waits; written by the outbox's own loop
 * ```
 */
export class Outbox {
  readonly #conn: Pick<Deno.Conn, "write">;
  readonly #options: OutboxOptions;
  /** Chunks waiting, from `#head` on: a queue that costs O(1) per chunk taken. */
  #queue: Uint8Array[] = [];
  #head = 0;
  #queued = 0; // bytes queued plus bytes being written
  #full = false;
  #closed = false;
  #drained: (() => void)[] = [];
  /** Writes completed so far: the stall check compares it between ticks. */
  #progress = 0;
  #seenProgress = 0;
  #stalledTicks = 0;

  constructor(conn: Pick<Deno.Conn, "write">, options: OutboxOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  /** Bytes waiting to be written, including the write in progress. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether more than the limit waits (and has not drained to half of it since). */
  get full(): boolean {
    return this.#full;
  }

  /** Whether the outbox stopped taking bytes (failed or closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `bytes` (which may be shared with other outboxes: they are never modified).
   * An idle outbox starts writing at once; bytes queued while a write is in progress go
   * out together in the next write. A send is never refused for size: it may take the
   * outbox past its limit (by at most what one read of a sender produces, since
   * senders stop reading while it is full). Returns false when the outbox is closed.
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queued === 0) {
      // The stall clock starts now.
      this.#seenProgress = this.#progress;
      this.#stalledTicks = 0;
    }
    this.#queued += bytes.length;
    if (this.#writing === undefined) this.#write(bytes); // idle: straight out, no queue
    else this.#queue.push(bytes);
    if (!this.#full && this.#queued > this.#options.limit) {
      this.#full = true;
      this.#options.onPressure?.(true);
    }
    return true;
  }

  /** Resolves once everything queued so far is written (or the outbox closed). */
  flushed(): Promise<void> {
    if (this.#queued === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * For a periodic stall check: how many checks in a row (this one included) found
   * bytes waiting and not one write completed since the check before. 0 when nothing
   * waits or the client took bytes.
   */
  stalledTicks(): number {
    if (this.#queued === 0 || this.#progress !== this.#seenProgress) {
      this.#seenProgress = this.#progress;
      this.#stalledTicks = 0;
    } else {
      this.#stalledTicks++;
    }
    return this.#stalledTicks;
  }

  /** Stops taking bytes and drops what is queued (the connection is being closed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#relieve();
    this.#wake();
  }

  #relieve(): void {
    if (!this.#full) return;
    this.#full = false;
    this.#options.onPressure?.(false);
  }

  #wake(): void {
    if (this.#drained.length === 0) return;
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  // The writer loop, as plain callbacks rather than an async function: this is the hot
  // path of every fan-out (one write per recipient per read of a sender).
  #writing: Uint8Array | undefined; // the chunk being written
  #written = 0; // of #writing

  #writeQueued(): void {
    // Small chunks waiting together go out in one write; a big one goes as it is, since
    // broadcast chunks are shared by every recipient and a copy would be this client's own.
    const queue = this.#queue;
    const head = this.#head;
    let end = head + 1;
    let size = queue[head].length;
    if (size < ALONE) {
      while (
        end < queue.length && queue[end].length < ALONE &&
        size + queue[end].length <= COALESCE_LIMIT
      ) {
        size += queue[end++].length;
      }
    }
    const chunk = end === head + 1 ? queue[head] : concat(queue.slice(head, end));
    if (end === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else {
      for (let i = head; i < end; i++) queue[i] = EMPTY; // let the taken chunks go
      this.#head = end;
      // Drop the taken slots now and then: amortised O(1) per chunk.
      if (end > 1024 && end * 2 > queue.length) {
        this.#queue = queue.slice(end);
        this.#head = 0;
      }
    }
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
    this.#progress++;
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
    if (this.#full && this.#queued <= this.#options.limit / 2) this.#relieve();
    if (this.#head < this.#queue.length) this.#writeQueued();
    else this.#wake();
  };

  readonly #onError = (err: unknown): void => {
    this.#writing = undefined;
    if (this.#closed) return;
    this.close();
    this.#options.onError?.(err);
  };
}

const EMPTY = new Uint8Array(0);

/** Queued chunks are merged into one write while their total stays within this. */
const COALESCE_LIMIT = 64 * 1024;
/**
 * A chunk this big is written as it is, never copied into a merged write: big chunks
 * are shared (a broadcast batch, the room's list of names), and a copy would be this
 * client's own.
 */
const ALONE = 16 * 1024;

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
