/**
 * Everything a command touches outside itself — stdout, stderr, stdin, environment,
 * clock, name resolution, signals — handed in as one value, so a test can run a
 * command against fakes (a resolver that knows no host, a clock that is 30 s ahead)
 * without touching the network or the system's name server.
 *
 * @module
 */

import { ResolveError } from "./errors.ts";
import { createStdioWriter, type StdioWriter } from "./stdio_writer.ts";

/** A place lines of text go to. */
export interface TextSink {
  write(text: string): void;
  /** Whether a person is looking at it (colors, progress, raw mode). */
  readonly isTerminal: boolean;
}

/** Standard input. */
export interface Stdin {
  readonly readable: ReadableStream<Uint8Array>;
  readonly isTerminal: boolean;
  /** Raw mode for line editing; absent where stdin is not a terminal. */
  setRaw?(raw: boolean): void;
}

/** The signals that ask a process to stop on this OS. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGBREAK";

/** A command's world. */
export interface Io {
  stdout: TextSink;
  stderr: TextSink;
  stdin: Stdin;
  env(name: string): string | undefined;
  /** Wall-clock milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves a host name to IP addresses, in the order to try them; IP literals come
   * back as they are.
   * @throws {ResolveError} when the name does not resolve.
   */
  resolve(host: string): Promise<string[]>;
  /** Calls `listener` on every stop signal until the returned function is called. */
  onSignal(listener: (signal: StopSignal) => void): () => void;
  /** `Deno.build.os`, so the OS-specific branches can be tested on any OS. */
  readonly os: typeof Deno.build.os;
  /**
   * Says this process serves others: when stdout's reader goes away it must keep
   * serving (say so once on stderr and drop further stdout) rather than end as a client
   * does. Absent in fakes, whose stdout never closes.
   */
  keepServingWithoutStdout?(): void;
}

/**
 * The signals that mean "stop" on `os`: Windows only delivers SIGINT and SIGBREAK.
 *
 * @example
 * ```ts
 * stopSignals("windows"); // ["SIGINT", "SIGBREAK"]
 * stopSignals("linux"); // ["SIGINT", "SIGTERM"]
 * ```
 */
export function stopSignals(os: typeof Deno.build.os): StopSignal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/**
 * The exit code when stdout's reader went away (`sockit ... | head -3`): 128 + SIGPIPE,
 * what a shell reports for a writer that the signal ended.
 */
export const EXIT_STDOUT_CLOSED = 141;

/** This thread's one batching writer of stdout and stderr, made on first use. */
let stdio: StdioWriter | undefined;

/**
 * Writes what this thread queued for stdout and stderr, now. Exits through `Deno.exit`
 * and the end of the event loop flush by themselves; a worker calls this before its
 * last message, since being terminated flushes nothing.
 *
 * @example
 * ```ts
 * flushStdio();
 * self.postMessage({ type: "stopped", stats });
 * ```
 */
export function flushStdio(): void {
  stdio?.flush();
}

function stdioWriter(): StdioWriter {
  if (stdio) return stdio;
  const writer = stdio = createStdioWriter();
  // Deno.exit (any caller: the CLI's exit code, a second signal, a closed stdout) and a
  // natural end dispatch "unload"; an uncaught error does not, so flush on it too.
  addEventListener("unload", writer.flush);
  addEventListener("error", writer.flush);
  addEventListener("unhandledrejection", writer.flush);
  return writer;
}

function setRaw(raw: boolean): void {
  flushStdio();
  Deno.stdin.setRaw(raw);
}

function sinkOf(file: typeof Deno.stdout, onClosed: () => void): TextSink {
  const stream = stdioWriter().stream(file, onClosed);
  return { write: stream.write, isTerminal: file.isTerminal() };
}

/**
 * Resolves `host` with the system resolver (getaddrinfo: /etc/hosts, then DNS).
 *
 * @throws {ResolveError} naming the host when it does not resolve.
 *
 * @example
 * ```ts
 * await systemResolve("127.0.0.1"); // ["127.0.0.1"], without asking a name server
 * await systemResolve("localhost"); // e.g. ["::1", "127.0.0.1"]
 * ```
 */
export async function systemResolve(host: string): Promise<string[]> {
  // Imported here: the address parsers (lib/address.ts, lib/cidr.ts) are two modules
  // that --version and --help would load for nothing (issue 10).
  const { isIPLiteral } = await import("./address.ts");
  if (isIPLiteral(host)) return [host];
  try {
    // Imported here, not at the top: node:dns costs every start-up ~10 ms, and only a
    // name (not an address) needs it.
    const { lookup } = await import("node:dns/promises");
    const found = await lookup(host, { all: true, verbatim: true });
    if (found.length === 0) throw new Error("no addresses");
    return found.map((a) => a.address);
  } catch (err) {
    throw new ResolveError(`resolve ${host}: host not found`, {
      cause: err,
      hint: "check the name, or give an IP address",
    });
  }
}

/**
 * The real world: the process's stdio, environment, clock, resolver and signals.
 *
 * @example
 * ```ts
 * Deno.exit(await runCli(Deno.args, systemIo(), { commands, version: "0.1.0" }));
 * ```
 */
export function systemIo(): Io {
  const os = Deno.build.os;
  // Nobody reads the output any more: a client stops, quietly, as a Unix tool killed by
  // SIGPIPE would (not one line more of work for nobody). A server's clients did not go
  // away with its log reader: it keeps serving. A closed stderr loses only logs.
  let stdoutClosed = (): void => Deno.exit(EXIT_STDOUT_CLOSED);
  const stderr = sinkOf(Deno.stderr, () => {});
  return {
    stdout: sinkOf(Deno.stdout, () => stdoutClosed()),
    stderr,
    stdin: {
      // A getter: making the stream costs every start-up about a millisecond, and most
      // commands never read stdin.
      get readable() {
        return Deno.stdin.readable;
      },
      isTerminal: Deno.stdin.isTerminal(),
      // What was written before a mode switch is shown under the mode it was written for.
      ...(Deno.stdin.isTerminal() ? { setRaw: (raw: boolean) => setRaw(raw) } : {}),
    },
    env: (name) => {
      // Asking first: on a terminal, Deno.env.get of a variable outside --allow-env would
      // stop the program with a permission prompt instead of throwing.
      const { state } = Deno.permissions.querySync({ name: "env", variable: name });
      if (state !== "granted") return undefined; // no --allow-env for it: as if unset
      return Deno.env.get(name);
    },
    now: () => Date.now(),
    resolve: systemResolve,
    onSignal(listener) {
      const handlers = stopSignals(os).map((signal) => {
        const handler = () => listener(signal);
        Deno.addSignalListener(signal, handler);
        return [signal, handler] as const;
      });
      return () => {
        for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      };
    },
    os,
    keepServingWithoutStdout() {
      stdoutClosed = () =>
        stderr.write(
          "sockit: stdout closed (its reader went away); still serving, no more output there\n",
        );
    },
  };
}
