/**
 * The two runs of `sockit race-demo`: the free-running trials (tables, bars, summary,
 * explanation) and `--trace` (the forced step-by-step interleaving).
 *
 * @module
 */

import { CheckFailedError, InterruptedError } from "../../lib/errors.ts";
import type { Io } from "../../lib/io.ts";
import { counted, formatCount } from "../../lib/numbers.ts";
import type { Output } from "../../lib/output.ts";
import { wrap } from "../../lib/wrap.ts";
import type { Mode } from "./memory.ts";
import { RacePool } from "./pool.ts";
import { Progress } from "./progress.ts";
import {
  EXPLANATIONS,
  failures,
  MODE_TITLES,
  type ModeSummary,
  mutexSlowdown,
  summarize,
  summaryLines,
  tableLayout,
  TRACE_INTRO,
  traceLines,
  trialHeader,
  type TrialResult,
  trialResult,
  trialRow,
} from "./report.ts";

/** The width explanations are wrapped to: the tables' width, well inside 100 columns. */
const TEXT_WIDTH = 88;

/** What a free-running demo runs. */
export interface DemoPlan {
  modes: readonly Mode[];
  workers: number;
  iterations: number;
  trials: number;
  /** Logical cores, shown next to the worker count. */
  cores: number;
}

/** Where a run's output goes. */
export interface DemoContext {
  io: Io;
  out: Output;
}

/**
 * Runs every trial of every mode, printing each trial as it finishes, then the summary
 * and the explanation.
 *
 * @returns 0 when the demo ran.
 * @throws {CheckFailedError} when `atomic` or `mutex` lost an update (exit 1).
 *
 * @example
 * ```ts
 * const code = await runDemo(
 *   { modes: ["unsafe", "atomic"], workers: 2, iterations: 100_000, trials: 3, cores: 2 },
 *   { io, out: createOutput(io) },
 * );
 * ```
 */
export async function runDemo(plan: DemoPlan, ctx: DemoContext): Promise<number> {
  const { io, out } = ctx;
  const { modes, workers, iterations, trials } = plan;
  using interrupt = onInterrupt(io); // before "start", which tells a caller we are running
  out.result(
    "start",
    { modes, workers, iterations, trials, cores: plan.cores },
    out.paint.bold(
      `race-demo: ${workers} workers each add 1 to one shared counter ` +
        `${formatCount(iterations)} times; ${counted(trials, "trial")} per mode ` +
        `(${counted(plan.cores, "core")})`,
    ),
  );
  const layout = tableLayout(workers * iterations);
  const progress = new Progress(io, { enabled: io.stdout.isTerminal && !out.json });
  const summaries: ModeSummary[] = [];
  using pool = new RacePool(workers);
  for (const mode of modes) {
    human(ctx, "", `${out.paint.bold(mode)}: ${MODE_TITLES[mode]}`, trialHeader(layout));
    const results: TrialResult[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      const label = `${mode} trial ${trial} of ${trials}`;
      progress.begin(label, workers * iterations);
      let outcome;
      try {
        outcome = await Promise.race([
          pool.run(mode, iterations, { onProgress: (done) => progress.show(done) }),
          interrupt.signalled.then(() => {
            throw new InterruptedError(`interrupted during ${label}`);
          }),
        ]);
      } finally {
        progress.end();
      }
      const result = trialResult(mode, trial, { workers, iterations }, outcome);
      results.push(result);
      out.result("trial", { ...result }, trialRow(result, layout, out.paint));
    }
    const summary = summarize(mode, results);
    summaries.push(summary);
    out.result("summary", { ...summary, why: EXPLANATIONS[mode] });
  }
  const slowdown = mutexSlowdown(summaries);
  if (slowdown !== undefined) out.result("comparison", { mutexSlowdown: slowdown });
  human(ctx, "", ...summaryLines(summaries, out.paint));
  for (const mode of modes) human(ctx, "", ...wrap(EXPLANATIONS[mode], TEXT_WIDTH));
  human(ctx, "", out.paint.dim("See it step by step: sockit race-demo --trace"));
  return verdict(failures(summaries));
}

/**
 * Runs the forced step-by-step trace of each mode (unsafe first, then the lock, then
 * Atomics.add) on two workers and prints the shared log.
 *
 * @returns 0 when the trace ran.
 * @throws {CheckFailedError} when `atomic` or `mutex` lost an update (exit 1).
 *
 * @example
 * ```ts
 * await runTrace(["unsafe", "mutex", "atomic"], { io, out: createOutput(io) });
 * ```
 */
export async function runTrace(modes: readonly Mode[], ctx: DemoContext): Promise<number> {
  const { out } = ctx;
  const order = (["unsafe", "mutex", "atomic"] as const).filter((m) => modes.includes(m));
  human(ctx, ...wrap(TRACE_INTRO, TEXT_WIDTH));
  const summaries: ModeSummary[] = [];
  using pool = new RacePool(2);
  for (const mode of order) {
    const { steps, actual } = await pool.trace(mode);
    const expected = 2;
    for (const step of steps) out.result("trace-step", { mode, forced: true, ...step });
    out.result("trace-result", { mode, forced: true, expected, actual, lost: expected - actual });
    human(ctx, "", ...traceLines(mode, steps, actual, out.paint));
    summaries.push(
      summarize(mode, [trialResult(mode, 1, { workers: 2, iterations: 1 }, { actual, timeMs: 0 })]),
    );
  }
  return verdict(failures(summaries));
}

/**
 * The exit code for a run's summaries: 0, or a {@linkcode CheckFailedError} naming every
 * exact mode (atomic, mutex) that lost an update.
 *
 * @example
 * ```ts
 * verdict(failures(summaries)); // 0
 * ```
 */
export function verdict(failed: readonly ModeSummary[]): number {
  if (failed.length === 0) return 0;
  const what = failed.map((s) =>
    `${s.mode} lost ${formatCount(s.lost)} update${s.lost === 1 ? "" : "s"} in ` +
    `${s.trialsWithLoss} of ${counted(s.trials, "trial")}`
  );
  throw new CheckFailedError(`${what.join("; ")}; it must lose none`, {
    hint: "this is a bug in sockit, please report it",
  });
}

/**
 * A promise that resolves on the first stop signal (SIGINT/SIGTERM), so a long trial can
 * be abandoned: the pool's disposal then terminates the busy workers, and the error
 * exits 130. Disposing removes the listener, so a second signal kills at once.
 */
function onInterrupt(io: Io): { signalled: Promise<void> } & Disposable {
  let resolve!: () => void;
  const signalled = new Promise<void>((r) => resolve = r);
  const stop = io.onSignal(() => resolve());
  return { signalled, [Symbol.dispose]: stop };
}

/** Lines only a person reads: printed in human mode, nothing with `--json`. */
function human(ctx: DemoContext, ...lines: string[]): void {
  if (!ctx.out.json) ctx.io.stdout.write(lines.map((line) => line + "\n").join(""));
}
