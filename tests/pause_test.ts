/** Unit tests of `pause()` and `within()`: waits that end early and leave no timer behind. */

import assert from "node:assert/strict";
import { pause, within } from "../lib/pause.ts";

// An hour-long pause that returns proves the abort ended it; Deno's sanitizer fails the
// test if its timer were left running.
Deno.test("pause() ends when the signal aborts and clears its timer", async () => {
  const stop = new AbortController();
  const paused = pause(3_600_000, stop.signal);
  stop.abort();
  assert.equal(await paused, undefined);
});

Deno.test("pause() with an already aborted signal returns at once", async () => {
  assert.equal(await pause(3_600_000, AbortSignal.abort()), undefined);
});

Deno.test("pause() without an abort waits out its time", async () => {
  const stop = new AbortController();
  let done = false;
  const paused = pause(1, stop.signal).then(() => done = true);
  assert.equal(done, false);
  await paused;
  assert.equal(done, true);
});

Deno.test("within() gives the work's result when it settles first", async () => {
  assert.equal(await within(Promise.resolve(42), 10_000), 42);
});

Deno.test("within() gives undefined when the time runs out, and the work goes on", async () => {
  let finish!: (n: number) => void;
  const work = new Promise<number>((resolve) => finish = resolve);
  assert.equal(await within(work, 1), undefined);
  finish(7);
  assert.equal(await within(work, 10_000), 7, "the same pending work can be waited on again");
});
