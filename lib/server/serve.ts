/**
 * A server command from start to end: bind, the listening lines, serve until a stop
 * signal, shut down gracefully, the summary line.
 *
 * @module
 */

import { formatNetAddr } from "../address.ts";
import { ExitCode } from "../errors.ts";
import type { Io } from "../io.ts";
import type { Output } from "../output.ts";
import { listen, type Server } from "./listen.ts";
import type { ListenOptions } from "./runtime.ts";
import type { ServerSpec } from "./spec.ts";
import { mergeStats, type ServerStats, summaryLine } from "./stats.ts";

/**
 * The README's first line(s): where the server listens, one per transport; a TCP
 * listener that speaks TLS says `tls`.
 *
 * @example
 * ```ts
 * announceListening(out, server.addrs); // listening on tcp 127.0.0.1:40123
 * ```
 */
export function announceListening(
  out: Output,
  addrs: readonly Deno.NetAddr[],
  options: { tls?: boolean } = {},
): void {
  for (const addr of addrs) {
    const transport = options.tls && addr.transport === "tcp" ? "tls" : addr.transport;
    out.result(
      "listening",
      { transport, host: addr.hostname, port: addr.port },
      `listening on ${transport} ${formatNetAddr(addr)}`,
    );
  }
}

/** Options of {@linkcode serve}. */
export interface ServeOptions extends ListenOptions {
  io: Io;
  /**
   * Runs once the listeners are bound, before the listening lines are printed (e.g. to
   * start workers on the same port); its return value is awaited at shutdown.
   */
  started?: (server: Server) => Promise<{ stop(): Promise<ServerStats> } | void>;
}

/**
 * Runs a server command from start to end: binds, prints the listening lines, serves
 * until SIGINT/SIGTERM (SIGINT/SIGBREAK on Windows), shuts down gracefully, prints the
 * summary and returns exit code 0. A second signal returns 130 at once, abandoning the
 * shutdown; the caller's exit ends what is left.
 *
 * @throws {SockitError} exit 7 when an address cannot be bound.
 *
 * @example
 * ```ts
 * await serve({ name: "echo", host: "127.0.0.1", port: 0, transport: "tcp", tcp: echoConnection },
 *   { io, out });
 * ```
 */
export async function serve(spec: ServerSpec, options: ServeOptions): Promise<number> {
  const { io, out } = options;
  io.keepServingWithoutStdout?.(); // `sockit echo --json | head -1` must not stop echoing
  const began = performance.now();
  const server = listen(spec, options);
  // Subscribe before the listening line: a script may signal as soon as it reads it.
  const signals = stopSignals(io, out);
  const helpers = await options.started?.(server).catch((err) => {
    signals.unsubscribe();
    throw err;
  });
  announceListening(out, server.addrs, { tls: server.tls });
  await signals.first;
  const stopping = (async () => {
    const [stats, more] = await Promise.all([server.shutdown(), helpers?.stop()]);
    if (more) mergeStats(stats, more);
    const summary = summaryLine(spec.name, stats, performance.now() - began, spec.stats?.());
    out.result("summary", summary.fields, summary.text);
    return ExitCode.ok;
  })();
  const code = await Promise.race([stopping, signals.second]);
  // Only now: a second signal up to here must still exit at once, not by the default
  // action (143 without a summary).
  signals.unsubscribe();
  return code;
}

/**
 * How soon after a stop signal the same signal is taken as that one delivered again,
 * when running under `deno task` (the `sockit` task sets {@linkcode DENO_TASK_VARIABLE}).
 * One Ctrl-C there arrives two or three times, 0.2-5 ms apart (measured): the terminal
 * signals the whole process group, and `deno task`, in that group, forwards it to its
 * child again. A person's second Ctrl-C comes far later than this. Run any other way
 * (the binary, `deno run`), every signal counts, as the README says.
 */
export const REPEATED_SIGNAL_MS = 100;

/** Set (to anything) by deno.json's `sockit` task: signals arrive twice there. */
export const DENO_TASK_VARIABLE = "SOCKIT_DENO_TASK";

/** The first stop signal starts the shutdown; the second ends it at once (130). */
function stopSignals(io: Io, out: Output) {
  const first = Promise.withResolvers<void>();
  const second = Promise.withResolvers<number>();
  let count = 0;
  const window = io.env(DENO_TASK_VARIABLE) === undefined ? 0 : REPEATED_SIGNAL_MS;
  let firstSignal: { signal: string; at: number } | undefined;
  const unsubscribe = io.onSignal((signal) => {
    const at = performance.now();
    if (firstSignal?.signal === signal && at - firstSignal.at < window) return; // deno task's copy
    firstSignal ??= { signal, at };
    count++;
    if (count === 1) {
      out.log("shutdown", { signal }, `${signal}: shutting down (again to exit at once)`);
      first.resolve();
    } else {
      out.note(`sockit: ${signal} again, exiting now`);
      second.resolve(ExitCode.interrupted);
    }
  });
  return { first: first.promise, second: second.promise, unsubscribe };
}
