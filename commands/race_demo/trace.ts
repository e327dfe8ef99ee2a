/**
 * `race-demo --trace`: two workers, A and B, each add 1 to the shared counter one step
 * at a time, logging every step to a log in shared memory. The order is forced: the
 * workers take turns through an Atomics turn word (A, B, A, B, ...), so the unlucky
 * interleaving that free-running threads hit only sometimes happens every time:
 * A reads 0, B reads 0, A writes 1, B writes 1 — one update lost. Then the same turns
 * with the lock, and with `Atomics.add`.
 *
 * A worker that finds the lock held marks itself blocked and gives up its turn while it
 * sleeps, so the holder can go on; that is what a lock does to the schedule.
 *
 * @module
 */

import {
  BLOCKED,
  COUNTER,
  FINISHED,
  LOCK,
  LOG,
  LOG_CAPACITY,
  LOG_FIELDS,
  LOG_LENGTH,
  LOG_OPS,
  type LogOp,
  type Mode,
  type Op,
  TURN,
} from "./memory.ts";
import { CONTENDED, LOCKED, unlock, UNLOCKED, waitForLock } from "./mutex.ts";

/** The two traced workers, by index. */
export const WORKER_NAMES = ["A", "B"] as const;

/** The script each traced worker runs for one increment, per mode. */
export const SCRIPTS: Record<Mode, Op[]> = {
  unsafe: ["read", "add", "write"],
  mutex: ["lock", "read", "add", "write", "unlock"],
  atomic: ["atomicAdd"],
};

/** One logged step. */
export interface TraceStep {
  /** 1-based position in the log. */
  step: number;
  worker: "A" | "B";
  op: LogOp;
  /**
   * What the step read, computed or wrote; for lock steps, the value it left in the
   * lock word (0 unlocked, 1 locked, 2 locked with a sleeper).
   */
  value: number;
  /** The shared counter right after the step. */
  counter: number;
}

/**
 * Runs `script` as worker `me` (0 = A, 1 = B) of a traced pair, one step per turn.
 * Called in the worker; the memory must be fresh (counter, turn and log zero).
 *
 * @example
 * ```ts
 * // In worker A of a traced pair:
 * runScript(mem, 0, SCRIPTS.unsafe);
 * ```
 */
export function runScript(
  mem: Int32Array<SharedArrayBuffer>,
  me: number,
  script: readonly Op[],
): void {
  let value = 0; // the worker's private copy: a register, in hardware terms
  for (const op of script) {
    waitForTurn(mem, me);
    switch (op) {
      case "read": // the same read and write as the free-running loops (increment.ts)
        value = Atomics.load(mem, COUNTER);
        log(mem, me, "read", value);
        break;
      case "add":
        value = value + 1;
        log(mem, me, "add", value);
        break;
      case "write":
        mem[COUNTER] = value;
        log(mem, me, "write", value);
        break;
      case "atomicAdd":
        value = Atomics.add(mem, COUNTER, 1) + 1;
        log(mem, me, "atomicAdd", value);
        break;
      case "lock":
        if (Atomics.compareExchange(mem, LOCK, UNLOCKED, LOCKED) === UNLOCKED) {
          log(mem, me, "lock", LOCKED);
          break;
        }
        // Held: mark it contended on this turn, so the holder's unlock is sure to
        // notify, then give the turn away and sleep until the lock is ours.
        Atomics.compareExchange(mem, LOCK, LOCKED, CONTENDED);
        log(mem, me, "lockHeld", CONTENDED);
        Atomics.store(mem, BLOCKED + me, 1);
        passTurn(mem, me);
        waitForLock(mem, LOCK);
        Atomics.store(mem, BLOCKED + me, 0);
        waitForTurn(mem, me);
        log(mem, me, "lockWoken", CONTENDED);
        break;
      case "unlock": {
        const woke = unlock(mem, LOCK);
        log(mem, me, woke ? "unlockWake" : "unlock", UNLOCKED);
        break;
      }
    }
    passTurn(mem, me);
  }
  Atomics.store(mem, FINISHED + me, 1);
  // Whatever the other worker's state, it is the only one left to run.
  Atomics.store(mem, TURN, 1 - me);
  Atomics.notify(mem, TURN);
}

function waitForTurn(mem: Int32Array<SharedArrayBuffer>, me: number): void {
  for (;;) {
    const turn = Atomics.load(mem, TURN);
    if (turn === me) return;
    Atomics.wait(mem, TURN, turn);
  }
}

/** Gives the turn to the other worker unless it is done or asleep on the lock. */
function passTurn(mem: Int32Array<SharedArrayBuffer>, me: number): void {
  const other = 1 - me;
  const runnable = Atomics.load(mem, FINISHED + other) === 0 &&
    Atomics.load(mem, BLOCKED + other) === 0;
  if (!runnable) return;
  Atomics.store(mem, TURN, other);
  Atomics.notify(mem, TURN);
}

function log(mem: Int32Array<SharedArrayBuffer>, me: number, op: LogOp, value: number): void {
  const at = Atomics.add(mem, LOG_LENGTH, 1);
  if (at >= LOG_CAPACITY) throw new Error(`Trace log is full at ${LOG_CAPACITY} steps`);
  const base = LOG + at * LOG_FIELDS;
  Atomics.store(mem, base, me);
  Atomics.store(mem, base + 1, LOG_OPS.indexOf(op));
  Atomics.store(mem, base + 2, value);
  Atomics.store(mem, base + 3, Atomics.load(mem, COUNTER));
}

/**
 * Reads the shared log, in the order the steps happened.
 *
 * @example
 * ```ts
 * readLog(mem).map((s) => `${s.worker} ${s.op} ${s.value}`);
 * // ["A read 0", "B read 0", "A add 1", "B add 1", "A write 1", "B write 1"]
 * ```
 */
export function readLog(mem: Int32Array<SharedArrayBuffer>): TraceStep[] {
  const steps: TraceStep[] = [];
  const length = Math.min(Atomics.load(mem, LOG_LENGTH), LOG_CAPACITY);
  for (let i = 0; i < length; i++) {
    const base = LOG + i * LOG_FIELDS;
    steps.push({
      step: i + 1,
      worker: WORKER_NAMES[mem[base]],
      op: LOG_OPS[mem[base + 1]],
      value: mem[base + 2],
      counter: mem[base + 3],
    });
  }
  return steps;
}
