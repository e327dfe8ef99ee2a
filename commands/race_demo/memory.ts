/**
 * The memory the race-demo workers share — one `SharedArrayBuffer` seen as an
 * `Int32Array` — and the messages between the command and its workers.
 *
 * Each word the threads fight over sits on its own 64-byte cache line, so the
 * counter's race is the only contention measured: a worker's progress updates or the
 * start flag never slow the counter down by sharing its line (false sharing).
 *
 * @module
 */

/** Int32 words per 64-byte cache line. */
const LINE = 16;

/** The shared counter every worker adds 1 to. */
export const COUNTER = 0;
/** The mutex word: 0 unlocked, 1 locked, 2 locked with waiters (see `mutex.ts`). */
export const LOCK = 1 * LINE;
/** The start flag of the barrier: 0 hold, 1 go. */
export const GO = 2 * LINE;
/** How many workers got past the start flag (second half of the barrier). */
export const ARRIVED = 3 * LINE;
/** `--trace`: whose turn it is (0 for A, 1 for B). */
export const TURN = 4 * LINE;
/** `--trace`: entries written to the shared log so far. */
export const LOG_LENGTH = 5 * LINE;
/** `--trace`: per worker, 1 while it sleeps on the lock (the scheduler skips it). */
export const BLOCKED = 6 * LINE;
/** `--trace`: per worker, 1 once its script is done. */
export const FINISHED = 7 * LINE;
/** Per worker, on its own line: increments done so far, for the progress display. */
export const PROGRESS = 8 * LINE;

/** The most workers a run may start. */
export const MAX_WORKERS = 256;

/** `--trace`: the shared log, {@linkcode LOG_FIELDS} words per step. */
export const LOG = PROGRESS + MAX_WORKERS * LINE;
/** Words per log entry: worker, op, value, counter after the step. */
export const LOG_FIELDS = 4;
/** The most steps the shared log holds. */
export const LOG_CAPACITY = 64;

const WORDS = LOG + LOG_FIELDS * LOG_CAPACITY;

/**
 * Where worker `index` publishes its progress.
 *
 * @example
 * ```ts
 * Atomics.load(mem, progressAt(1)); // increments worker 1 has made so far
 * ```
 */
export function progressAt(index: number): number {
  return PROGRESS + index * LINE;
}

/**
 * Allocates the shared memory, all zero.
 *
 * @example
 * ```ts
 * const mem = sharedMemory();
 * Atomics.add(mem, COUNTER, 1);
 * ```
 */
export function sharedMemory(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT));
}

/** How the workers add 1 to the counter. */
export type Mode = "unsafe" | "atomic" | "mutex";

/** Every mode, in the order `--mode all` runs them. */
export const MODES: readonly Mode[] = ["unsafe", "atomic", "mutex"];

/** One step of a `--trace` script. */
export type Op =
  | "read"
  | "add"
  | "write"
  | "lock"
  | "unlock"
  | "atomicAdd";

/** The numeric codes of {@linkcode Op}s and lock outcomes in the shared log. */
export const LOG_OPS = [
  "read",
  "add",
  "write",
  "lock",
  "lockHeld",
  "lockWoken",
  "unlock",
  "unlockWake",
  "atomicAdd",
] as const;

/** What a shared-log entry says happened. */
export type LogOp = typeof LOG_OPS[number];

/** Main thread to worker. */
export type ToWorker =
  | { type: "init"; memory: SharedArrayBuffer; index: number }
  | { type: "run"; mode: Mode; iterations: number; workers: number }
  | { type: "trace"; script: Op[] };

/** Worker to main thread. Times are `performance.timeOrigin + performance.now()`. */
export type FromWorker =
  | { type: "ready" }
  | { type: "done"; start: number; end: number }
  | { type: "failed"; message: string };
