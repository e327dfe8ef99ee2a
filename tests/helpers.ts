/**
 * What integration and interop tests share: spawning the real CLI, reading its output
 * line by line (waiting for an event, never sleeping), finding test peers, and skipping
 * with a printed reason when one is missing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import config from "../deno.json" with { type: "json" };
import { isIPLiteral } from "../lib/address.ts";
import { ResolveError } from "../lib/errors.ts";
import type { Io, StopSignal } from "../lib/io.ts";
import { jsonChecker } from "./json_check.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/**
 * The permissions the compiled binary has, read from deno.json's `compile` task so tests
 * run the CLI with exactly those and can never pass on a permission the binary lacks.
 */
export const SOCKIT_PERMISSIONS: string[] = config.tasks.compile
  .split(/\s+/)
  .filter((arg) => arg.startsWith("--allow-"));

/**
 * Whether a word of a `deno` command line is one of sockit's runtime flags (not a
 * permission): `--unstable-*` or `--v8-flags=...`.
 */
export function isRunFlag(word: string): boolean {
  return word.startsWith("--unstable-") || word.startsWith("--v8-flags=");
}

/**
 * The runtime flags sockit runs with from source, read from deno.json's `sockit` task
 * (which `./sockit` reads too), both for start-up (issue 10):
 * `--unstable-lazy-dynamic-imports`, so `deno run` reads a command's modules when it
 * runs, not every command's at every start (never in deno.json's `unstable` list or the
 * compile task: `deno compile` would then leave the commands' code out of the binary);
 * and `--v8-flags=--no-lazy`, so V8's code cache holds every function, not only each
 * module's top level (tests/startup_graph_test.ts says why, with the figures).
 */
export const SOCKIT_RUN_FLAGS: string[] = config.tasks.sockit.split(/\s+/).filter(isRunFlag);

/**
 * The command that runs sockit from source, as tests and benchmarks spawn it.
 *
 * @example
 * ```ts
 * const { cmd, args } = sockitCommand(["echo", "--port", "0"]);
 * const proc = new Deno.Command(cmd, { args, stdout: "piped" }).spawn();
 * ```
 */
export function sockitCommand(args: string[]): { cmd: string; args: string[] } {
  return {
    cmd: Deno.execPath(),
    args: ["run", "--quiet", ...SOCKIT_RUN_FLAGS, ...SOCKIT_PERMISSIONS, `${ROOT}main.ts`, ...args],
  };
}

const decoder = new TextDecoder();

/**
 * Reads a byte stream as lines; `next()` waits for the next one, with a deadline so a
 * broken test fails with what it saw instead of hanging.
 *
 * @example
 * ```ts
 * const stdout = new LineReader(proc.stdout);
 * const first = await stdout.next(); // "listening on tcp 127.0.0.1:40123"
 * await stdout.until((line) => line.startsWith("disconnect"));
 * ```
 */
export class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = "";
  #done = false;
  #pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Every line read so far, for failure messages. */
  readonly seen: string[] = [];

  #check?: (line: string) => void;

  /** `check` sees every line as it is read (the `--json` schema check, tests/json_check.ts). */
  constructor(stream: ReadableStream<Uint8Array>, check?: (line: string) => void) {
    this.#reader = stream.getReader();
    this.#check = check;
  }

  /** The next line (without its newline), or `null` at end of stream. */
  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.seen.push(line);
        this.#check?.(line);
        return line;
      }
      if (this.#done) {
        if (this.#buffer === "") return null;
        const line = this.#buffer;
        this.#buffer = "";
        this.seen.push(line);
        this.#check?.(line);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no line within ${timeoutMs}ms; seen: ${JSON.stringify(this.seen)}`);
      }
      // The read outlives a timeout, so the next call takes its chunk instead of losing it.
      this.#pending ??= this.#reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        this.#pending,
        new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (result === "timeout") continue;
      this.#pending = undefined;
      if (result.done) this.#done = true;
      else this.#buffer += decoder.decode(result.value, { stream: true });
    }
  }

  /** Reads lines until one satisfies `match`, and returns it. */
  async until(match: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (line === null) throw new Error(`stream ended; seen: ${JSON.stringify(this.seen)}`);
      if (match(line)) return line;
    }
  }

  /** Reads the rest of the stream. */
  async rest(timeoutMs = 10_000): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.next(timeoutMs);
      if (line === null) return lines;
      lines.push(line);
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** A sockit process started by {@linkcode startSockit}. */
export interface RunningSockit {
  proc: Deno.ChildProcess;
  stdout: LineReader;
  stderr: LineReader;
  /** The first `listening on` line's port. */
  port: number;
  /** Every `listening on` line's transport and port. */
  listening: { transport: string; host: string; port: number }[];
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Stops it if still running and releases its pipes; for `finally`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a sockit server command and waits for its `listening on` line(s). Pass
 * `--port 0` in `args`; the port it got is read from its first line, as the README says.
 *
 * @example
 * ```ts
 * await using server = await startSockit(["echo", "--port", "0"]);
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
 * ```
 */
export async function startSockit(
  args: string[],
  options: { transports?: number; env?: Record<string, string> } = {},
): Promise<RunningSockit> {
  const { cmd, args: full } = sockitCommand(args);
  const proc = new Deno.Command(cmd, {
    args: full,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  const stdout = new LineReader(proc.stdout, jsonChecker(args));
  const stderr = new LineReader(proc.stderr);
  const listening: RunningSockit["listening"] = [];
  const json = args.includes("--json");
  try {
    while (listening.length < (options.transports ?? 1)) {
      const line = await stdout.next(15_000);
      if (line === null) {
        const err = await stderr.rest(2000).catch(() => []);
        throw new Error(`sockit ${args.join(" ")} exited before listening: ${err.join("\n")}`);
      }
      if (json) {
        const event = JSON.parse(line);
        if (event.event === "listening") listening.push(event);
      } else {
        const m = /^listening on (\w+) \[?([^\]]*?)\]?:(\d+)$/.exec(line);
        if (m) listening.push({ transport: m[1], host: m[2], port: Number(m[3]) });
      }
    }
  } catch (err) {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.status;
    throw err;
  }
  let status: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    if (!status) {
      try {
        proc.kill(signal);
      } catch { /* already exited */ }
      status = proc.status;
    }
    return status;
  };
  return {
    proc,
    stdout,
    stderr,
    port: listening[0].port,
    listening,
    stop,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
      await stdout.cancel();
      await stderr.cancel();
    },
  };
}

/** What {@linkcode runSockit} returns. */
export interface SockitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs every server command (`echo`, `daytime`, `chat-serve`) on `--port 0` with each
 * case's flags and asserts a usage error (exit 2) whose stderr matches the case's pattern:
 * the runtime's flags are read one way for every server, so each must refuse the same.
 *
 * @example
 * ```ts
 * await assertEveryServerRefuses([[["--allow", "10.0.0.0/33"], /prefix length/]]);
 * ```
 */
export async function assertEveryServerRefuses(cases: [string[], RegExp][]): Promise<void> {
  for (const [flags, message] of cases) {
    for (const command of ["echo", "daytime", "chat-serve"]) {
      const { code, stderr } = await runSockit([command, "--port", "0", ...flags]);
      assert.equal(code, 2, `${command} ${flags.join(" ")}: ${stderr}`);
      assert.match(stderr, message);
    }
  }
}

/**
 * Runs a sockit command to completion (a client) and returns its exit code and output.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runSockit(["echo", "--to", `127.0.0.1:${port}`, "-i", "0"]);
 * ```
 */
export async function runSockit(
  args: string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string> } = {},
): Promise<SockitResult> {
  const { cmd, args: full } = sockitCommand(args);
  const { code, stdout, stderr } = await runToEnd(cmd, full, options);
  const text = decoder.decode(stdout);
  const check = jsonChecker(args);
  if (check) { for (const line of text.split("\n").filter((l) => l !== "")) check(line); }
  return { code, stdout: text, stderr: decoder.decode(stderr) };
}

/** Runs a program with `stdin` written to it and closed, and collects its output. */
async function runToEnd(
  cmd: string,
  args: string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string>; signal?: AbortSignal },
): Promise<Deno.CommandOutput> {
  const proc = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    signal: options.signal,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = proc.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  return await proc.output();
}

const toolCache = new Map<string, boolean>();

/**
 * Whether the program `name` is on PATH.
 *
 * @example
 * ```ts
 * if (hasTool("ncat")) await runTool("ncat", ["--version"]);
 * ```
 */
export function hasTool(name: string): boolean {
  if (!toolCache.has(name)) {
    const found = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    toolCache.set(name, found);
  }
  return toolCache.get(name)!;
}

/**
 * Whether to skip a test that needs `tools`; prints the reason when it does, so a
 * skip is never silent. Use as `Deno.test({ ignore: missing("ncat"), ... })`.
 *
 * @example
 * ```ts
 * Deno.test({ name: "interop: ncat", ignore: missing("ncat"), fn: async () => {} });
 * ```
 */
export function missing(...tools: string[]): boolean {
  const absent = tools.filter((t) => !hasTool(t));
  if (absent.length > 0) {
    console.log(`skip: ${absent.join(", ")} not installed (.ci/run installs it)`);
    return true;
  }
  return false;
}

/**
 * Reads from `conn` until `n` bytes arrived or the stream ended.
 *
 * @example
 * ```ts
 * const reply = await readN(conn, 5); // fewer only if the peer closed
 * ```
 */
export async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) return out.subarray(0, got);
    got += read;
  }
  return out;
}

/**
 * Reads from `conn` until end of stream.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(await readAll(conn)); // the daytime line
 * ```
 */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Asserts two byte arrays are equal, failing with the first byte that differs instead
 * of printing two 1 MiB arrays.
 *
 * @example
 * ```ts
 * assertSameBytes(await readN(conn, sent.length), sent, "echoed bytes");
 * ```
 */
export function assertSameBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  what = "bytes",
): void {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
  assert.equal(actual.length, expected.length, `${what}: length`);
}

/**
 * `promise`'s result, or a failure naming `what` when it takes longer than `ms`, so a
 * peer that never answers fails its test instead of hanging the suite (the caller's
 * `using` socket then ends the abandoned read).
 *
 * @example
 * ```ts
 * const [reply] = await within(socket.receive(), "UDP echo");
 * ```
 */
export async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  );
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes all of `bytes`.
 *
 * @example
 * ```ts
 * await writeAll(conn, new Uint8Array(1 << 20));
 * ```
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Runs a program to completion with optional stdin; for interop peers.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runTool("nc", ["-N", "127.0.0.1", String(port)], { stdin: "hi\n" });
 * ```
 */
export async function runTool(
  cmd: string,
  args: string[],
  options: { stdin?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const { code, stdout, stderr } = await runToEnd(cmd, args, {
    stdin: options.stdin,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  return { code, stdout, stderr: decoder.decode(stderr) };
}

/** An {@linkcode Io} for running a command in-process, with its output captured. */
export interface FakeIo extends Io {
  /** Everything written to stdout so far. */
  stdoutText(): string;
  /** Everything written to stderr so far. */
  stderrText(): string;
  /** Delivers a stop signal to whoever subscribed with `onSignal`, as Ctrl-C would. */
  signal(name?: StopSignal): void;
  /** How many `onSignal` subscriptions are open (0 once a command cleaned up). */
  subscribed(): number;
}

/**
 * A fake world for in-process command tests: output captured, stdin empty, stop
 * signals only when the test sends one with `signal()`, the real clock, and a resolver
 * that knows only IP literals and `localhost` — so "host not found" is tested without
 * asking any name server. Override any part.
 *
 * @example
 * ```ts
 * const io = fakeIo({ resolve: () => Promise.reject(new ResolveError("resolve nowhere.test: host not found")) });
 * const code = await runCli(["echo", "--to", "nowhere.test:7"], io, { commands, version: "test" });
 * ```
 */
export function fakeIo(overrides: Partial<Io> = {}): FakeIo {
  let out = "";
  let err = "";
  const listeners = new Set<(signal: StopSignal) => void>();
  return {
    stdout: { write: (t) => void (out += t), isTerminal: false },
    stderr: { write: (t) => void (err += t), isTerminal: false },
    stdin: { readable: new ReadableStream({ start: (c) => c.close() }), isTerminal: false },
    env: () => undefined,
    now: () => Date.now(),
    resolve: (host) => {
      if (host === "localhost") return Promise.resolve(["127.0.0.1"]);
      if (isIPLiteral(host)) return Promise.resolve([host]);
      return Promise.reject(new ResolveError(`resolve ${host}: host not found`));
    },
    onSignal(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    os: Deno.build.os,
    ...overrides,
    stdoutText: () => out,
    stderrText: () => err,
    signal(name = "SIGINT") {
      for (const listener of [...listeners]) listener(name);
    },
    subscribed: () => listeners.size,
  };
}

/**
 * A TCP port on 127.0.0.1 where connecting is refused. It is below 1024, where no test
 * listens, so it cannot be the kernel's pick for another test's `--port 0` (a port
 * freed a moment ago can be) nor a self-connect (which needs an ephemeral port).
 *
 * @example
 * ```ts
 * const { code } = await runSockit(["echo", "--to", `127.0.0.1:${await refusedPort()}`]); // 4
 * ```
 */
export async function refusedPort(): Promise<number> {
  for (const port of [1, 9, 11, 15, 47, 79, 87, 93]) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
    } catch (err) {
      if (err instanceof Deno.errors.ConnectionRefused) return port;
    }
  }
  throw new Error("every probed low port on 127.0.0.1 answered; no refused port to test with");
}

/**
 * A port free on 127.0.0.1 for a peer that cannot be told `--port 0` (ncat, socat,
 * chronyd, xinetd). It is picked at random below the kernel's ephemeral range
 * (32768+), so another test's `--port 0` cannot take it before the peer binds it.
 *
 * @example
 * ```ts
 * const port = freePort("udp");
 * await using peer = spawnPeer("socat", [`UDP-RECVFROM:${port},fork`, "PIPE"]);
 * ```
 */
export function freePort(transport: "tcp" | "udp" = "tcp"): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      if (transport === "tcp") {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
      } else {
        Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
      }
      return port;
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    }
  }
  throw new Error(`no free ${transport} port found on 127.0.0.1 between 20000 and 32000`);
}
