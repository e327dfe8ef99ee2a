/**
 * The main thread's side of the demo: a pool of race-demo workers on one shared memory,
 * reused across trials and modes (starting a worker costs far more than a short trial).
 * A trial resets the memory, lets every worker reach the start barrier, releases them
 * together and waits for all of them to finish.
 *
 * @module
 */

import {
  ARRIVED,
  BLOCKED,
  COUNTER,
  FINISHED,
  type FromWorker,
  GO,
  LOCK,
  LOG_LENGTH,
  type Mode,
  progressAt,
  sharedMemory,
  type ToWorker,
  TURN,
} from "./memory.ts";
import { readLog, SCRIPTS, type TraceStep } from "./trace.ts";

/** What one trial measured. */
export interface TrialOutcome {
  /** The counter after every worker finished. */
  actual: number;
  /** From the first worker's start to the last one's end, in milliseconds. */
  timeMs: number;
}

/** Options of {@linkcode RacePool.run}. */
export interface RunTrialOptions {
  /** Called every `progressEveryMs` while the trial runs, with increments done so far. */
  onProgress?: (done: number) => void;
  progressEveryMs?: number;
}

/**
 * Workers that add to one shared counter.
 *
 * @example
 * ```ts
 * using pool = new RacePool(2);
 * const { actual, timeMs } = await pool.run("unsafe", 1_000_000);
 * ```
 */
export class RacePool implements Disposable {
  readonly size: number;
  readonly #mem = sharedMemory();
  readonly #workers: Worker[] = [];
  readonly #inboxes: Mailbox[] = [];

  /** Starts `size` workers (at least 1). */
  constructor(size: number) {
    this.size = size;
    for (let index = 0; index < size; index++) {
      // A static URL next to this module, so `deno compile --include` embeds the worker.
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      this.#inboxes.push(new Mailbox(worker, index));
      this.#workers.push(worker);
      worker.postMessage({ type: "init", memory: this.#mem.buffer, index } satisfies ToWorker);
    }
  }

  /**
   * Runs one trial: every worker adds 1 to the counter `iterations` times the `mode` way.
   *
   * @throws {Error} when a worker fails (a bug, never a lost update).
   */
  async run(mode: Mode, iterations: number, options: RunTrialOptions = {}): Promise<TrialOutcome> {
    const mem = this.#mem;
    for (const at of [COUNTER, LOCK, GO, ARRIVED]) Atomics.store(mem, at, 0);
    for (let i = 0; i < this.size; i++) Atomics.store(mem, progressAt(i), 0);
    this.#post({ type: "run", mode, iterations, workers: this.size });
    await this.#all("ready");
    Atomics.store(mem, GO, 1);
    Atomics.notify(mem, GO);
    const progress = options.onProgress;
    const timer = progress
      ? setInterval(() => progress(this.#done()), options.progressEveryMs ?? 100)
      : undefined;
    try {
      const finished = await this.#all("done");
      const start = Math.min(...finished.map((m) => m.start));
      const end = Math.max(...finished.map((m) => m.end));
      return { actual: Atomics.load(mem, COUNTER), timeMs: end - start };
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Runs the `--trace` script of `mode` on workers A and B (the first two), taking turns,
   * and returns the shared log.
   */
  async trace(mode: Mode): Promise<{ steps: TraceStep[]; actual: number }> {
    if (this.size < 2) throw new Error("A trace needs two workers");
    const mem = this.#mem;
    for (
      const at of [COUNTER, LOCK, TURN, LOG_LENGTH, BLOCKED, BLOCKED + 1, FINISHED, FINISHED + 1]
    ) {
      Atomics.store(mem, at, 0);
    }
    for (let i = 0; i < 2; i++) {
      this.#workers[i].postMessage({ type: "trace", script: SCRIPTS[mode] } satisfies ToWorker);
    }
    await Promise.all([0, 1].map((i) => this.#inboxes[i].expect("done")));
    return { steps: readLog(mem), actual: Atomics.load(mem, COUNTER) };
  }

  /** Stops every worker. */
  close(): void {
    for (const worker of this.#workers) worker.terminate();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #post(message: ToWorker): void {
    for (const worker of this.#workers) worker.postMessage(message);
  }

  #all<T extends FromWorker["type"]>(type: T): Promise<Extract<FromWorker, { type: T }>[]> {
    return Promise.all(this.#inboxes.map((inbox) => inbox.expect(type)));
  }

  #done(): number {
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += Atomics.load(this.#mem, progressAt(i));
    return sum;
  }
}

/** One worker's messages, in order, as promises. */
class Mailbox {
  readonly #queue: FromWorker[] = [];
  #waiting?: (message: FromWorker) => void;

  constructor(worker: Worker, readonly index: number) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#deliver(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.#deliver({ type: "failed", message: e.message });
    };
  }

  #deliver(message: FromWorker): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(message);
    else this.#queue.push(message);
  }

  /** The next message, which must be of `type`. */
  async expect<T extends FromWorker["type"]>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    const message = this.#queue.shift() ??
      await new Promise<FromWorker>((resolve) => this.#waiting = resolve);
    if (message.type !== type) {
      const detail = message.type === "failed" ? message.message : `sent "${message.type}"`;
      throw new Error(`race-demo worker ${this.index + 1} failed: ${detail}`);
    }
    return message as Extract<FromWorker, { type: T }>;
  }
}
