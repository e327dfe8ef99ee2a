/**
 * What the benchmarks share: starting the servers under test (sockit and its peers)
 * and reading the port each announces, measuring a rate over a window after a warm-up
 * (and the work per CPU-second of a server process, from /proc on Linux), running this
 * file's load generator as a child process, and printing ratio tables.
 *
 * Benchmarks, not tests: sleeping for a measurement window is the point here.
 *
 * @module
 */

import { ROOT, sockitCommand } from "../tests/helpers.ts";

/** A server process under test. */
export interface BenchServer {
  name: string;
  port: number;
  pid: number;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * await delay(1000); // the measurement window
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The first line a child prints (its port announcement), then keeps draining its
 * stdout so it never blocks on a full pipe.
 *
 * @throws when the child exits or says nothing within `timeoutMs`.
 *
 * @example
 * ```ts
 * const line = await firstLine(proc.stdout); // "listening on tcp 127.0.0.1:40123"
 * ```
 */
export async function firstLine(
  stdout: ReadableStream<Uint8Array>,
  timeoutMs = 20_000,
): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`no first line (exited, or silent ${timeoutMs} ms): ${text}`);
      }
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return text.slice(0, text.indexOf("\n"));
}

/**
 * Starts `cmd args` and reads its port from the end of its first line, which is either
 * sockit's `listening on tcp 127.0.0.1:PORT` or a bare port number (the peers).
 *
 * @example
 * ```ts
 * const node = await startServer("node", "node", ["-e", NODE_ECHO]);
 * ```
 */
export async function startServer(name: string, cmd: string, args: string[]): Promise<BenchServer> {
  const proc = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
    .spawn();
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch { /* already gone */ }
    await proc.status;
  };
  try {
    const line = await firstLine(proc.stdout);
    const port = /(\d+)$/.exec(line)?.[1];
    if (!port) throw new Error(`${name}: no port in its first line: ${line}`);
    return { name, port: Number(port), pid: proc.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts a sockit server command from source, e.g. `["echo", "--port", "0", "--quiet"]`.
 *
 * @example
 * ```ts
 * const sockit = await startSockitServer("sockit", ["echo", "--port", "0", "--quiet"]);
 * ```
 */
export function startSockitServer(name: string, args: string[]): Promise<BenchServer> {
  const { cmd, args: full } = sockitCommand(args);
  return startServer(name, cmd, full);
}

/**
 * The kernel's clock tick, the unit of CPU times in /proc (100 almost everywhere).
 *
 * @example
 * ```ts
 * cpuSeconds(server.pid, await clockTicks());
 * ```
 */
export async function clockTicks(): Promise<number> {
  try {
    const { stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
    return Number(new TextDecoder().decode(stdout).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * CPU seconds (user + system, all threads) process `pid` has used so far, on Linux;
 * undefined elsewhere.
 *
 * @example
 * ```ts
 * const before = cpuSeconds(server.pid, 100);
 * ```
 */
export function cpuSeconds(pid: number, ticksPerSecond: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // After the command name, which is in parentheses and may hold spaces, fields are
    // numbered from 3 (state): utime is field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined; // not Linux
  }
}

/** A rate measured by {@linkcode measureRate}. */
export interface Rate {
  /** Work per second of the window. */
  rate: number;
  /** The same work per CPU-second of the server process, where /proc tells. */
  perCpuSecond?: number;
}

/** Options of {@linkcode measureRate}. */
export interface MeasureOptions {
  warmupMs: number;
  measureMs: number;
  /** The server process whose CPU time to read, and /proc's clock tick. */
  cpu?: { pid: number; ticksPerSecond: number };
}

/**
 * Lets load run for `warmupMs` (JIT, buffers), then measures how fast `done()` (a
 * running total of work the load has finished) grows over `measureMs`.
 *
 * @example
 * ```ts
 * let count = 0; // the load loops add to it
 * const { rate } = await measureRate(() => count, { warmupMs: 300, measureMs: 1000 });
 * ```
 */
export async function measureRate(done: () => number, options: MeasureOptions): Promise<Rate> {
  const { cpu } = options;
  await delay(options.warmupMs);
  const fromWork = done();
  const fromCpu = cpu && cpuSeconds(cpu.pid, cpu.ticksPerSecond);
  const began = performance.now();
  await delay(options.measureMs);
  const work = done() - fromWork;
  const toCpu = cpu && cpuSeconds(cpu.pid, cpu.ticksPerSecond);
  const elapsed = (performance.now() - began) / 1000;
  const cpuUsed = toCpu !== undefined && fromCpu !== undefined ? toCpu - fromCpu : 0;
  return { rate: work / elapsed, ...(cpuUsed > 0 ? { perCpuSecond: work / cpuUsed } : {}) };
}

/**
 * Runs the benchmark file `file` again as a child (its load generator, with `args`),
 * so the load has its own process and event loop, and returns what it printed as JSON.
 *
 * @example
 * ```ts
 * const samples = await runGenerator<Sample[]>(import.meta.filename!, ["--load", JSON.stringify(plan)], {
 *   timeoutMs: 60_000,
 * });
 * ```
 */
export async function runGenerator<T>(
  file: string,
  args: string[],
  options: { timeoutMs: number; permissions?: string[] },
): Promise<T> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...(options.permissions ?? ["--allow-net"]), file, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs),
  }).output();
  if (code !== 0) throw new Error(`load generator failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * The middle value (the mean of the two middle ones for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 2, 3]); // 2.5
 * ```
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `a / b` as a ratio for a table: `1.23×`.
 *
 * @example
 * ```ts
 * ratio(136_326, 109_428); // "1.25×"
 * ```
 */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/**
 * Prints a table: the first `textColumns` columns left-aligned, the numbers right.
 *
 * @example
 * ```ts
 * printTable(["load", "conn/s"], [["1 at a time", "12,345"]]);
 * ```
 */
export function printTable(head: string[], rows: string[][], textColumns = 1): void {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i < textColumns ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** `../shared/bench/run-one.sh`, the shared load generator's driver, beside the repository. */
export const RUN_ONE: string = `${ROOT}../shared/bench/run-one.sh`;

/**
 * Measures `serverCommand` (with `{PORT}` where its port goes) with the shared load
 * generator through `run-one.sh`, which pins the generator and the server to a CPU each,
 * sends the server's output to a file, warms up and runs the load `reps` times; returns
 * the median of the load's main figure, or undefined when no run was verified.
 *
 * @example
 * ```ts
 * await runOne("xinetd-wrapper daytime {PORT}", ["connect-rate", "--total", "5000", "--conc", "50"]);
 * ```
 */
export async function runOne(
  serverCommand: string,
  load: string[],
  options: { reps?: number; timeoutMs?: number } = {},
): Promise<number | undefined> {
  const { stdout } = await new Deno.Command("bash", {
    args: [RUN_ONE, serverCommand, ...load],
    cwd: ROOT,
    env: { REPS: String(options.reps ?? 3) },
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
  }).output();
  const last = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  const median = /^# \w+: median ([\d.]+)/.exec(last)?.[1];
  return median === undefined ? undefined : Number(median);
}

/**
 * A command line for `bash -c`, each word single-quoted.
 *
 * @example
 * ```ts
 * shellLine("deno", ["run", "main.ts"]); // "'deno' 'run' 'main.ts'"
 * ```
 */
export function shellLine(cmd: string, args: string[]): string {
  return [cmd, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
}

/**
 * `sockit ARGS` as a `run-one.sh` server command line, `{PORT}` where the port goes.
 *
 * @example
 * ```ts
 * await runOne(sockitLine(["echo", "--quiet", "--port", "{PORT}"]), ["echo-rr", "--conns", "100"]);
 * ```
 */
export function sockitLine(args: string[]): string {
  const { cmd, args: full } = sockitCommand(args);
  return shellLine(cmd, full);
}

/**
 * Each round's figure per server over `rounds` rounds, the servers measured in a rotated
 * order each round, so load from elsewhere falls on all of them alike.
 *
 * @example
 * ```ts
 * const rounds = await rotated(5, ["a", "b"], (name) => runOne(commands[name], load));
 * ```
 */
export async function rotated(
  rounds: number,
  names: string[],
  measure: (name: string) => Promise<number | undefined>,
): Promise<Map<string, number | undefined>[]> {
  const all: Map<string, number | undefined>[] = [];
  for (let round = 0; round < rounds; round++) {
    const shift = round % names.length;
    const figures = new Map<string, number | undefined>();
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      figures.set(name, await measure(name));
    }
    all.push(figures);
  }
  return all;
}

/**
 * The median over rounds of `name`'s figure, or of its ratio to `base`'s in each round
 * (servers measured side by side); undefined when no round has both.
 *
 * @example
 * ```ts
 * overRounds(rounds, "sockit", "node"); // e.g. 1.12
 * ```
 */
export function overRounds(
  rounds: Map<string, number | undefined>[],
  name: string,
  base?: string,
): number | undefined {
  const values = rounds.flatMap((r) => {
    const a = r.get(name);
    const b = base === undefined ? 1 : r.get(base);
    return a === undefined || b === undefined ? [] : [a / b];
  });
  return values.length ? median(values) : undefined;
}
