/**
 * `sockit race-demo` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the workers (commands/race_demo/mod.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../../lib/command.ts";
import { defineFlags } from "../../lib/flags.ts";
import { MAX_WORKERS, MODES } from "./memory.ts";

/** The largest value the shared Int32 counter holds, so the most increments in a trial. */
export const MAX_INCREMENTS = 2 ** 31 - 1;

/**
 * Logical cores, as the runtime reports them.
 *
 * @example
 * ```ts
 * cores(); // 2 on a dual-core machine
 * ```
 */
export function cores(): number {
  return navigator.hardwareConcurrency || 1;
}

/**
 * `--workers` when not given: one per core, but at least two, or there is no race.
 *
 * @example
 * ```ts
 * defaultWorkers(); // 2 on a single-core machine too: one worker cannot race
 * ```
 */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, Math.max(2, cores()));
}

const flags = defineFlags({
  mode: {
    type: "enum",
    choices: [...MODES, "all"],
    default: "all",
    help: "unsafe: read, add, write as separate steps; atomic: Atomics.add; mutex: a lock " +
      "(compareExchange + Atomics.wait/notify) around the read, add, write; all: each in turn",
  },
  workers: {
    type: "integer",
    short: "w",
    min: 1,
    max: MAX_WORKERS,
    help: `workers adding to the counter at once (default: one per core, at least 2; ` +
      `here ${defaultWorkers()})`,
  },
  iterations: {
    type: "integer",
    short: "n",
    default: 1_000_000,
    min: 1,
    max: MAX_INCREMENTS,
    help: "increments each worker makes per trial",
  },
  trials: {
    type: "integer",
    short: "t",
    default: 3,
    min: 1,
    max: 1000,
    help: "trials per mode",
  },
  ...commonFlags,
  trace: {
    type: "boolean",
    help: "instead of the trials: two workers take forced turns, one step at a time, and " +
      "every read and write is logged in order (unsafe, then the same steps under the lock, " +
      "then with Atomics.add)",
  },
});

/** `sockit race-demo`'s name, help and flags. */
export const raceDemoMeta = defineMeta({
  name: "race-demo",
  summary: "a race condition on Web Workers: lost updates seen, explained and fixed",
  usage: [
    "[--mode unsafe|atomic|mutex|all] [--workers N] [--iterations N] [--trials K]",
    "--trace",
  ],
  description: `
Web Workers run in parallel on different cores and share one counter in a
SharedArrayBuffer; each adds 1 to it --iterations times, all starting together. A
separate read, add and write (unsafe) loses updates; Atomics.add (atomic) and a lock
(mutex) do not. Each trial prints expected, actual, lost (count and %), time and
increments/s with a bar of the share lost; then a summary and why. A progress line shows
on a terminal while a long trial runs. --json prints the same as one JSON object per
line: "start", a "trial" per trial, a "summary" per mode, a "comparison" (--trace:
"trace-step", "trace-result").

Exit 0 when the demo ran (lost updates in unsafe mode are the point, not a failure);
1 only if atomic or mutex ever lose an update.`,
  flags,
  examples: [
    "sockit race-demo                          # every mode, one worker per core",
    "sockit race-demo --mode unsafe --trials 5",
    "sockit race-demo --workers 4 --iterations 200000 --json",
    "sockit race-demo --trace                  # the lost update, step by step",
  ],
});
