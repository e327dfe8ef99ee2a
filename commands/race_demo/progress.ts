/**
 * A one-line progress display for long race-demo trials, rewritten in place.
 *
 * @module
 */

import type { Io } from "../../lib/io.ts";
import { formatCount } from "../../lib/numbers.ts";

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** Show nothing at all: stdout is not a terminal, or `--json`. */
  enabled: boolean;
  /** Show a trial only once it has run this long, so short ones never flicker. */
  afterMs?: number;
}

/**
 * The progress of the running trial, on stdout — only when stdout is a terminal: a pipe
 * or a file gets the tables alone, with no carriage returns in them.
 *
 * @example
 * ```ts
 * const progress = new Progress(io, { enabled: io.stdout.isTerminal && !json });
 * progress.begin("mutex trial 1 of 3", 2_000_000);
 * progress.show(500_000); // "  mutex trial 1 of 3: 25% (500,000 of 2,000,000 increments)"
 * progress.end(); // erases the line
 * ```
 */
export class Progress {
  readonly #io: Io;
  readonly #enabled: boolean;
  readonly #afterMs: number;
  #label = "";
  #total = 0;
  #started = 0;
  #shown = false;

  constructor(io: Io, options: ProgressOptions) {
    this.#io = io;
    this.#enabled = options.enabled;
    this.#afterMs = options.afterMs ?? 300;
  }

  /** A trial of `total` increments starts. */
  begin(label: string, total: number): void {
    this.#label = label;
    this.#total = total;
    this.#started = this.#io.now();
  }

  /** `done` increments are done; redraws the line once the trial has run long enough. */
  show(done: number): void {
    if (!this.#enabled || this.#io.now() - this.#started < this.#afterMs) return;
    const share = this.#total === 0 ? 1 : done / this.#total;
    this.#io.stdout.write(
      `\r\x1b[2K  ${this.#label}: ${(share * 100).toFixed(0)}% ` +
        `(${formatCount(done)} of ${formatCount(this.#total)} increments)`,
    );
    this.#shown = true;
  }

  /** The trial ended: erases the line if it was drawn. */
  end(): void {
    if (this.#shown) this.#io.stdout.write("\r\x1b[2K");
    this.#shown = false;
  }
}
