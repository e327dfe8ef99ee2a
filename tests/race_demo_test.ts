/**
 * `sockit race-demo`: exactness of atomic and mutex over many trials, lost updates in
 * free-running unsafe mode, the forced trace, `--json`, usage errors and the exit code
 * rule — in-process (with real workers) and through the real CLI.
 */

import assert from "node:assert/strict";
import { runCli } from "../lib/cli.ts";
import { exitCodeOf } from "../lib/errors.ts";
import { raceDemo } from "../commands/race_demo/mod.ts";
import { verdict } from "../commands/race_demo/demo.ts";
import { RacePool } from "../commands/race_demo/pool.ts";
import {
  failures,
  type ModeSummary,
  summarize,
  trialResult,
} from "../commands/race_demo/report.ts";
import { fakeIo, LineReader, runSockit, sockitCommand } from "./helpers.ts";

const cli = { commands: [raceDemo], version: "test" };

type Event = Record<string, unknown> & { event: string };

/** Runs race-demo in-process with `--json`; returns the exit code and the events. */
async function raceJson(
  args: string[],
): Promise<{ code: number; events: Event[]; stderr: string }> {
  const io = fakeIo();
  const code = await runCli(["race-demo", ...args, "--json"], io, cli);
  const events = io.stdoutText().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { code, events, stderr: io.stderrText() };
}

const of = (events: Event[], name: string) => events.filter((e) => e.event === name);

// The lock's loop is slower, so it gets fewer iterations in about the same time.
for (const [mode, iterations] of [["atomic", 200_000], ["mutex", 100_000]] as const) {
  Deno.test(`race-demo --mode ${mode} loses no update over many trials`, async () => {
    const { code, events } = await raceJson(
      ["--mode", mode, "--workers", "2", "--iterations", String(iterations), "--trials", "20"],
    );
    assert.equal(code, 0);
    const trials = of(events, "trial");
    assert.equal(trials.length, 20);
    for (const t of trials) {
      assert.equal(t.actual, 2 * iterations, JSON.stringify(t));
      assert.equal(t.lost, 0);
    }
  });
}

Deno.test("race-demo --mode mutex stays exact with more workers than cores", async () => {
  const workers = navigator.hardwareConcurrency + 2;
  const { code, events } = await raceJson([
    "--mode",
    "mutex",
    "--workers",
    String(workers),
    "--iterations",
    "20000",
    "--trials",
    "3",
  ]);
  assert.equal(code, 0);
  for (const t of of(events, "trial")) assert.equal(t.actual, workers * 20_000);
});

Deno.test("race-demo --mode unsafe loses updates across trials, and exits 0", async () => {
  // A few million increments on two workers: each trial races for tens of milliseconds.
  // One trial may lose nothing (the scheduler can serialise the workers); over five,
  // losses must show up, or the loop is not racing (e.g. the JIT kept the counter in a
  // register).
  const { code, events } = await raceJson([
    "--mode",
    "unsafe",
    "--workers",
    "2",
    "--iterations",
    "3000000",
    "--trials",
    "5",
  ]);
  assert.equal(code, 0, "lost updates in unsafe mode are the point, not a failure");
  const trials = of(events, "trial");
  assert.equal(trials.length, 5);
  let lost = 0;
  for (const t of trials) {
    assert.ok((t.actual as number) <= 6_000_000, JSON.stringify(t));
    assert.equal(t.lost, 6_000_000 - (t.actual as number));
    lost += t.lost as number;
  }
  assert.ok(lost > 0, `no update lost in 5 trials: ${JSON.stringify(trials)}`);
  const [summary] = of(events, "summary");
  assert.equal(summary.lost, lost);
});

Deno.test("race-demo --json carries every number of the tables", async () => {
  const { code, events } = await raceJson([
    "--workers",
    "2",
    "--iterations",
    "50000",
    "--trials",
    "2",
  ]);
  assert.equal(code, 0);
  const [start] = of(events, "start");
  assert.deepEqual(start, {
    event: "start",
    modes: ["unsafe", "atomic", "mutex"],
    workers: 2,
    iterations: 50_000,
    trials: 2,
    cores: navigator.hardwareConcurrency,
  });
  const trials = of(events, "trial");
  assert.deepEqual(trials.map((t) => `${t.mode} ${t.trial}`), [
    "unsafe 1",
    "unsafe 2",
    "atomic 1",
    "atomic 2",
    "mutex 1",
    "mutex 2",
  ]);
  const trialKeys = [
    "event",
    "mode",
    "trial",
    "workers",
    "iterations",
    "expected",
    "actual",
    "lost",
    "lostPercent",
    "timeMs",
    "incrementsPerSecond",
  ];
  for (const t of trials) {
    assert.deepEqual(Object.keys(t).sort(), [...trialKeys].sort());
    assert.equal(t.expected, 100_000);
    assert.equal(t.lost, (t.expected as number) - (t.actual as number));
    assert.ok(Math.abs((t.lostPercent as number) - (t.lost as number) / 1000) < 1e-3);
    assert.ok((t.timeMs as number) > 0);
    const rate = 100_000 / ((t.timeMs as number) / 1000);
    assert.ok(Math.abs((t.incrementsPerSecond as number) - rate) / rate < 1e-3, JSON.stringify(t));
  }
  const summaries = of(events, "summary");
  assert.deepEqual(summaries.map((s) => s.mode), ["unsafe", "atomic", "mutex"]);
  for (const s of summaries) {
    const mine = trials.filter((t) => t.mode === s.mode);
    const sum = (key: string) => mine.reduce((a, t) => a + (t[key] as number), 0);
    assert.equal(s.trials, 2);
    assert.equal(s.expected, 200_000);
    assert.equal(s.actual, sum("actual"));
    assert.equal(s.lost, sum("lost"));
    assert.ok(Math.abs((s.timeMs as number) - sum("timeMs")) < 1e-6);
    assert.equal(s.trialsWithLoss, mine.filter((t) => t.lost !== 0).length);
    for (const key of ["lostPercent", "incrementsPerSecond", "workers", "iterations"]) {
      assert.equal(typeof s[key], "number", key);
    }
    assert.equal(typeof s.why, "string");
  }
  const [comparison] = of(events, "comparison");
  const [, atomic, mutex] = summaries;
  assert.equal(
    comparison.mutexSlowdown,
    Math.round(
      ((atomic.incrementsPerSecond as number) / (mutex.incrementsPerSecond as number)) * 100,
    ) / 100,
  );
});

const FORCED_UNSAFE = [
  "A read 0 counter 0",
  "B read 0 counter 0",
  "A add 1 counter 0",
  "B add 1 counter 0",
  "A write 1 counter 1",
  "B write 1 counter 1",
];

const LOCKED = [
  "A lock 1 counter 0",
  "B lockHeld 2 counter 0",
  "A read 0 counter 0",
  "A add 1 counter 0",
  "A write 1 counter 1",
  "A unlockWake 0 counter 1",
  "B lockWoken 2 counter 1",
  "B read 1 counter 1",
  "B add 2 counter 1",
  "B write 2 counter 2",
  "B unlockWake 0 counter 2",
];

Deno.test("the forced trace loses exactly one update every time, and none under the lock", async () => {
  using pool = new RacePool(2);
  const show = (s: { worker: string; op: string; value: number; counter: number }) =>
    `${s.worker} ${s.op} ${s.value} counter ${s.counter}`;
  for (let run = 0; run < 25; run++) {
    const unsafe = await pool.trace("unsafe");
    assert.deepEqual(unsafe.steps.map(show), FORCED_UNSAFE, `run ${run}`);
    assert.equal(unsafe.actual, 1);
    const mutex = await pool.trace("mutex");
    assert.deepEqual(mutex.steps.map(show), LOCKED, `run ${run}`);
    assert.equal(mutex.actual, 2);
    const atomic = await pool.trace("atomic");
    assert.deepEqual(atomic.steps.map(show), [
      "A atomicAdd 1 counter 1",
      "B atomicAdd 2 counter 2",
    ]);
    assert.equal(atomic.actual, 2);
  }
});

Deno.test("race-demo --trace --json reports the forced steps and one lost update", async () => {
  const { code, events } = await raceJson(["--trace"]);
  assert.equal(code, 0);
  const results = of(events, "trace-result");
  assert.deepEqual(results, [
    { event: "trace-result", mode: "unsafe", forced: true, expected: 2, actual: 1, lost: 1 },
    { event: "trace-result", mode: "mutex", forced: true, expected: 2, actual: 2, lost: 0 },
    { event: "trace-result", mode: "atomic", forced: true, expected: 2, actual: 2, lost: 0 },
  ]);
  const steps = of(events, "trace-step").filter((s) => s.mode === "unsafe");
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(steps.every((s) => s.forced === true));
});

Deno.test("race-demo --trace prints the classic table, labelled as forced", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["race-demo", "--trace", "--mode", "unsafe"], io, cli), 0);
  const text = io.stdoutText();
  assert.match(text, /FORCED/);
  const rows = text.split("\n").filter((l) => /^\s+\d+\s/.test(l));
  assert.equal(rows.length, 6);
  assert.match(rows[0], /^\s+1\s+reads counter → 0\s+0$/);
  assert.match(rows[1], /^\s+2\s{20,}reads counter → 0\s+0$/); // in B's column
  assert.match(rows[4], /writes 1 to counter\s+1$/);
  assert.match(rows[5], /^\s+6\s{20,}writes 1 to counter\s+1$/);
  assert.match(text, /expected 2, actual 1: 1 update lost/);
  assert.doesNotMatch(text, /mutex|atomic,/);
});

Deno.test("race-demo prints tables, bars, a summary and the explanation; no progress on a pipe", async () => {
  const io = fakeIo();
  const code = await runCli(
    ["race-demo", "--workers", "2", "--iterations", "20000", "--trials", "2"],
    io,
    cli,
  );
  assert.equal(code, 0);
  const text = io.stdoutText();
  assert.match(text, /^race-demo: 2 workers each add 1 to one shared counter 20,000 times/);
  for (const mode of ["unsafe", "atomic", "mutex"]) {
    assert.match(text, new RegExp(`^${mode}: `, "m"));
  }
  assert.equal(
    text.match(/trial\s+expected\s+actual\s+lost\s+lost %\s+time\s+increments\/s/g)?.length,
    3,
  );
  // Atomic and mutex rows: everything exact, an empty bar.
  assert.ok((text.match(/ 40,000\s+40,000\s+0\s+0\.00%.*·{20}$/gm) ?? []).length >= 4);
  assert.match(text, /^summary/m);
  assert.match(text, /^ {2}mutex\s+80,000\s+80,000\s+0\s+0\.00%/m);
  assert.match(text, /as slow as Atomics\.add/);
  assert.match(text, /^Why updates are lost:/m);
  assert.match(text, /^Why atomic is exact:/m);
  assert.match(text, /^Why mutex is exact:/m);
  // No progress line and no color when stdout is not a terminal.
  assert.ok(!text.includes("\r") && !text.includes("\x1b"), JSON.stringify(text));
  assert.equal(io.stderrText(), "");
});

Deno.test("race-demo rejects bad flags with a usage error naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--mode", "fast"], /--mode: "fast" is not one of unsafe, atomic, mutex, all/],
    [["--workers", "0"], /--workers: 0 is below the minimum of 1/],
    [["--iterations", "0"], /--iterations: 0 is below the minimum of 1/],
    [["--trials", "x"], /--trials: "x" is not a whole number/],
    [
      ["--workers", "4", "--iterations", "1000000000"],
      /--iterations: .*exceed the counter's limit/,
    ],
  ];
  for (const [args, message] of cases) {
    const io = fakeIo();
    assert.equal(await runCli(["race-demo", ...args], io, cli), 2, args.join(" "));
    assert.match(io.stderrText(), message);
    assert.equal(io.stderrText().trim().split("\n").length, 1);
  }
});

Deno.test("race-demo exits 1 only when atomic or mutex lose an update", () => {
  const run = { workers: 2, iterations: 10 };
  const summary = (mode: "unsafe" | "atomic" | "mutex", actual: number): ModeSummary =>
    summarize(mode, [trialResult(mode, 1, run, { actual, timeMs: 1 })]);
  assert.equal(verdict(failures([summary("unsafe", 11), summary("atomic", 20)])), 0);
  for (const broken of [summary("atomic", 19), summary("mutex", 17)]) {
    assert.throws(
      () => verdict(failures([summary("unsafe", 11), broken])),
      (err) => {
        assert.equal(exitCodeOf(err), 1);
        assert.match(
          (err as Error).message,
          new RegExp(`${broken.mode} lost ${20 - broken.actual} update`),
        );
        return true;
      },
    );
  }
});

Deno.test("sockit race-demo runs from main.ts, in human mode and with --json", async () => {
  const human = await runSockit([
    "race-demo",
    "--workers",
    "2",
    "--iterations",
    "50000",
    "--trials",
    "2",
  ]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^summary/m);
  assert.match(human.stdout, /^Why updates are lost:/m);

  const json = await runSockit(["race-demo", "--trace", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const unsafe = events.find((e) => e.event === "trace-result" && e.mode === "unsafe");
  assert.equal(unsafe.lost, 1);
});

Deno.test("sockit race-demo stops a long run on SIGINT with exit 130", {
  ignore: Deno.build.os === "windows",
}, async () => {
  // A run far longer than the test (minutes of mutex increments), interrupted as soon as
  // it says it started.
  const { cmd, args } = sockitCommand([
    "race-demo",
    "--mode",
    "mutex",
    "--workers",
    "2",
    "--iterations",
    "1000000000",
    "--trials",
    "1000",
    "--json",
  ]);
  const proc = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const stdout = new LineReader(proc.stdout);
  const stderr = new LineReader(proc.stderr);
  try {
    const start = JSON.parse((await stdout.next(15_000))!);
    assert.equal(start.event, "start");
    proc.kill("SIGINT");
    const status = await proc.status;
    assert.equal(status.code, 130);
    assert.match(
      (await stderr.rest()).join("\n"),
      /^sockit: interrupted during mutex trial 1 of 1000$/,
    );
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch { /* already exited */ }
    await proc.status;
    await stdout.cancel();
    await stderr.cancel();
  }
});
