/**
 * The state one running server shares between its loops (accept, datagrams, idle
 * sweep, shutdown): internal to the runtime, made by {@linkcode createRuntime}.
 *
 * @module
 */

import type { Output } from "../output.ts";
import { createTracer, type Tracer } from "../trace.ts";
import { type PerIpCount, perIpCount, sharedPerIpCount } from "./access.ts";
import type { RuntimeConnection } from "./connection.ts";
import type { ConnectionHooks, ServerSpec } from "./spec.ts";
import { emptyStats, type ServerStats } from "./stats.ts";

/** Options of `listen`. */
export interface ListenOptions {
  out: Output;
  /** `--trace`: dump every read and write to stderr. */
  trace?: boolean;
  /** Prefix for connection ids in logs, e.g. `w2.` for worker 2. */
  idPrefix?: string;
}

/** A connection as the runtime tracks it: the handler's hooks ride along. */
export interface Tracked {
  c: RuntimeConnection;
  hooks: ConnectionHooks;
  /** The idle hook ran; it runs once. */
  idled: boolean;
}

/** One running server's shared state. */
export interface Runtime {
  readonly spec: ServerSpec;
  readonly out: Output;
  readonly stats: ServerStats;
  readonly open: Map<RuntimeConnection, Tracked>;
  readonly stopping: AbortController;
  readonly tracer?: Tracer;
  readonly idPrefix: string;
  nextId: number;
  /** Admitted TLS connections still in their handshake (not yet in `open`). */
  handshaking: number;
  /** Connection tasks still running: shutdown waits for them. */
  readonly tasks: Set<Promise<void>>;
  /** Connections open per address, for `--max-conns-per-ip`. */
  readonly perIp: PerIpCount;
}

/**
 * A fresh runtime for `spec`.
 *
 * @example
 * ```ts
 * const rt = createRuntime(spec, { out });
 * rt.stats.connections; // 0
 * ```
 */
export function createRuntime(spec: ServerSpec, options: ListenOptions): Runtime {
  return {
    spec,
    out: options.out,
    stats: emptyStats(),
    open: new Map(),
    stopping: new AbortController(),
    tracer: options.trace ? createTracer(options.out.note) : undefined,
    idPrefix: options.idPrefix ?? "",
    nextId: 1,
    handshaking: 0,
    tasks: new Set(),
    perIp: spec.perIpAcrossThreads
      ? sharedPerIpCount(spec.access?.maxPerIp ?? 0, spec.perIpAcrossThreads)
      : perIpCount(spec.access?.maxPerIp ?? 0),
  };
}

/**
 * Runs `task`, the life of the connection from `peer`, as one of the runtime's
 * connection tasks, which shutdown waits for.
 *
 * @example
 * ```ts
 * track(rt, serveConnection(rt, conn, peer, open), peer);
 * ```
 */
export function track(rt: Runtime, task: Promise<void>, peer: string): void {
  rt.tasks.add(task);
  const forget = () => rt.tasks.delete(task);
  // A handler's own errors are caught where it runs; this only keeps a failure in
  // logging from becoming an unhandled rejection that ends the server. One `then`, not
  // `.catch().finally()`: that chain made four more promises per connection.
  task.then(forget, (err) => {
    forget();
    rt.out.note(`sockit: connection from ${peer}: ${String(err)}`);
  });
}

/**
 * Starts the idle sweep when `spec.idleTimeout` is set: one coarse timer for every
 * connection instead of a timer per read, so a read pays only a field write. Returns
 * the function that stops it.
 *
 * @example
 * ```ts
 * const stopSweep = startIdleSweep(rt);
 * stopSweep();
 * ```
 */
export function startIdleSweep(rt: Runtime): () => void {
  const idleTimeout = rt.spec.idleTimeout ?? 0;
  if (idleTimeout <= 0) return () => {};
  const tickMs = Math.max(50, Math.min(1000, idleTimeout / 4));
  const limit = Math.ceil(idleTimeout / tickMs);
  const timer = setInterval(() => {
    for (const t of rt.open.values()) {
      if (t.idled) continue;
      // This is tick number idleTicks+1 since the last read, so more than idleTicks
      // whole ticks have passed: firing once that reaches the limit means idle for at
      // least idleTimeout (firing a tick sooner fired up to a tick early).
      if (t.c.idleTicks >= limit) {
        t.idled = true;
        t.c.closeReason = "timeout";
        if (t.hooks.onIdle) t.hooks.onIdle();
        else t.c.close();
      } else {
        t.c.idleTicks++;
      }
    }
  }, tickMs);
  return () => clearInterval(timer);
}
