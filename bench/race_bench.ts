/**
 * `deno task bench race`: how fast each race-demo mode adds to one shared counter, in
 * one run — unsafe (read, add, write), atomic (`Atomics.add`) and mutex (the futex-style
 * lock) — with one worker (no contention: the bare cost of each way) and with one
 * worker per core (at least two: every increment fights for the counter's cache line).
 * The peer is `Atomics.add` measured in the same run: the mutex's cost is given
 * relative to it, per increment.
 *
 * Each figure is the median of several trials after a warm-up trial (so the JIT has
 * compiled the loops), with the same worker pool and start barrier as the command.
 *
 * @module
 */

import { RacePool } from "../commands/race_demo/pool.ts";
import { formatCount, formatRate } from "../lib/numbers.ts";
import { median } from "./harness.ts";
import type { Mode } from "../commands/race_demo/memory.ts";

/** Increments per worker per trial: long enough (tens of ms) to swamp the barrier. */
const ITERATIONS = 4_000_000;
const TRIALS = 5;
const MODES: readonly Mode[] = ["unsafe", "atomic", "mutex"];

interface Figure {
  mode: Mode;
  workers: number;
  /** Median increments attempted per second, all workers together. */
  rate: number;
  /** Median share of increments lost, in percent. */
  lostPercent: number;
}

async function measure(pool: RacePool, mode: Mode): Promise<Figure> {
  const expected = pool.size * ITERATIONS;
  await pool.run(mode, ITERATIONS); // warm-up: the JIT compiles the loop
  const rates: number[] = [];
  const lost: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const { actual, timeMs } = await pool.run(mode, ITERATIONS);
    rates.push(expected / (timeMs / 1000));
    lost.push(((expected - actual) / expected) * 100);
    if (mode !== "unsafe" && actual !== expected) {
      throw new Error(`${mode} lost ${expected - actual} updates: the benchmark is broken`);
    }
  }
  return { mode, workers: pool.size, rate: median(rates), lostPercent: median(lost) };
}

const cores = navigator.hardwareConcurrency || 1;
const workerCounts = [1, Math.max(2, cores)];
console.log(
  `race-demo: increments/s on one shared counter, ${formatCount(ITERATIONS)} per worker, ` +
    `median of ${TRIALS} trials after a warm-up (${cores} cores)\n`,
);
console.log(
  ["mode".padEnd(7), "workers", "increments/s".padStart(12), "ns/increment".padStart(12)]
    .join("  ") + "  lost (median)",
);
const figures: Figure[] = [];
for (const workers of workerCounts) {
  using pool = new RacePool(workers);
  for (const mode of MODES) {
    const f = await measure(pool, mode);
    figures.push(f);
    console.log(
      [
        mode.padEnd(7),
        String(workers).padStart(7),
        formatRate(f.rate).padStart(12),
        (1e9 / f.rate).toFixed(2).padStart(12),
      ].join("  ") + `  ${f.lostPercent.toFixed(2)}%`,
    );
  }
}

const find = (mode: Mode, workers: number) =>
  figures.find((f) => f.mode === mode && f.workers === workers)!;
console.log("\nthe mutex's cost per increment, relative to Atomics.add (the peer):");
for (const workers of workerCounts) {
  const ratio = find("atomic", workers).rate / find("mutex", workers).rate;
  console.log(`  ${workers} worker${workers === 1 ? " " : "s"}: ${ratio.toFixed(2)}× as slow`);
}
console.log("contention: how many times slower per increment with all workers than with one:");
for (const mode of MODES) {
  const [one, all] = workerCounts.map((w) => find(mode, w).rate);
  console.log(`  ${mode.padEnd(7)} ${(one / all).toFixed(2)}×`);
}
