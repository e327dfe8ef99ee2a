/**
 * The three ways a worker adds 1 to the shared counter `iterations` times — the heart
 * of the demo. Each loop reports its progress every {@linkcode CHUNK} increments.
 *
 * Unsafe and mutex do the same {@linkcode readAddWrite}: a read of the counter, an add,
 * a separate write. The read is `Atomics.load`, not a plain `mem[COUNTER]`, and that
 * matters: a plain read is one the JIT may keep in a register across the loop (V8's
 * optimising compiler does, here), and then each worker reads the counter once per run
 * and overwrites the others' work wholesale instead of racing increment by increment.
 * `Atomics.load` must read memory every time. It does not make the increment safe:
 * between that read and the write, another worker can still write.
 *
 * @module
 */

import { COUNTER, LOCK, type Mode } from "./memory.ts";
import { lock, unlock } from "./mutex.ts";

/** Increments between progress reports: rare enough to cost nothing. */
export const CHUNK = 1 << 16;

/**
 * Adds 1 to `mem[COUNTER]` `iterations` times the `mode` way, storing the number done
 * so far in `mem[progressAt]` after every chunk.
 *
 * @example
 * ```ts
 * const mem = sharedMemory();
 * increment(mem, "atomic", 1000, progressAt(0));
 * mem[COUNTER]; // 1000
 * ```
 */
export function increment(
  mem: Int32Array<SharedArrayBuffer>,
  mode: Mode,
  iterations: number,
  progressAt: number,
): void {
  const loop = LOOPS[mode];
  for (let done = 0; done < iterations;) {
    const n = Math.min(CHUNK, iterations - done);
    loop(mem, n);
    done += n;
    Atomics.store(mem, progressAt, done);
  }
}

const LOOPS: Record<Mode, (mem: Int32Array<SharedArrayBuffer>, n: number) => void> = {
  unsafe(mem, n) {
    for (let i = 0; i < n; i++) readAddWrite(mem);
  },
  atomic(mem, n) {
    for (let i = 0; i < n; i++) {
      // One indivisible read-modify-write (a `lock xadd` on x86).
      Atomics.add(mem, COUNTER, 1);
    }
  },
  mutex(mem, n) {
    for (let i = 0; i < n; i++) {
      lock(mem, LOCK);
      // The same read, add, write as `unsafe`, but only the lock holder runs it; the
      // lock's atomics order one holder's write before the next holder's read.
      readAddWrite(mem);
      unlock(mem, LOCK);
    }
  },
};

/**
 * `counter = counter + 1` as the three steps it is: read, add, write. When another
 * worker writes between this read and this write, one of the two increments is lost.
 *
 * @example
 * ```ts
 * const mem = sharedMemory();
 * readAddWrite(mem);
 * mem[COUNTER]; // 1
 * ```
 */
export function readAddWrite(mem: Int32Array<SharedArrayBuffer>): void {
  const value = Atomics.load(mem, COUNTER); // read (fresh every time; see the module doc)
  mem[COUNTER] = value + 1; // add, write: a plain store
}
