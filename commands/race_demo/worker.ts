/**
 * A race-demo Web Worker: adds 1 to the shared counter, the way it is told, as soon as
 * the start barrier lets it; or, for `--trace`, runs its script one turn at a time.
 * `deno task compile` embeds this file (`--include commands/race_demo/worker.ts`).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { increment } from "./increment.ts";
import { ARRIVED, type FromWorker, GO, progressAt, type ToWorker } from "./memory.ts";
import { runScript } from "./trace.ts";

/**
 * How long to spin in the second half of the barrier before sleeping instead; only
 * reached when there are more workers than cores and some are not running yet.
 */
const BARRIER_SPINS = 100_000;

let mem: Int32Array<SharedArrayBuffer> | undefined;
let index = 0;

const post = (message: FromWorker) => self.postMessage(message);
const now = () => performance.timeOrigin + performance.now();

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      mem = new Int32Array(message.memory);
      index = message.index;
      return;
    }
    if (!mem) throw new Error("race-demo worker used before init");
    if (message.type === "trace") {
      runScript(mem, index, message.script);
      post({ type: "done", start: 0, end: 0 });
      return;
    }
    post({ type: "ready" });
    awaitStart(mem, message.workers);
    const start = now();
    increment(mem, message.mode, message.iterations, progressAt(index));
    post({ type: "done", start, end: now() });
  } catch (err) {
    post({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  }
};

/**
 * The start barrier. Sleeping on the flag alone is not enough: the kernel wakes the
 * sleepers one after another, and a worker woken a millisecond late can find a short
 * loop of the first one already finished. So each worker also counts itself in after
 * waking and spins until all have, and their loops start within a microsecond or so.
 */
function awaitStart(mem: Int32Array<SharedArrayBuffer>, workers: number): void {
  Atomics.wait(mem, GO, 0);
  if (Atomics.add(mem, ARRIVED, 1) + 1 === workers) Atomics.notify(mem, ARRIVED);
  for (let spin = 0;; spin++) {
    const arrived = Atomics.load(mem, ARRIVED);
    if (arrived >= workers) return;
    if (spin >= BARRIER_SPINS) Atomics.wait(mem, ARRIVED, arrived);
  }
}
