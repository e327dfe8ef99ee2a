/**
 * A futex-style mutex on one shared Int32 word, after Ulrich Drepper's "Futexes Are
 * Tricky" (mutex #2): `Atomics.compareExchange` takes it, `Atomics.wait` sleeps while
 * it is held, `Atomics.notify` wakes one sleeper when it is released. The word is
 * 0 unlocked, 1 locked, 2 locked with (possibly) sleepers — so an unlock that nobody
 * waits for costs one atomic and no system call.
 *
 * @module
 */

/** The lock word is free. */
export const UNLOCKED = 0;
/** Held, nobody waits. */
export const LOCKED = 1;
/** Held, and someone may sleep on it: the unlock must wake them. */
export const CONTENDED = 2;

/**
 * How often to look again before sleeping. The holder keeps the lock for a few
 * nanoseconds, so a short spin usually sees it free and saves two system calls
 * (sleep and wake); sleeping at once would make every contended increment a syscall.
 */
const SPINS = 64;

/**
 * Takes the lock at `mem[at]`, sleeping while another thread holds it.
 *
 * @example
 * ```ts
 * lock(mem, LOCK);
 * try {
 *   mem[COUNTER] = mem[COUNTER] + 1;
 * } finally {
 *   unlock(mem, LOCK);
 * }
 * ```
 */
export function lock(mem: Int32Array<SharedArrayBuffer>, at: number): void {
  if (Atomics.compareExchange(mem, at, UNLOCKED, LOCKED) === UNLOCKED) return;
  for (let spin = 0; spin < SPINS; spin++) {
    if (
      Atomics.load(mem, at) === UNLOCKED &&
      Atomics.compareExchange(mem, at, UNLOCKED, LOCKED) === UNLOCKED
    ) return;
  }
  waitForLock(mem, at);
}

/**
 * The sleeping half of {@linkcode lock}: marks the lock contended (so its holder's
 * unlock wakes someone), sleeps until it is released, and takes it — still marked
 * contended, because other sleepers may remain.
 *
 * @example
 * ```ts
 * // Inside lock(), once spinning did not get it:
 * waitForLock(mem, LOCK);
 * mem[LOCK]; // CONTENDED: held by us, and others may sleep
 * ```
 */
export function waitForLock(mem: Int32Array<SharedArrayBuffer>, at: number): void {
  let state = Atomics.load(mem, at);
  do {
    if (
      state === CONTENDED ||
      Atomics.compareExchange(mem, at, LOCKED, CONTENDED) !== UNLOCKED
    ) {
      // Returns at once if the word is no longer CONTENDED: no wake-up can be missed.
      Atomics.wait(mem, at, CONTENDED);
    }
  } while ((state = Atomics.compareExchange(mem, at, UNLOCKED, CONTENDED)) !== UNLOCKED);
}

/**
 * Releases the lock at `mem[at]`, waking one sleeper if the lock was contended.
 *
 * @returns whether it called `Atomics.notify` (the lock was marked contended).
 *
 * @example
 * ```ts
 * lock(mem, LOCK);
 * unlock(mem, LOCK); // false: nobody was waiting, no notify
 * ```
 */
export function unlock(mem: Int32Array<SharedArrayBuffer>, at: number): boolean {
  if (Atomics.sub(mem, at, 1) === LOCKED) return false; // 1 → 0: nobody waits
  Atomics.store(mem, at, UNLOCKED);
  Atomics.notify(mem, at, 1);
  return true;
}
