/**
 * Binding a server's listeners, starting its loops, and its graceful shutdown.
 *
 * @module
 */

import { formatAddress } from "../address.ts";
import { netError, SockitError } from "../errors.ts";
import { acceptLoop } from "./accept.ts";
import type { Connection } from "./connection.ts";
import { createRuntime, type ListenOptions, type Runtime, startIdleSweep } from "./runtime.ts";
import { DEFAULT_GRACE_MS, type ServerSpec } from "./spec.ts";
import type { ServerStats } from "./stats.ts";
import { listenTls } from "./tls.ts";
import { datagramLoop } from "./udp.ts";

/** A running server, made by {@linkcode listen}. */
export interface Server {
  /** The bound addresses, one per transport, in the order they were opened. */
  readonly addrs: readonly Deno.NetAddr[];
  /** The TCP listener speaks TLS. */
  readonly tls: boolean;
  /** The connections open now. */
  readonly connections: ReadonlyMap<Connection, unknown>;
  readonly stats: ServerStats;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<ServerStats>;
  /** Stops accepting, lets handlers finish within the grace time, closes the rest. */
  shutdown(): Promise<ServerStats>;
}

/**
 * Binds the server's listeners and starts serving. Use `serve` for a whole command
 * (listening lines, signals, summary); use this directly where something else drives
 * the shutdown (a worker).
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
  const rt = createRuntime(spec, options);
  const { tcpListener, udpSocket } = bind(spec);
  const addrs: Deno.NetAddr[] = [];
  const loops: Promise<void>[] = [];
  if (tcpListener) {
    addrs.push(tcpListener.addr as Deno.NetAddr);
    loops.push(acceptLoop(rt, tcpListener));
  }
  if (udpSocket) {
    addrs.push(udpSocket.addr as Deno.NetAddr);
    loops.push(datagramLoop(rt, udpSocket));
  }
  const stopSweep = startIdleSweep(rt);
  const { promise: finished, resolve: finish } = Promise.withResolvers<ServerStats>();
  let shuttingDown: Promise<ServerStats> | undefined;
  const shutdown = () =>
    shuttingDown ??= (async () => {
      stopSweep();
      tcpListener?.close();
      udpSocket?.close();
      await stopConnections(rt, loops);
      finish(rt.stats);
      return rt.stats;
    })();
  const tls = spec.tls !== undefined;
  return { addrs, tls, connections: rt.open, stats: rt.stats, finished, shutdown };
}

/**
 * The one way connections stop on shutdown: each is marked `shutdown` and its
 * `onShutdown` hook runs (or it is closed); handlers get the grace time to finish;
 * whatever is left is closed.
 */
async function stopConnections(rt: Runtime, loops: Promise<void>[]): Promise<void> {
  rt.stopping.abort();
  await Promise.allSettled(loops);
  for (const { c, hooks } of rt.open.values()) {
    c.closeReason ??= "shutdown";
    if (hooks.onShutdown) hooks.onShutdown();
    else c.close();
  }
  const grace = rt.spec.grace ?? DEFAULT_GRACE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled([...rt.tasks]),
    new Promise((r) => timer = setTimeout(r, grace)),
  ]);
  clearTimeout(timer);
  for (const { c } of rt.open.values()) c.close();
  await Promise.allSettled([...rt.tasks]);
}

function bind(spec: ServerSpec): {
  tcpListener?: Deno.Listener;
  udpSocket?: Deno.DatagramConn;
} {
  const wantTcp = spec.transport !== "udp";
  const wantUdp = spec.transport !== "tcp";
  // With --port 0 and both transports, the UDP socket must get the port the kernel chose
  // for TCP; that port can be taken for UDP, so try a few times.
  for (let attempt = 0;; attempt++) {
    const tcpListener = wantTcp ? listenTcp(spec) : undefined;
    const port = tcpListener ? (tcpListener.addr as Deno.NetAddr).port : spec.port;
    try {
      const udpSocket = wantUdp ? listenUdp(spec.host, port) : undefined;
      return { tcpListener, udpSocket };
    } catch (err) {
      tcpListener?.close();
      if (spec.port !== 0 || attempt >= 5 || !(err instanceof SockitError)) throw err;
    }
  }
}

function listenTcp(spec: ServerSpec): Deno.Listener {
  const address = formatAddress({ host: spec.host, port: spec.port });
  const at = {
    hostname: spec.host,
    port: spec.port,
    ...(spec.reusePort ? { reusePort: true } : {}),
  };
  try {
    return spec.tls ? listenTls(at, spec.tls) : Deno.listen({ transport: "tcp", ...at });
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
