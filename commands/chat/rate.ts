/**
 * `chat-serve --rate N/DUR`: a token bucket per client, and the pacer that holds a
 * client's messages over the rate instead of dropping them. While the pacer holds
 * messages, the session stops reading that client's socket, so the kernel's buffers
 * fill and TCP slows the sender down (a held read chunk is all the memory it costs).
 *
 * @module
 */

import { formatDuration, parseDuration } from "../../lib/duration.ts";
import { counted } from "../../lib/numbers.ts";

/** A rate: at most `count` messages per `perMs` milliseconds, bursts of up to `count`. */
export interface Rate {
  count: number;
  perMs: number;
  /** As the user wrote it (`20/s`), for messages. */
  text: string;
}

/**
 * Parses `N/DUR` (`20/s`, `600/m`, `5/2s`, `10/500ms`): a bare unit means one of it.
 * Undefined when `text` is not a rate, or N or DUR is zero.
 *
 * @example
 * ```ts
 * parseRate("600/m"); // { count: 600, perMs: 60000, text: "600/m" }
 * parseRate("fast"); // undefined
 * ```
 */
export function parseRate(text: string): Rate | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]);
  const perMs = parseDuration(/^[a-z]+$/.test(match[2]) ? `1${match[2]}` : match[2]);
  if (!Number.isSafeInteger(count) || count < 1 || perMs === undefined || perMs <= 0) {
    return undefined;
  }
  return { count, perMs, text: `${count}/${match[2]}` };
}

/**
 * A token bucket: holds up to `count` tokens, refilled continuously at `count` per
 * `perMs`; each message takes one.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ count: 2, perMs: 1000, text: "2/s" }, 0);
 * bucket.take(0); // 0: sent at once
 * bucket.take(0); // 0
 * bucket.take(0); // 500: wait 500 ms for the next token
 * ```
 */
export class TokenBucket {
  readonly #rate: Rate;
  #tokens: number;
  #at: number;

  constructor(rate: Rate, now: number) {
    this.#rate = rate;
    this.#tokens = rate.count;
    this.#at = now;
  }

  /** Whether the bucket is full at `now` (the client stayed under the rate meanwhile). */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#rate.count;
  }

  /** Takes a token: 0 when there was one, else the milliseconds until there is. */
  take(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) * this.#rate.perMs / this.#rate.count));
  }

  #refill(now: number): void {
    const { count, perMs } = this.#rate;
    this.#tokens = Math.min(count, this.#tokens + (now - this.#at) * count / perMs);
    this.#at = now;
  }
}

/** Options of {@linkcode Pacer}. */
export interface PacerOptions {
  /** Handles one message (a frame); called at once or when its token comes. */
  handle: (frame: Uint8Array) => void;
  /** After each group of held messages was handled (to flush broadcasts, touch timers). */
  afterRelease?: () => void;
  /** Once per burst: the first message of a burst over the rate is being held. */
  onLimited: () => void;
  /** Milliseconds clock; `Date.now` by default. */
  now?: () => number;
}

/**
 * Lets a client's messages through at its rate: each one is handled at once while
 * there are tokens; past that, it is copied and held (with every later one, in order)
 * and released as tokens come. The caller stops reading the client while
 * {@linkcode holding} and waits for {@linkcode idle}.
 *
 * @example
 * ```ts
 * const pacer = new Pacer(rate, { handle: (f) => session.frame(f), onLimited: tell });
 * decoder.push(chunk, (frame) => pacer.admit(frame));
 * if (pacer.holding) await pacer.idle(); // read no more until the held ones are out
 * ```
 */
export class Pacer {
  readonly #bucket: TokenBucket;
  readonly #options: PacerOptions;
  readonly #now: () => number;
  // Held frames, back to back in one buffer (a read of 100,000 short lines costs its
  // bytes and a number each, not 100,000 buffers): frame i is #arena[#ends[i-1], #ends[i]).
  #arena = EMPTY;
  #used = 0;
  #ends: number[] = [];
  #next = 0; // index of the next held frame
  #told = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: (() => void)[] = [];
  #stopped = false;

  constructor(rate: Rate, options: PacerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#bucket = new TokenBucket(rate, this.#now());
  }

  /** Whether messages are held (the caller should not read more until {@linkcode idle}). */
  get holding(): boolean {
    return this.#next < this.#ends.length;
  }

  /** Handles `frame` now if the rate allows, else holds a copy of it. */
  admit(frame: Uint8Array): void {
    if (this.#stopped) return;
    const now = this.#now();
    if (this.holding) return this.#hold(frame);
    if (this.#bucket.full(now)) this.#told = false; // under the rate since: a new burst
    const wait = this.#bucket.take(now);
    if (wait === 0) return this.#options.handle(frame);
    this.#hold(frame);
    if (!this.#told) {
      this.#told = true;
      this.#options.onLimited();
    }
    this.#timer = setTimeout(this.#release, wait);
  }

  /** Resolves once nothing is held (at once when nothing is), or the pacer stopped. */
  idle(): Promise<void> {
    if (!this.holding || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops what is held and releases nothing more (the session is ending). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#reset();
    this.#wake();
  }

  /** Keeps a copy of `frame` (a view into a read buffer that will be reused). */
  #hold(frame: Uint8Array): void {
    if (this.#used + frame.length > this.#arena.length) {
      const grown = new Uint8Array(
        Math.max(2 * this.#arena.length, this.#used + frame.length, 4096),
      );
      grown.set(this.#arena.subarray(0, this.#used));
      this.#arena = grown;
    }
    this.#arena.set(frame, this.#used);
    this.#used += frame.length;
    this.#ends.push(this.#used);
  }

  #reset(): void {
    this.#arena = EMPTY;
    this.#used = 0;
    this.#ends = [];
    this.#next = 0;
  }

  readonly #release = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    let wait = 0;
    while (this.holding) {
      wait = this.#bucket.take(this.#now());
      if (wait > 0) break;
      const start = this.#next === 0 ? 0 : this.#ends[this.#next - 1];
      const frame = this.#arena.subarray(start, this.#ends[this.#next++]);
      this.#options.handle(frame);
      if (this.#stopped) return;
    }
    this.#options.afterRelease?.();
    if (this.holding) {
      this.#timer = setTimeout(this.#release, wait);
      return;
    }
    this.#reset();
    this.#wake();
  };

  #wake(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The `rate_limited` notice's text.
 *
 * @example
 * ```ts
 * rateLimitedMessage({ count: 5, perMs: 1000, text: "5/s" });
 * // "You are sending more than 5 messages per 1s (--rate 5/s): the rest are delayed, not dropped"
 * ```
 */
export function rateLimitedMessage(rate: Rate): string {
  return `You are sending more than ${counted(rate.count, "message")} per ${
    formatDuration(rate.perMs)
  } (--rate ${rate.text}): the rest are delayed, not dropped`;
}
