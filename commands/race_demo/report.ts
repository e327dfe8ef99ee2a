/**
 * What race-demo prints: the numbers of a trial and of a mode's trials together, the
 * tables and bars they are shown in, the explanation, and the `--trace` step table.
 * Pure functions from results to text, so the layout is tested without any worker.
 *
 * @module
 */

import { formatElapsed } from "../../lib/duration.ts";
import { formatCount, formatRate, round } from "../../lib/numbers.ts";
import type { Paint } from "../../lib/output.ts";
import type { Mode } from "./memory.ts";
import type { TraceStep } from "./trace.ts";

/** What a trial's row and a mode's summary row both show. */
export interface Counts {
  mode: Mode;
  workers: number;
  iterations: number;
  /** `workers × iterations` (per trial): what the counter would be if no update were lost. */
  expected: number;
  actual: number;
  lost: number;
  /** `lost / expected × 100`. */
  lostPercent: number;
  timeMs: number;
  /** Increments attempted per second: `expected / time`. */
  incrementsPerSecond: number;
}

/** One trial of one mode: the numbers of a table row (and of a `trial` JSON event). */
export interface TrialResult extends Counts {
  trial: number;
}

/**
 * A mode's trials added up: a summary row (and a `summary` JSON event); its `timeMs`
 * is the trials' times added up.
 */
export interface ModeSummary extends Counts {
  trials: number;
  /** Trials that lost at least one update. */
  trialsWithLoss: number;
}

/**
 * The numbers of one trial.
 *
 * @example
 * ```ts
 * trialResult("unsafe", 1, { workers: 2, iterations: 10 }, { actual: 15, timeMs: 1 }).lost; // 5
 * ```
 */
export function trialResult(
  mode: Mode,
  trial: number,
  run: { workers: number; iterations: number },
  outcome: { actual: number; timeMs: number },
): TrialResult {
  const expected = run.workers * run.iterations;
  const lost = expected - outcome.actual;
  return {
    mode,
    trial,
    workers: run.workers,
    iterations: run.iterations,
    expected,
    actual: outcome.actual,
    lost,
    lostPercent: percent(lost, expected),
    timeMs: round(outcome.timeMs, 3),
    incrementsPerSecond: rate(expected, outcome.timeMs),
  };
}

/**
 * Adds up a mode's trials.
 *
 * @example
 * ```ts
 * summarize("atomic", trials).lost; // 0
 * ```
 */
export function summarize(mode: Mode, trials: readonly TrialResult[]): ModeSummary {
  const sum = (f: (t: TrialResult) => number) => trials.reduce((a, t) => a + f(t), 0);
  const expected = sum((t) => t.expected);
  const lost = sum((t) => t.lost);
  const timeMs = sum((t) => t.timeMs);
  return {
    mode,
    trials: trials.length,
    workers: trials[0]?.workers ?? 0,
    iterations: trials[0]?.iterations ?? 0,
    expected,
    actual: sum((t) => t.actual),
    lost,
    lostPercent: percent(lost, expected),
    timeMs: round(timeMs, 3),
    incrementsPerSecond: rate(expected, timeMs),
    trialsWithLoss: trials.filter((t) => t.lost !== 0).length,
  };
}

/** Modes that must never lose an update: a loss there is a broken demo (exit 1). */
export const EXACT_MODES: readonly Mode[] = ["atomic", "mutex"];

/**
 * The summaries that break the promise of an exact mode, i.e. why the run exits 1.
 *
 * @example
 * ```ts
 * failures([{ mode: "unsafe", lost: 900, ... }, { mode: "mutex", lost: 0, ... }]); // []
 * ```
 */
export function failures(summaries: readonly ModeSummary[]): ModeSummary[] {
  return summaries.filter((s) => EXACT_MODES.includes(s.mode) && s.lost !== 0);
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : round((part / whole) * 100, 4);
}

function rate(count: number, ms: number): number {
  return ms > 0 ? Math.round(count / (ms / 1000)) : 0;
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/**
 * A bar `width` cells wide, filled in proportion to `share` (0..1) to an eighth of a
 * cell, the rest dotted. Any share above zero shows at least a sliver.
 *
 * @example
 * ```ts
 * bar(0.5, 10); // "█████·····"
 * ```
 */
export function bar(share: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, share));
  let eighths = Math.round(clamped * width * 8);
  if (eighths === 0 && clamped > 0) eighths = 1;
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8];
  const used = full + (part ? 1 : 0);
  return "█".repeat(full) + part + "·".repeat(width - used);
}

/** What each mode does, as its table's title. */
export const MODE_TITLES: Record<Mode, string> = {
  unsafe: "read, add, write as separate steps: nothing keeps two workers from interleaving",
  atomic: "Atomics.add: the read, the add and the write as one indivisible step",
  mutex: "a lock (compareExchange, Atomics.wait/notify) around the same read, add, write",
};

/** Why each mode loses updates or does not. */
export const EXPLANATIONS: Record<Mode, string> = {
  unsafe: "Why updates are lost: `counter = counter + 1` is three steps: read the counter, " +
    "add 1, write it back. The workers run at the same time on different cores, and " +
    "nothing stops one from writing between another's read and write. When two read the " +
    "same value before either writes, both write value + 1 and one increment disappears. " +
    "(The read is even an Atomics.load, so each read sees memory as it is: the update is " +
    "lost in the gap between the read and the write.)",
  atomic: "Why atomic is exact: Atomics.add reads, adds and writes as one step (a locked " +
    "instruction on the CPU), so no other worker can come between its read and its write.",
  mutex: "Why mutex is exact: only the worker holding the lock does its read, add and " +
    "write. The others wait (compareExchange takes the lock; Atomics.wait sleeps until " +
    "the holder's Atomics.notify), so two workers' steps never interleave. It is the " +
    "slowest: every increment takes and releases the lock, and waiting workers do nothing.",
};

/** The columns of a trial table and of the summary table, and how wide they are. */
export interface TableLayout {
  count: number;
  lostPercent: number;
  time: number;
  rate: number;
  bar: number;
}

/**
 * Column widths wide enough for counts up to `largest`, fixed before the first row
 * so rows can be printed as their trials finish.
 *
 * @example
 * ```ts
 * const layout = tableLayout(4_000_000);
 * console.log(trialHeader(layout));
 * ```
 */
export function tableLayout(largest: number): TableLayout {
  return {
    count: Math.max(8, formatCount(largest).length),
    lostPercent: 8,
    time: 10,
    rate: 12,
    bar: 20,
  };
}

/**
 * The header of a mode's trial table.
 *
 * @example
 * ```ts
 * console.log(trialHeader(tableLayout(400_000)));
 * // "  trial  expected    actual      lost    lost %  ..."
 * ```
 */
export function trialHeader(layout: TableLayout): string {
  return "  " + ["trial".padStart(5), ...countHeads(layout), "share lost"].join("  ");
}

/** The heads of the columns {@linkcode countCells} fills, trial and summary tables alike. */
function countHeads(layout: TableLayout): string[] {
  return [
    "expected".padStart(layout.count),
    "actual".padStart(layout.count),
    "lost".padStart(layout.count),
    "lost %".padStart(layout.lostPercent),
    "time".padStart(layout.time),
    "increments/s".padStart(layout.rate),
  ];
}

/** The cells of `c`'s numbers; the losses red when there are any, else green. */
function countCells(c: Counts, layout: TableLayout, paint: Paint): string[] {
  const lossPaint = c.lost === 0 ? paint.green : paint.red;
  return [
    formatCount(c.expected).padStart(layout.count),
    formatCount(c.actual).padStart(layout.count),
    lossPaint(formatCount(c.lost).padStart(layout.count)),
    lossPaint(`${c.lostPercent.toFixed(2)}%`.padStart(layout.lostPercent)),
    formatElapsed(c.timeMs).padStart(layout.time),
    formatRate(c.incrementsPerSecond).padStart(layout.rate),
  ];
}

/**
 * One trial's row, with its bar.
 *
 * @example
 * ```ts
 * console.log(trialRow(result, tableLayout(result.expected), out.paint));
 * ```
 */
export function trialRow(t: TrialResult, layout: TableLayout, paint: Paint): string {
  const lossPaint = t.lost === 0 ? paint.green : paint.red;
  return "  " + [
    String(t.trial).padStart(5),
    ...countCells(t, layout, paint),
    lossPaint(bar(t.expected === 0 ? 0 : t.lost / t.expected, layout.bar)),
  ].join("  ");
}

/**
 * The summary table: one row per mode, all trials added up.
 *
 * @example
 * ```ts
 * for (const line of summaryLines(summaries, out.paint)) console.log(line);
 * ```
 */
export function summaryLines(summaries: readonly ModeSummary[], paint: Paint): string[] {
  const layout = tableLayout(Math.max(...summaries.map((s) => s.expected)));
  const lines = [
    paint.bold(`summary (all trials added up)`),
    "  " + ["mode".padEnd(6), ...countHeads(layout), "trials with loss"].join("  "),
  ];
  for (const s of summaries) {
    lines.push(
      "  " + [
        s.mode.padEnd(6),
        ...countCells(s, layout, paint),
        `${s.trialsWithLoss} of ${s.trials}`,
      ].join("  "),
    );
  }
  const slowdown = mutexSlowdown(summaries);
  if (slowdown !== undefined) {
    lines.push(`  the lock makes each increment ${slowdown.toFixed(1)}× as slow as Atomics.add`);
  }
  return lines;
}

/**
 * How many times as long an increment takes under the lock as with `Atomics.add`, when
 * both modes ran; rounded to hundredths.
 *
 * @example
 * ```ts
 * mutexSlowdown(summaries); // 3.1: each increment is 3.1× as slow under the lock
 * ```
 */
export function mutexSlowdown(summaries: readonly ModeSummary[]): number | undefined {
  const atomic = summaries.find((s) => s.mode === "atomic");
  const mutex = summaries.find((s) => s.mode === "mutex");
  if (!atomic || !mutex || mutex.incrementsPerSecond === 0) return undefined;
  return round(atomic.incrementsPerSecond / mutex.incrementsPerSecond, 2);
}

/** The trace's introduction. */
export const TRACE_INTRO = "Two workers, A and B, each add 1 to a shared counter that starts " +
  "at 0. Every step is logged, in the order it happened, to a log in shared memory. The " +
  "order is FORCED: the workers take turns through an Atomics turn word (A, B, A, B, ...), " +
  "so the unlucky interleaving that free-running threads hit only now and then happens " +
  "every time.";

/** Each traced mode's title. */
export const TRACE_TITLES: Record<Mode, string> = {
  unsafe: "unsafe, FORCED interleaving: read, add, write with nothing around them",
  mutex: "mutex, the same FORCED turns: the lock around the same read, add, write",
  atomic: "atomic, the same FORCED turns: Atomics.add",
};

const TRACE_COLUMN = 34;

/**
 * What a logged step did, in words.
 *
 * @example
 * ```ts
 * describeStep({ step: 1, worker: "A", op: "read", value: 0, counter: 0 }); // "reads counter → 0"
 * ```
 */
export function describeStep(s: TraceStep): string {
  switch (s.op) {
    case "read":
      return `reads counter → ${s.value}`;
    case "add":
      return `adds 1 to its copy → ${s.value}`;
    case "write":
      return `writes ${s.value} to counter`;
    case "atomicAdd":
      return `Atomics.add: ${s.value - 1} → ${s.value}`;
    case "lock":
      return "takes the lock (compareExchange)";
    case "lockHeld":
      return "lock held: sleeps (Atomics.wait)";
    case "lockWoken":
      return "wakes, takes the lock";
    case "unlock":
      return "releases the lock";
    case "unlockWake":
      return "releases the lock, Atomics.notify";
  }
}

/**
 * The `--trace` table of one mode: step, what A did, what B did, the counter after.
 *
 * @example
 * ```ts
 * for (const line of traceLines("unsafe", steps, 1, out.paint)) console.log(line);
 * ```
 */
export function traceLines(
  mode: Mode,
  steps: readonly TraceStep[],
  actual: number,
  paint: Paint,
): string[] {
  const lines = [
    paint.bold(TRACE_TITLES[mode]),
    "  " + [
      "step",
      "worker A".padEnd(TRACE_COLUMN),
      "worker B".padEnd(TRACE_COLUMN),
      "counter",
    ].join("  "),
  ];
  for (const s of steps) {
    const text = describeStep(s).padEnd(TRACE_COLUMN);
    const blank = "".padEnd(TRACE_COLUMN);
    lines.push(
      "  " + [
        String(s.step).padStart(4),
        s.worker === "A" ? paint.byName("A", text) : blank,
        s.worker === "B" ? paint.byName("B", text) : blank,
        String(s.counter).padStart(7),
      ].join("  "),
    );
  }
  lines.push(...traceVerdict(mode, 2, actual, paint).map((line) => "  " + line));
  return lines;
}

/**
 * The outcome of a traced mode, and why: two lines.
 *
 * @example
 * ```ts
 * traceVerdict("unsafe", 2, 1, makePaint(false));
 * // ["expected 2, actual 1: 1 update lost", "(both read the same value before either wrote, ...)"]
 * ```
 */
export function traceVerdict(
  mode: Mode,
  expected: number,
  actual: number,
  paint: Paint,
): string[] {
  const lost = expected - actual;
  const head = `expected ${expected}, actual ${actual}: `;
  if (lost === 0) {
    const why = {
      unsafe: "this time the steps did not overlap",
      mutex: "B could not read until A had written and released the lock",
      atomic: "each Atomics.add read and wrote in one step",
    }[mode];
    return [head + paint.green("none lost"), `(${why})`];
  }
  return [
    head + paint.red(`${lost} update${lost === 1 ? "" : "s"} lost`),
    "(both read the same value before either wrote, so B's write replaced A's)",
  ];
}
