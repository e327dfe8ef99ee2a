/**
 * The room's backpressure: which members' outboxes are full, and a way for everything
 * that puts bytes into them to wait until none is. Every broadcast reaches every
 * member, so one full outbox means that any sender's next message would make it
 * fuller: while one is full, the room reads from no one (TCP then slows the senders),
 * and it reads again once each full outbox has drained to half its limit or its client
 * was dropped for not reading at all (`--stall-timeout`).
 *
 * Any event source that feeds the room waits the same way before it produces more:
 *
 * ```ts
 * for (;;) {
 *   await room.pressure.wait(); // undefined (go on at once) while nothing is full
 *   const events = await source.next();
 *   for (const event of events) room.broadcast(event);
 * }
 * ```
 *
 * @module
 */

/**
 * A set of full things (outboxes) and the waiters held back while it is not empty.
 *
 * @example
 * ```ts
 * const pressure = new Pressure();
 * pressure.set(outbox, true);
 * const wait = pressure.wait(); // a promise: something is full
 * pressure.set(outbox, false); // ... which resolves now
 * ```
 */
export class Pressure {
  readonly #full = new Set<object>();
  #opened: Promise<void> | undefined;
  #open: (() => void) | undefined;

  /** Whether something is full. */
  get blocked(): boolean {
    return this.#full.size > 0;
  }

  /** How many things are full. */
  get size(): number {
    return this.#full.size;
  }

  /** Notes that `key` is full (true) or not (false). */
  set(key: object, full: boolean): void {
    if (full) {
      this.#full.add(key);
      return;
    }
    if (!this.#full.delete(key) || this.#full.size > 0) return;
    const open = this.#open;
    this.#opened = this.#open = undefined;
    open?.();
  }

  /**
   * Undefined when nothing is full (go on at once: no promise on the hot path); else
   * a promise, shared by every waiter, that resolves once nothing is.
   */
  wait(): Promise<void> | undefined {
    if (this.#full.size === 0) return undefined;
    return this.#opened ??= new Promise((resolve) => this.#open = resolve);
  }
}
