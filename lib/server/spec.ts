/**
 * What a server command gives the runtime: where to listen, its handlers, its limits.
 *
 * @module
 */

import type { Fields } from "../output.ts";
import type { Connection } from "./connection.ts";
import type { AccessRules } from "./access.ts";
import type { ServerTls } from "./tls.ts";

/** Which listeners a server opens. */
export type Transport = "tcp" | "udp" | "both";

/**
 * What the runtime calls for one connection besides waiting for its handler. Each is
 * optional: by default the runtime closes the connection.
 */
export interface ConnectionHooks {
  /** The connection was idle past `idleTimeout` (its `closeReason` is `timeout`). */
  onIdle?: () => void;
  /**
   * The server is shutting down (its `closeReason` is `shutdown`): say goodbye and
   * finish within the grace time, after which the runtime closes it.
   */
  onShutdown?: () => void;
}

/** A handler's answer for one connection: when it is done, and its hooks. */
export interface Handling extends ConnectionHooks {
  /** Settles when the handler is done; the runtime then closes the connection. */
  done: Promise<void>;
}

/**
 * Serves one TCP connection: a promise (closed by default on idle and shutdown), or a
 * {@linkcode Handling} with the connection's own hooks.
 */
export type TcpHandler = (c: Connection) => Promise<void> | Handling;

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
   * connections over the threads would make too strict on one and too loose overall;
   * and the summary's "at most at once" is the peak of that total.
   */
  openAcrossThreads?: Int32Array;
  /** Milliseconds without traffic from the peer before `onIdle`; 0 or absent: never. */
  idleTimeout?: number;
  /** Don't log connections (`--quiet`). */
  quiet?: boolean;
  /** Open the TCP listener with SO_REUSEPORT so several workers can share the port. */
  reusePort?: boolean;
  /** Speak TLS on the TCP listener with this certificate and key (`--tls-cert`). */
  tls?: ServerTls;
  /** `--allow`, `--deny`, `--max-conns-per-ip`; everyone, without limit, when absent. */
  access?: AccessRules;
  /**
   * The per-address counts all `--workers` threads share (`SHARED_PER_IP_BUCKETS`
   * slots), so `--max-conns-per-ip` caps an address over every thread.
   */
  perIpAcrossThreads?: Int32Array;
  tcp?: TcpHandler;
  /** Answers one UDP datagram that passed the source guard. */
  udp?: DatagramHandler;
  /**
   * Called for a connection over `maxConns` (e.g. to say why); the runtime then closes
   * it with a lingering close. Without it, such a connection is closed at once.
   */
  onRejected?: (c: Connection) => Promise<void>;
  /** Extra numbers for the summary line. */
  stats?: () => Fields;
  /** Milliseconds handlers get to finish after shutdown starts; then sockets are closed. */
  grace?: number;
}

/** How long handlers get to finish after a shutdown starts. */
export const DEFAULT_GRACE_MS = 1000;
