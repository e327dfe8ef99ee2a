/**
 * The one server runtime every server command uses: TCP and UDP listeners, the accept
 * loop, the connection registry, `--max-conns`, the idle timeout, the `listening on ...`
 * lines and `--json` events, connection logging, `--trace`, and graceful shutdown on
 * SIGINT/SIGTERM with a one-line summary (SPEC, "Conventions").
 *
 * A command supplies only what is its own: a TCP handler, a UDP handler, and optionally
 * what to do on shutdown (chat tells its clients first). The path of a connection is
 * visible here in one place: accept → register → handler → finally unregister + close.
 *
 * @module
 */

import { formatAddress, formatNetAddr } from "./address.ts";
import { formatDuration, formatElapsed } from "./duration.ts";
import { netError, SockitError } from "./errors.ts";
import { defineFlags, formatBytes } from "./flags.ts";
import type { Io } from "./io.ts";
import type { Fields, Output } from "./output.ts";
import { createTracer, type Direction, type Tracer } from "./trace.ts";

/**
 * The flags every server command takes besides its transport (SPEC, "Conventions").
 *
 * @example
 * ```ts
 * const flags = defineFlags({ ...serverFlags(7), ...commonFlags });
 * ```
 */
export function serverFlags(defaultPort: number) {
  return defineFlags({
    host: {
      type: "string",
      default: "127.0.0.1",
      valueName: "HOST",
      help: "address to listen on; 0.0.0.0 or :: to expose to the network",
    },
    port: {
      type: "integer",
      default: defaultPort,
      min: 0,
      max: 65535,
      valueName: "PORT",
      help: "port to listen on; 0 picks a free one",
    },
    maxConns: {
      type: "integer",
      default: 10_000,
      min: 1,
      help: "most TCP connections open at once; further ones are closed at once",
    },
    idleTimeout: {
      type: "duration",
      default: 0,
      help: "close a connection after this long without traffic (0: never)",
    },
    quiet: { type: "boolean", help: "do not log connections and disconnections" },
  });
}

/** Which listeners a server opens. */
export type Transport = "tcp" | "udp" | "both";

/** One accepted TCP connection, as a handler sees it. */
export interface Connection {
  /** Sequence number of this connection in this server (shown in logs). */
  readonly id: number;
  readonly conn: Deno.TcpConn;
  /** The peer's address as text, `127.0.0.1:50123` or `[::1]:50123`. */
  readonly peer: string;
  /** Aborted when the server shuts down: finish quickly and return. */
  readonly signal: AbortSignal;
  /** Logs a read or write when `--trace` is on; undefined otherwise. */
  readonly trace?: (direction: Direction, bytes: Uint8Array) => void;
  /** Bytes read and written; the handler adds to them, the log and summary report them. */
  bytesIn: number;
  bytesOut: number;
  /** Why the connection ended, when the runtime ended it (`timeout`, `shutdown`). */
  closeReason?: string;
  /** Marks traffic, for the idle timeout. Cheap: call it on every read. */
  touch(): void;
  /** Closes the socket; safe to call more than once. */
  close(): void;
}

/** Answers one datagram: `reply(bytes)` sends back to the sender. */
export type DatagramHandler = (
  data: Uint8Array,
  peer: Deno.NetAddr,
  reply: (bytes: Uint8Array) => Promise<void>,
) => void | Promise<void>;

/** What a server command gives the runtime. */
export interface ServerSpec {
  /** The command's name, for the summary line. */
  name: string;
  host: string;
  port: number;
  transport: Transport;
  maxConns?: number;
  /**
   * The count of connections open on all the threads that serve one port (`--workers`),
   * in slot 0 of an Int32Array over a SharedArrayBuffer. When given, `maxConns` caps
   * that total rather than this thread's own count, which the kernel's uneven spread of
   * connections over the threads would make too strict on one and too loose overall.
   */
  openAcrossThreads?: Int32Array;
  /** Milliseconds without traffic before `onIdle` runs; 0 or absent for never. */
  idleTimeout?: number;
  /** Don't log connections (`--quiet`). */
  quiet?: boolean;
  /** Open the TCP listener with SO_REUSEPORT so several workers can share the port. */
  reusePort?: boolean;
  /** Serves one TCP connection; the runtime closes it when this returns or throws. */
  tcp?: (conn: Connection) => Promise<void>;
  /** Answers one UDP datagram that passed the source guard. */
  udp?: DatagramHandler;
  /** Called for a connection idle past `idleTimeout`; by default it is closed. */
  onIdle?: (conn: Connection) => void;
  /** Called for a connection over `maxConns`, before it is closed (e.g. to say why). */
  onRejected?: (conn: Deno.TcpConn) => Promise<void>;
  /** Called once when shutdown starts, before connections are told to stop. */
  onShutdown?: (open: ReadonlySet<Connection>) => Promise<void>;
  /** Extra numbers for the summary line. */
  stats?: () => Fields;
  /** Milliseconds handlers get to finish after shutdown starts; then sockets are closed. */
  grace?: number;
}

/** What a server did, for the summary line (and merged across workers). */
export interface ServerStats {
  connections: number;
  rejected: number;
  maxOpen: number;
  bytesIn: number;
  bytesOut: number;
  datagrams: number;
  /** Datagrams dropped by the source guard, by reason. */
  dropped: Record<string, number>;
  acceptErrors: number;
  handlerErrors: number;
}

/** A running server, made by {@linkcode listen}. */
export interface Server {
  /** The bound addresses, one per transport, in the order they were opened. */
  readonly addrs: readonly Deno.NetAddr[];
  readonly connections: ReadonlySet<Connection>;
  readonly stats: ServerStats;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<ServerStats>;
  /** Stops accepting, lets handlers finish within the grace time, closes the rest. */
  shutdown(): Promise<ServerStats>;
}

/** How long handlers get to finish after a shutdown starts. */
export const DEFAULT_GRACE_MS = 1000;

/**
 * Errors that mean the peer or the socket went away: a normal end, not a failure.
 *
 * @example
 * ```ts
 * isDisconnect(new Deno.errors.ConnectionReset("reset")); // true: the peer left
 * isDisconnect(new TypeError("bug")); // false
 * ```
 */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.UnexpectedEof;
}

/**
 * Why the UDP source guard drops a datagram from `addr`, or `undefined` to answer it.
 * Replying to a port below 1024 or to a broadcast/multicast sender is how two UDP
 * services (echo and chargen, classically) are made to answer each other forever.
 *
 * @example
 * ```ts
 * udpDropReason({ transport: "udp", hostname: "127.0.0.1", port: 19 }); // "low-port"
 * udpDropReason({ transport: "udp", hostname: "127.0.0.1", port: 40000 }); // undefined
 * ```
 */
export function udpDropReason(addr: Deno.NetAddr): "low-port" | "broadcast" | undefined {
  if (addr.port < 1024) return "low-port";
  const host = addr.hostname.toLowerCase().replace(/^::ffff:/, "");
  if (host === "255.255.255.255" || host === "0.0.0.0" || host === "::") return "broadcast";
  const first = Number(host.split(".")[0]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && first >= 224 && first <= 239) return "broadcast";
  if (host.startsWith("ff")) return "broadcast";
  return undefined;
}

/**
 * All-zero stats, to add others to with {@linkcode mergeStats}.
 *
 * @example
 * ```ts
 * const total = emptyStats();
 * for (const stats of fromWorkers) mergeStats(total, stats);
 * ```
 */
export function emptyStats(): ServerStats {
  return {
    connections: 0,
    rejected: 0,
    maxOpen: 0,
    bytesIn: 0,
    bytesOut: 0,
    datagrams: 0,
    dropped: {},
    acceptErrors: 0,
    handlerErrors: 0,
  };
}

/**
 * Adds the numbers of `more` to `into` (workers' stats into the main thread's).
 *
 * @example
 * ```ts
 * mergeStats(server.stats, workerStats).connections; // both threads' connections
 * ```
 */
export function mergeStats(into: ServerStats, more: ServerStats): ServerStats {
  into.connections += more.connections;
  into.rejected += more.rejected;
  into.maxOpen += more.maxOpen;
  into.bytesIn += more.bytesIn;
  into.bytesOut += more.bytesOut;
  into.datagrams += more.datagrams;
  into.acceptErrors += more.acceptErrors;
  into.handlerErrors += more.handlerErrors;
  for (const [reason, n] of Object.entries(more.dropped)) {
    into.dropped[reason] = (into.dropped[reason] ?? 0) + n;
  }
  return into;
}

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  out: Output;
  /** `--trace`: dump every read and write to stderr. */
  trace?: boolean;
  /** Prefix for connection ids in logs, e.g. `w2.` for worker 2. */
  idPrefix?: string;
}

/**
 * Binds the server's listeners and starts serving. Use {@linkcode serve} for a whole
 * command (listening lines, signals, summary); use this directly where something else
 * drives the shutdown (a worker).
 *
 * @throws {SockitError} exit 7 when an address cannot be bound, naming it.
 *
 * @example
 * ```ts
 * const server = listen({ name: "echo", host: "127.0.0.1", port: 0, transport: "tcp", tcp: echoConnection }, { out });
 * console.log(server.addrs[0].port);
 * await server.shutdown();
 * ```
 */
export function listen(spec: ServerSpec, options: ListenOptions): Server {
  const { out } = options;
  const stats = emptyStats();
  const connections = new Set<Connection>();
  const addrs: Deno.NetAddr[] = [];
  const stopping = new AbortController();
  const tracer: Tracer | undefined = options.trace ? createTracer(out.note) : undefined;
  const { tcpListener, udpSocket } = bind(spec);
  if (tcpListener) addrs.push(tcpListener.addr);
  if (udpSocket) addrs.push(udpSocket.addr as Deno.NetAddr);

  // Idle timeout: one coarse sweep for all connections instead of a timer per read;
  // touch() is then a map write, free enough for the hot path.
  const idleTimeout = spec.idleTimeout ?? 0;
  const tickMs = idleTimeout > 0 ? Math.max(50, Math.min(1000, idleTimeout / 4)) : 0;
  const idleTicksPerTimeout = idleTimeout > 0 ? Math.ceil(idleTimeout / tickMs) : 0;
  let nextId = 1;
  const handlers = new Set<Promise<void>>();
  const maxConns = spec.maxConns ?? Infinity;
  const shared = spec.openAcrossThreads;
  const openNow = () => (shared ? Atomics.load(shared, 0) : connections.size);
  // Counts a new connection in, or says no when --max-conns are open (on every thread).
  const admit = (): boolean => {
    if (!shared) return connections.size < maxConns;
    if (Atomics.add(shared, 0, 1) < maxConns) return true;
    Atomics.sub(shared, 0, 1);
    return false;
  };
  const idleTicks = new Map<Connection, number>();

  const serveConnection = async (conn: Deno.TcpConn) => {
    const id = nextId++;
    const peer = formatNetAddr(conn.remoteAddr);
    const label = `${options.idPrefix ?? ""}${id}`;
    let closed = false;
    const started = performance.now();
    const c: Connection = {
      id,
      conn,
      peer,
      signal: stopping.signal,
      trace: tracer && ((direction, bytes) => tracer(direction, peer, bytes)),
      bytesIn: 0,
      bytesOut: 0,
      touch: idleTicksPerTimeout > 0 ? () => idleTicks.set(c, 0) : () => {},
      close() {
        if (closed) return;
        closed = true;
        try {
          conn.close();
        } catch { /* already closed by the peer's reset */ }
      },
    };
    connections.add(c);
    stats.connections++;
    stats.maxOpen = Math.max(stats.maxOpen, connections.size);
    if (idleTicksPerTimeout > 0) c.touch();
    if (!spec.quiet) {
      out.log(
        "connect",
        { transport: "tcp", id: label, peer, open: openNow() },
        `connect #${label} from ${peer} (${openNow()} open)`,
      );
    }
    let failure: string | undefined;
    try {
      await spec.tcp!(c);
    } catch (err) {
      if (!isDisconnect(err)) {
        stats.handlerErrors++;
        failure = err instanceof Error ? err.message : String(err);
      }
    } finally {
      c.close();
      connections.delete(c);
      if (shared) Atomics.sub(shared, 0, 1);
      idleTicks.delete(c);
      stats.bytesIn += c.bytesIn;
      stats.bytesOut += c.bytesOut;
    }
    if (!spec.quiet) {
      const ms = Math.round(performance.now() - started);
      const reason = failure ? `error: ${failure}` : c.closeReason ?? "closed";
      out.log(
        "disconnect",
        {
          transport: "tcp",
          id: label,
          peer,
          reason,
          bytesIn: c.bytesIn,
          bytesOut: c.bytesOut,
          durationMs: ms,
        },
        `disconnect #${label} ${peer} after ${
          formatElapsed(ms)
        }, ${c.bytesIn} bytes in, ${c.bytesOut} out (${reason})`,
      );
    }
  };

  const track = (p: Promise<void>) => {
    handlers.add(p);
    // A handler's own errors are caught in serveConnection; this only keeps a failure
    // in logging from becoming an unhandled rejection that ends the server.
    p.catch((err) => out.note(`sockit: connection task failed: ${String(err)}`))
      .finally(() => handlers.delete(p));
  };

  const acceptLoop = async (listener: Deno.TcpListener) => {
    while (!stopping.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (stopping.signal.aborted || err instanceof Deno.errors.BadResource) return;
        // A connection reset before it was accepted (NotConnected, ConnectionAborted) or
        // running out of file descriptors must not end the loop: this is why there is
        // no bare `for await (const c of listener)` here.
        stats.acceptErrors++;
        if (!isDisconnect(err)) {
          out.note(`sockit: accept on ${formatNetAddr(listener.addr)}: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 50)); // fd exhaustion: give closes a moment
        }
        continue;
      }
      if (!admit()) {
        stats.rejected++;
        if (!spec.quiet) {
          const peer = formatNetAddr(conn.remoteAddr);
          const open = openNow();
          out.log(
            "reject",
            { transport: "tcp", peer, open },
            `reject ${peer}: ${open} connections open (--max-conns)`,
          );
        }
        track(rejectConnection(conn, spec));
        continue;
      }
      track(serveConnection(conn));
    }
  };

  const datagramLoop = async (socket: Deno.DatagramConn) => {
    const reply = (to: Deno.NetAddr) => async (bytes: Uint8Array) => {
      tracer?.("send", formatNetAddr(to), bytes);
      await socket.send(bytes, to);
      stats.bytesOut += bytes.length;
    };
    while (!stopping.signal.aborted) {
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = await socket.receive();
      } catch (err) {
        if (stopping.signal.aborted || err instanceof Deno.errors.BadResource) return;
        stats.acceptErrors++; // e.g. ICMP port unreachable surfacing as a reset
        continue;
      }
      const peer = from as Deno.NetAddr;
      stats.datagrams++;
      stats.bytesIn += data.length;
      tracer?.("recv", formatNetAddr(peer), data);
      const reason = udpDropReason(peer);
      if (reason) {
        const count = stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
        // A flood of spoofed datagrams must not become a flood of log lines: the first
        // few are logged, then one per thousand; the summary counts them all.
        if (!spec.quiet && (count <= DROP_LOG_FIRST || count % 1000 === 0)) {
          out.log(
            "drop",
            { transport: "udp", peer: formatNetAddr(peer), reason, bytes: data.length, count },
            `drop datagram from ${formatNetAddr(peer)}: ${dropText[reason]}` +
              (count === DROP_LOG_FIRST ? " (further drops: one line per 1000)" : "") +
              (count > DROP_LOG_FIRST ? ` (${count} so far)` : ""),
          );
        }
        continue;
      }
      try {
        await spec.udp!(data, peer, reply(peer));
      } catch (err) {
        stats.handlerErrors++;
        out.note(`sockit: udp ${formatNetAddr(peer)}: ${String(err)}`);
      }
    }
  };

  const sweeper = tickMs > 0
    ? setInterval(() => {
      for (const [c, ticks] of idleTicks) {
        // This is tick number ticks+1 since the last touch, so more than `ticks` whole
        // ticks have passed: closing once that reaches N means idle for at least
        // idleTimeout (closing a tick sooner closed up to a tick early).
        if (ticks >= idleTicksPerTimeout) {
          idleTicks.delete(c);
          c.closeReason = "timeout";
          (spec.onIdle ?? ((conn: Connection) => conn.close()))(c);
        } else {
          idleTicks.set(c, ticks + 1);
        }
      }
    }, tickMs)
    : undefined;

  const loops: Promise<void>[] = [];
  if (tcpListener) loops.push(acceptLoop(tcpListener));
  if (udpSocket) loops.push(datagramLoop(udpSocket));

  let finish: (s: ServerStats) => void;
  const finished = new Promise<ServerStats>((resolve) => finish = resolve);
  let shuttingDown: Promise<ServerStats> | undefined;

  const shutdown = () => {
    shuttingDown ??= (async () => {
      // Before the abort: handlers that close on it must log "shutdown", not "closed".
      for (const c of connections) c.closeReason ??= "shutdown";
      stopping.abort();
      if (sweeper !== undefined) clearInterval(sweeper);
      tcpListener?.close();
      udpSocket?.close();
      await Promise.allSettled(loops);
      for (const c of connections) c.closeReason ??= "shutdown";
      await spec.onShutdown?.(connections);
      const grace = spec.grace ?? DEFAULT_GRACE_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...handlers]),
        new Promise((r) => timer = setTimeout(r, grace)),
      ]);
      clearTimeout(timer);
      for (const c of connections) c.close();
      await Promise.allSettled([...handlers]);
      finish(stats);
      return stats;
    })();
    return shuttingDown;
  };

  return { addrs, connections, stats, finished, shutdown };
}

/** Drops logged one by one before logging switches to one line per thousand. */
const DROP_LOG_FIRST = 10;

const dropText = {
  "low-port": "source port below 1024 (guard against echo/chargen loops)",
  broadcast: "broadcast or multicast source",
};

async function rejectConnection(conn: Deno.TcpConn, spec: ServerSpec): Promise<void> {
  try {
    await spec.onRejected?.(conn);
  } catch { /* the peer is being turned away anyway */ }
  try {
    conn.close();
  } catch { /* already gone */ }
}

function bind(spec: ServerSpec): {
  tcpListener?: Deno.TcpListener;
  udpSocket?: Deno.DatagramConn;
} {
  const wantTcp = spec.transport !== "udp";
  const wantUdp = spec.transport !== "tcp";
  // With --port 0 and both transports, the UDP socket must get the port the kernel chose
  // for TCP; that port can be taken for UDP, so try a few times.
  for (let attempt = 0;; attempt++) {
    const tcpListener = wantTcp ? listenTcp(spec) : undefined;
    const port = tcpListener ? tcpListener.addr.port : spec.port;
    try {
      const udpSocket = wantUdp ? listenUdp(spec.host, port) : undefined;
      return { tcpListener, udpSocket };
    } catch (err) {
      tcpListener?.close();
      if (spec.port !== 0 || attempt >= 5 || !(err instanceof SockitError)) throw err;
    }
  }
}

function listenTcp(spec: ServerSpec): Deno.TcpListener {
  const address = formatAddress({ host: spec.host, port: spec.port });
  try {
    return Deno.listen({
      transport: "tcp",
      hostname: spec.host,
      port: spec.port,
      ...(spec.reusePort ? { reusePort: true } : {}),
    });
  } catch (err) {
    throw netError(err, { op: "listen", transport: "tcp", address, port: spec.port });
  }
}

function listenUdp(host: string, port: number): Deno.DatagramConn {
  try {
    return Deno.listenDatagram({ transport: "udp", hostname: host, port });
  } catch (err) {
    const address = formatAddress({ host, port });
    throw netError(err, { op: "listen", transport: "udp", address, port });
  }
}

/**
 * The SPEC's first line(s): where the server listens, one per transport.
 *
 * @example
 * ```ts
 * announceListening(out, server.addrs); // listening on tcp 127.0.0.1:40123
 * ```
 */
export function announceListening(out: Output, addrs: readonly Deno.NetAddr[]): void {
  for (const addr of addrs) {
    out.result(
      "listening",
      { transport: addr.transport, host: addr.hostname, port: addr.port },
      `listening on ${addr.transport} ${formatNetAddr(addr)}`,
    );
  }
}

/**
 * The summary printed when a server stops.
 *
 * @example
 * ```ts
 * summaryLine("echo", stats, 1500).text;
 * // "echo: stopped after 1.5s; 1 connection, 1 at most at once, 5 bytes in, 5 bytes out"
 * ```
 */
export function summaryLine(
  name: string,
  stats: ServerStats,
  uptimeMs: number,
  extra: Fields = {},
): { fields: Fields; text: string } {
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const parts = [count(stats.connections, "connection"), `${stats.maxOpen} at most at once`];
  if (stats.rejected) parts.push(`${stats.rejected} rejected over --max-conns`);
  // "5 bytes in", but "64KiB in" (not "64KiB bytes in").
  const bytes = (n: number) => /\d$/.test(formatBytes(n)) ? count(n, "byte") : formatBytes(n);
  parts.push(`${bytes(stats.bytesIn)} in`, `${bytes(stats.bytesOut)} out`);
  if (stats.datagrams) parts.push(count(stats.datagrams, "datagram"));
  if (dropped) parts.push(`${dropped} dropped by the source guard`);
  for (const [key, value] of Object.entries(extra)) parts.push(`${key} ${value}`);
  return {
    fields: { command: name, uptimeMs: Math.round(uptimeMs), ...stats, ...extra },
    text: `${name}: stopped after ${formatDuration(Math.round(uptimeMs))}; ${parts.join(", ")}`,
  };
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
 * summary and returns exit code 0. A second signal exits at once with 130.
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
  const began = performance.now();
  const server = listen(spec, options);
  // Subscribe before the listening line: a script may signal as soon as it reads it.
  let signals = 0;
  let unsubscribe = () => {};
  const stopped = new Promise<void>((resolve) => {
    unsubscribe = io.onSignal((signal) => {
      signals++;
      if (signals > 1) {
        out.note(`sockit: ${signal} again, exiting now`);
        Deno.exit(130);
      }
      out.log("shutdown", { signal }, `${signal}: shutting down (again to exit at once)`);
      resolve();
    });
  });
  const helpers = await options.started?.(server).catch((err) => {
    unsubscribe();
    throw err;
  });
  announceListening(out, server.addrs);
  await stopped;
  const [stats, more] = await Promise.all([server.shutdown(), helpers?.stop()]);
  if (more) mergeStats(stats, more);
  const summary = summaryLine(spec.name, stats, performance.now() - began, spec.stats?.());
  out.result("summary", summary.fields, summary.text);
  // Only now: a second signal up to here must still exit at once, not by the default
  // action (143 without a summary).
  unsubscribe();
  return 0;
}
