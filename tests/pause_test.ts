/** Unit tests of `pause()`: a stop signal ends it at once and leaves no timer behind. */

import assert from "node:assert/strict";
import { pause } from "../lib/pause.ts";

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
