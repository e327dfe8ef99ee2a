/**
 * `sockit race-demo`: Web Workers add 1 to one counter in a SharedArrayBuffer, truly in
 * parallel, and lose updates; then `Atomics.add` and a futex-style lock fix it
 * (README, `sockit race-demo`).
 *
 * @module
 */

import { defineCommand } from "../../lib/command.ts";
import { UsageError } from "../../lib/errors.ts";
import { createOutput } from "../../lib/output.ts";
import { runDemo, runTrace } from "./demo.ts";
import { cores, defaultWorkers, MAX_INCREMENTS, raceDemoMeta } from "./meta.ts";
import { type Mode, MODES } from "./memory.ts";
import { formatCount } from "../../lib/numbers.ts";

export { cores, defaultWorkers, MAX_INCREMENTS };

/** `sockit race-demo`. */
export const raceDemo = defineCommand({
  ...raceDemoMeta,
  run(options, io) {
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    const modes: readonly Mode[] = options.mode === "all" ? MODES : [options.mode];
    if (options.trace) return runTrace(modes, { io, out });
    const workers = options.workers ?? defaultWorkers();
    if (workers * options.iterations > MAX_INCREMENTS) {
      throw new UsageError(
        `--iterations: ${workers} workers × ${formatCount(options.iterations)} increments ` +
          `exceed the counter's limit of ${formatCount(MAX_INCREMENTS)}`,
      );
    }
    return runDemo(
      { modes, workers, iterations: options.iterations, trials: options.trials, cores: cores() },
      { io, out },
    );
  },
});
