/**
 * Everything a command touches outside itself — stdout, stderr, stdin, environment,
 * clock, name resolution, signals — handed in as one value, so a test can run a
 * command against fakes (a resolver that knows no host, a clock that is 30 s ahead)
 * without touching the network or the system's name server.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIPLiteral } from "./address.ts";
import { ResolveError } from "./errors.ts";

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

const encoder = new TextEncoder();

/**
 * The exit code when stdout's reader went away (`sockit ... | head -3`): 128 + SIGPIPE,
 * what a shell reports for a writer that the signal ended.
 */
export const EXIT_STDOUT_CLOSED = 141;

function sinkOf(file: typeof Deno.stdout, onClosed: () => void): TextSink {
  return {
    write(text: string) {
      const bytes = encoder.encode(text);
      let off = 0;
      try {
        while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      } catch (err) {
        // Deno ignores SIGPIPE, so a closed pipe is an error on every later write; it
        // is the reader's choice, not a failure worth a stack trace.
        if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
        onClosed();
      }
    },
    isTerminal: file.isTerminal(),
  };
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
  if (isIPLiteral(host)) return [host];
  try {
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
  return {
    // Nobody reads the output any more: stop, quietly, as a Unix tool killed by SIGPIPE
    // would (not one line more of work for nobody). A closed stderr loses only logs.
    stdout: sinkOf(Deno.stdout, () => Deno.exit(EXIT_STDOUT_CLOSED)),
    stderr: sinkOf(Deno.stderr, () => {}),
    stdin: {
      readable: Deno.stdin.readable,
      isTerminal: Deno.stdin.isTerminal(),
      ...(Deno.stdin.isTerminal() ? { setRaw: (raw: boolean) => Deno.stdin.setRaw(raw) } : {}),
    },
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env: behave as if unset
      }
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
  };
}
