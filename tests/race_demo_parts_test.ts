/**
 * race-demo's parts without workers: the futex-style lock's states, the progress
 * display (with a fake clock and terminal), and the numbers and bars of the report.
 */

import assert from "node:assert/strict";
import { CONTENDED, lock, LOCKED, unlock, UNLOCKED } from "../commands/race_demo/mutex.ts";
import { COUNTER, LOCK, progressAt, sharedMemory } from "../commands/race_demo/memory.ts";
import { CHUNK, increment } from "../commands/race_demo/increment.ts";
import { Progress } from "../commands/race_demo/progress.ts";
import { bar, mutexSlowdown, summarize, trialResult } from "../commands/race_demo/report.ts";
import { fakeIo } from "./helpers.ts";

Deno.test("lock() takes a free lock without waiting; unlock() frees it without a notify", () => {
  const mem = sharedMemory();
  lock(mem, LOCK);
  assert.equal(mem[LOCK], LOCKED);
  assert.equal(unlock(mem, LOCK), false);
  assert.equal(mem[LOCK], UNLOCKED);
});

Deno.test("unlock() of a contended lock frees it and notifies", () => {
  const mem = sharedMemory();
  lock(mem, LOCK);
  Atomics.store(mem, LOCK, CONTENDED); // what a sleeper marks before Atomics.wait
  assert.equal(unlock(mem, LOCK), true);
  assert.equal(mem[LOCK], UNLOCKED);
});

Deno.test("increment() adds exactly `iterations` on one thread in every mode, reporting progress", () => {
  for (const mode of ["unsafe", "atomic", "mutex"] as const) {
    const mem = sharedMemory();
    const n = 2 * CHUNK + 123;
    increment(mem, mode, n, progressAt(3));
    assert.equal(mem[COUNTER], n, mode);
    assert.equal(mem[progressAt(3)], n, mode);
    assert.equal(mem[LOCK], UNLOCKED, mode);
  }
});

function terminalIo(clock: { now: number }) {
  let out = "";
  const io = fakeIo({
    stdout: { write: (t) => void (out += t), isTerminal: true },
    now: () => clock.now,
  });
  return { io, text: () => out };
}

Deno.test("Progress draws a long trial in place on a terminal and erases it", () => {
  const clock = { now: 1000 };
  const { io, text } = terminalIo(clock);
  const progress = new Progress(io, { enabled: true, afterMs: 300 });
  progress.begin("mutex trial 1 of 3", 2_000_000);
  progress.show(100_000);
  assert.equal(text(), "", "a trial shorter than 300 ms shows nothing");
  clock.now += 300;
  progress.show(500_000);
  assert.equal(text(), "\r\x1b[2K  mutex trial 1 of 3: 25% (500,000 of 2,000,000 increments)");
  progress.end();
  assert.ok(text().endsWith("increments)\r\x1b[2K"));
});

Deno.test("Progress shows nothing when disabled (not a terminal, or --json)", () => {
  const clock = { now: 0 };
  const { io, text } = terminalIo(clock);
  const progress = new Progress(io, { enabled: false });
  progress.begin("unsafe trial 1 of 1", 10);
  clock.now += 10_000;
  progress.show(5);
  progress.end();
  assert.equal(text(), "");
});

Deno.test("trialResult() and summarize() compute lost, %, and increments/s", () => {
  const a = trialResult("unsafe", 1, { workers: 2, iterations: 500 }, { actual: 750, timeMs: 2 });
  assert.deepEqual(a, {
    mode: "unsafe",
    trial: 1,
    workers: 2,
    iterations: 500,
    expected: 1000,
    actual: 750,
    lost: 250,
    lostPercent: 25,
    timeMs: 2,
    incrementsPerSecond: 500_000,
  });
  const b = trialResult("unsafe", 2, { workers: 2, iterations: 500 }, { actual: 1000, timeMs: 2 });
  const s = summarize("unsafe", [a, b]);
  assert.equal(s.expected, 2000);
  assert.equal(s.lost, 250);
  assert.equal(s.lostPercent, 12.5);
  assert.equal(s.timeMs, 4);
  assert.equal(s.incrementsPerSecond, 500_000);
  assert.equal(s.trialsWithLoss, 1);
  const atomic = summarize("atomic", [
    trialResult("atomic", 1, { workers: 2, iterations: 500 }, { actual: 1000, timeMs: 1 }),
  ]);
  const mutex = summarize("mutex", [
    trialResult("mutex", 1, { workers: 2, iterations: 500 }, { actual: 1000, timeMs: 3 }),
  ]);
  assert.equal(mutexSlowdown([s, atomic, mutex]), 3);
  assert.equal(mutexSlowdown([s, atomic]), undefined);
});

Deno.test("bar() fills in eighths and shows any loss as at least a sliver", () => {
  assert.equal(bar(0, 10), "··········");
  assert.equal(bar(1, 10), "██████████");
  assert.equal(bar(0.5, 10), "█████·····");
  assert.equal(bar(0.0625, 4), "▎···");
  assert.equal(bar(0.000001, 10), "▏·········");
  for (const share of [0, 0.01, 0.33, 0.5, 0.99, 1]) assert.equal(bar(share, 20).length, 20);
});
