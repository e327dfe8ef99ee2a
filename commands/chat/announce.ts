/**
 * `chat-serve --announce-limit N`: in a big room, joins and leaves are not announced
 * one by one (N joins would cost N² deliveries) but counted and summarised, at most
 * once per period (10 s): `*** +12 joined, 3 left; 5,210 here`. The first summary
 * after a quiet period goes out at once (at the end of the current turn of the event
 * loop, so joins arriving together share it); later ones wait out the period.
 *
 * @module
 */

/** How often a big room's joins and leaves are summarised, at most. */
export const SUMMARY_EVERY_MS = 10_000;

/** Options of {@linkcode Announcer}. */
export interface AnnouncerOptions {
  /** `--announce-limit`: rooms of at most this many people hear every join and leave. */
  limit: number;
  /** Sends a summary of `joined` and `left` since the last one. */
  publish: (joined: number, left: number) => void;
  /** The period; {@linkcode SUMMARY_EVERY_MS} by default. */
  everyMs?: number;
  /** Milliseconds clock; `Date.now` by default. */
  now?: () => number;
  /** Runs `fn` after `ms` (an unref'd `setTimeout` by default); returns a canceller. */
  later?: (fn: () => void, ms: number) => () => void;
}

/**
 * Decides, per join or leave, whether it is announced on its own or counted for the
 * next summary, and sends the summaries.
 *
 * @example
 * ```ts
 * const announcer = new Announcer({ limit: 200, publish: (j, l) => room.summary(j, l) });
 * if (announcer.individually(room.size)) room.broadcast(join);
 * else announcer.joined();
 * ```
 */
export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #every: number;
  readonly #now: () => number;
  readonly #later: (fn: () => void, ms: number) => () => void;
  #joined = 0;
  #left = 0;
  #last = -Infinity; // when the last summary went out
  #cancel: (() => void) | undefined;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
    this.#every = options.everyMs ?? SUMMARY_EVERY_MS;
    this.#now = options.now ?? Date.now;
    this.#later = options.later ?? unrefLater;
  }

  /** Whether a join or leave in a room of `size` people (the person counted) is announced. */
  individually(size: number): boolean {
    return size <= this.#options.limit;
  }

  /** Counts a join for the next summary. */
  joined(): void {
    this.#joined++;
    this.#schedule();
  }

  /** Counts a leave for the next summary. */
  left(): void {
    this.#left++;
    this.#schedule();
  }

  /** Sends nothing more (the server is stopping). */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #schedule(): void {
    if (this.#cancel) return;
    const wait = Math.max(0, this.#last + this.#every - this.#now());
    this.#cancel = this.#later(this.#publish, wait);
  }

  readonly #publish = (): void => {
    this.#cancel = undefined;
    this.#last = this.#now();
    const joined = this.#joined;
    const left = this.#left;
    this.#joined = this.#left = 0;
    this.#options.publish(joined, left);
  };
}

function unrefLater(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  Deno.unrefTimer(timer); // a pending summary does not keep a stopping server alive
  return () => clearTimeout(timer);
}
