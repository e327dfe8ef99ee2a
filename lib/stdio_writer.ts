/**
 * The process's stdout and stderr writes, batched: text written in one event-loop turn
 * (or, under load, in one {@linkcode DEFAULT_FLUSH_INTERVAL_MS}) leaves in one `write`
 * syscall per stream instead of one per line. A server logs two
 * lines per connection; unbatched, those writes (and their encoding) cost more than
 * serving a daytime connection does.
 *
 * Order is kept across both streams: the queue is one list of runs, so a terminal (or
 * `2>&1`) shows lines interleaved exactly as they were written. Each run is cut into
 * writes of at most {@linkcode ATOMIC_WRITE_BYTES} at the boundaries of `write()` calls,
 * so a line another thread (an echo worker) writes to the same pipe can never land in
 * the middle of one of ours — a pipe write that small is atomic, as the unbatched
 * one-write-per-line was.
 *
 * @module
 */

/** What a stream is written with: `Deno.stdout` and `Deno.stderr` fit. */
export interface SyncFile {
  writeSync(bytes: Uint8Array): number;
}

/** One output stream of a {@linkcode StdioWriter}. */
export interface Stream {
  /** Queues `text`; it is written at the end of this turn or when the queue is full. */
  write(text: string): void;
  /** Whether the reader went away; later writes to this stream are dropped. */
  readonly closed: boolean;
}

/** The batching writer made by {@linkcode createStdioWriter}. */
export interface StdioWriter {
  /**
   * A stream writing to `file`; `onClosed` runs once, after the write that found the
   * reader gone (a broken pipe) and the rest of that flush.
   */
  stream(file: SyncFile, onClosed: () => void): Stream;
  /** Writes everything queued, now (before an exit, or a worker's last message). */
  flush(): void;
}

/** Options of {@linkcode createStdioWriter}. */
export interface StdioWriterOptions {
  /**
   * Arranges for `flush` to run in `ms` milliseconds (0: after the rest of this
   * event-loop turn); called once per batch. Default: a timer.
   */
  schedule?: (flush: () => void, ms: number) => void;
  /**
   * Least milliseconds from one scheduled flush to the next (default 10): text after a
   * quiet spell goes out at the end of the turn, text under load at most this late, so
   * a busy server makes a hundred writes a second, not one per turn.
   */
  interval?: number;
  /** Milliseconds on a monotonic clock (default `performance.now`). */
  now?: () => number;
  /** Queued characters beyond which a write flushes at once (bounds memory). */
  limit?: number;
}

/** See {@linkcode StdioWriterOptions.interval}. */
export const DEFAULT_FLUSH_INTERVAL_MS = 10;

/** The largest write a pipe delivers in one piece (POSIX PIPE_BUF on Linux). */
export const ATOMIC_WRITE_BYTES = 4096;

const encoder = new TextEncoder();

interface StreamState extends Stream {
  file: SyncFile;
  onClosed: () => void;
  closed: boolean;
}

/** Consecutive writes to one stream: `parts` become one or more write syscalls. */
interface Run {
  stream: StreamState;
  parts: string[];
}

/**
 * A flush timer that does not load node:timers: Deno 2.9's global `setTimeout` is
 * Node's, and its first call loads node:timers, async_hooks, util.inspect and more, some
 * 3-5 ms of CPU that `sockit --version` would pay for its one line. `AbortSignal.timeout`
 * runs on the web timers. With its listener it keeps the process alive until it fires
 * (a few ms: harmless), and the "unload" listener (lib/io.ts) flushes at every exit.
 */
function webTimer(flush: () => void, ms: number): void {
  AbortSignal.timeout(ms).addEventListener("abort", flush, { once: true });
}

/**
 * Makes a batching writer; see the module's documentation for what it keeps.
 *
 * @example
 * ```ts
 * const writer = createStdioWriter();
 * const out = writer.stream(Deno.stdout, () => Deno.exit(141));
 * out.write("listening on tcp 127.0.0.1:7\n");
 * addEventListener("unload", writer.flush); // Deno.exit and a natural end
 * ```
 */
export function createStdioWriter(options: StdioWriterOptions = {}): StdioWriter {
  const schedule = options.schedule ?? webTimer;
  const limit = options.limit ?? 64 * 1024;
  const interval = options.interval ?? DEFAULT_FLUSH_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  let lastFlush = -Infinity;
  let queue: Run[] = [];
  let queued = 0;
  let scheduled = false;
  let flushing = false;

  const flush = () => {
    scheduled = false;
    if (flushing) return; // an onClosed that exits flushes from its unload handler
    flushing = true;
    lastFlush = now();
    const runs = queue;
    queue = [];
    queued = 0;
    const closedNow: StreamState[] = [];
    try {
      for (const run of runs) {
        if (run.stream.closed) continue;
        if (!writeRun(run)) {
          run.stream.closed = true;
          closedNow.push(run.stream);
        }
      }
    } finally {
      flushing = false;
    }
    for (const stream of closedNow) stream.onClosed();
    // What onClosed said (a server's note on stderr) goes out now: this flush may be the
    // last one, at exit. Each stream closes once, so this ends.
    if (closedNow.length > 0 && queue.length > 0) flush();
  };

  return {
    stream(file, onClosed) {
      const state: StreamState = {
        file,
        onClosed,
        closed: false,
        write(text) {
          if (state.closed || text === "") return;
          const last = queue[queue.length - 1];
          if (last?.stream === state) last.parts.push(text);
          else queue.push({ stream: state, parts: [text] });
          queued += text.length;
          if (queued > limit) flush();
          else if (!scheduled) {
            scheduled = true;
            schedule(flush, Math.max(0, Math.ceil(lastFlush + interval - now())));
          }
        },
      };
      return state;
    },
    flush,
  };
}

/** Writes a run in pieces of whole `write()` calls; false when the reader is gone. */
function writeRun(run: Run): boolean {
  let from = 0;
  while (from < run.parts.length) {
    // Take parts while they fit; a part longer than the limit goes alone, as it did
    // unbatched. Characters count at least one byte each, so this never takes too few.
    let to = from + 1;
    let size = run.parts[from].length;
    while (to < run.parts.length && size + run.parts[to].length <= ATOMIC_WRITE_BYTES) {
      size += run.parts[to++].length;
    }
    let bytes = encoder.encode(
      to - from === 1 ? run.parts[from] : run.parts.slice(from, to).join(""),
    );
    // Text beyond ASCII can encode past the limit: give back parts until it fits.
    while (bytes.length > ATOMIC_WRITE_BYTES && to - from > 1) {
      to = from + Math.ceil((to - from) / 2);
      bytes = encoder.encode(run.parts.slice(from, to).join(""));
    }
    if (!writeAll(run.stream.file, bytes)) return false;
    from = to;
  }
  return true;
}

function writeAll(file: SyncFile, bytes: Uint8Array): boolean {
  let off = 0;
  try {
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
  } catch (err) {
    // Deno ignores SIGPIPE, so a closed pipe is an error on every later write; it is
    // the reader's choice, not a failure worth a stack trace.
    if (err instanceof Deno.errors.BrokenPipe) return false;
    throw err;
  }
  return true;
}
