/**
 * The client side of the network: dialing TCP and exchanging UDP datagrams, with name
 * resolution through the injected resolver, timeouts that really cancel, and errors
 * that say the operation, the address and the cause.
 *
 * @module
 */

import { type Address, formatAddress, isIPLiteral, isIPv6 } from "./address.ts";
import { formatDuration } from "./duration.ts";
import { InterruptedError, netError, TimeoutError } from "./errors.ts";
import type { Io } from "./io.ts";
import { after, before } from "./timer.ts";
import type { TlsClientOptions } from "./tls_flags.ts";

/** What {@linkcode dial} returns: a TCP connection, or the plaintext side of TLS. */
export interface DialedConn extends Pick<Deno.Conn, "read" | "write" | "close" | "closeWrite"> {
  readonly remoteAddr: Deno.NetAddr;
}

/** Options of {@linkcode dial}. */
export interface DialOptions {
  io: Pick<Io, "resolve">;
  /** Milliseconds for resolving and connecting together. */
  timeout: number;
  /** Cancels the dial (e.g. on SIGINT). */
  signal?: AbortSignal;
  /** Speak TLS, verified as these options say (`--tls`); plain TCP when absent. */
  tls?: TlsClientOptions;
}

/**
 * Connects over TCP to `address`, trying each resolved IP in turn until one accepts.
 * The timeout reaches `Deno.connect` as an AbortSignal, so a timed-out connect is
 * really cancelled rather than left pending behind a `Promise.race`.
 *
 * @throws {ResolveError} (exit 3) when the host does not resolve.
 * @throws {ConnectError} (exit 4) when every address refused or was unreachable.
 * @throws {TimeoutError} (exit 5) when nothing answered within `timeout`, resolving
 * included.
 * @throws {InterruptedError} (exit 130) when `signal` aborted it.
 * @throws {TlsError} (exit 8) with `tls`, when the certificate cannot be verified;
 * {@linkcode ProtocolError} (exit 6) when the server does not speak TLS.
 *
 * @example
 * ```ts
 * const conn = await dial({ host: "127.0.0.1", port: 7 }, { io: systemIo(), timeout: 5000 });
 * ```
 */
export async function dial(address: Address, options: DialOptions): Promise<DialedConn> {
  const began = Date.now();
  const tcp = await dialTcp(address, options);
  if (!options.tls) return tcp;
  // Imported here: a plain TCP client need not load the TLS code (issue 10).
  const { startClientTls } = await import("./tls.ts");
  return await startClientTls(tcp, options.tls, {
    host: address.host,
    where: formatAddress({ host: tcp.remoteAddr.hostname, port: address.port }),
    timeout: Math.max(1, options.timeout - (Date.now() - began)),
    signal: options.signal,
  });
}

async function dialTcp(address: Address, options: DialOptions): Promise<Deno.TcpConn> {
  // One controller that the deadline (lib/timer.ts) or the caller's signal aborts:
  // with AbortSignal.timeout and AbortSignal.any a one-probe check's first connect took
  // ~0.3 ms more (issue 10).
  const connecting = new AbortController();
  const signal = connecting.signal;
  const timedOut = () => connecting.abort(new DOMException("Signal timed out.", "TimeoutError"));
  const cancelDeadline = after(options.timeout, timedOut);
  const interrupt = () => connecting.abort(options.signal!.reason);
  options.signal?.addEventListener("abort", interrupt, { once: true });
  const waited = formatDuration(options.timeout);
  try {
    const ips = await resolveHost(address.host, options);
    let lastError: unknown;
    for (const ip of ips) {
      const at = formatAddress({ host: ip, port: address.port });
      try {
        return await Deno.connect({ transport: "tcp", hostname: ip, port: address.port, signal });
      } catch (err) {
        // The user's signal, not the deadline: interrupted (exit 130), not a timeout.
        if (options.signal?.aborted) throw new InterruptedError();
        lastError = netError(err, {
          op: "dial",
          transport: "tcp",
          address: at,
          waited,
        });
        if (signal.aborted) break;
      }
    }
    throw lastError;
  } finally {
    cancelDeadline();
    options.signal?.removeEventListener("abort", interrupt);
  }
}

/**
 * `host`'s addresses from the resolver, within `timeout` and until `signal` aborts. An
 * IP address is its own answer: the resolver is not asked (a one-probe check saves its
 * import and a timer, issue 10).
 */
function resolveHost(
  host: string,
  options: { io: Pick<Io, "resolve">; timeout?: number; signal?: AbortSignal },
): Promise<string[]> {
  if (isIPLiteral(host) && !options.signal?.aborted) return Promise.resolve([host]);
  // A resolver cannot be cancelled, only abandoned: without this a name server that
  // never answers would hold the client past --timeout, and past Ctrl-C.
  return abandonOn(
    options.io.resolve(host),
    options.timeout,
    options.signal,
    () => resolveTimedOut(host, options.timeout!),
  );
}

/**
 * `work`'s result, unless `ms` pass first (`timedOut()` is thrown; no deadline when
 * `ms` is undefined) or `signal` aborts ({@linkcode InterruptedError}). The timer keeps
 * the process alive while it waits.
 */
function abandonOn<T>(
  work: Promise<T>,
  ms: number | undefined,
  signal: AbortSignal | undefined,
  timedOut: () => Error,
): Promise<T> {
  if (signal?.aborted) {
    work.catch(() => {}); // abandoned: its failure is nobody's
    return Promise.reject(new InterruptedError());
  }
  return new Promise<T>((resolve, reject) => {
    const cancel = ms === undefined ? undefined : after(ms, () => settle(() => reject(timedOut())));
    const onAbort = () => settle(() => reject(new InterruptedError()));
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then((value) => settle(() => resolve(value)), (err) => settle(() => reject(err)));
    function settle(then: () => void) {
      cancel?.();
      signal?.removeEventListener("abort", onAbort);
      then();
    }
  });
}

function resolveTimedOut(host: string, ms: number): TimeoutError {
  return new TimeoutError(`resolve ${host}: timed out after ${formatDuration(ms)}`, {
    hint: "raise --timeout if the peer is slow",
  });
}

/** A UDP socket bound to an ephemeral port, for talking to one server. */
export interface UdpClient {
  /** The server's resolved address. */
  readonly server: Deno.NetAddr;
  send(bytes: Uint8Array): Promise<void>;
  /**
   * Waits up to `ms` for a datagram from the server (datagrams from anyone else are
   * ignored).
   * @throws {TimeoutError} when none came.
   */
  receive(ms: number): Promise<Uint8Array>;
  close(): void;
}

/** Options of {@linkcode openUdp}. */
export interface OpenUdpOptions {
  io: Pick<Io, "resolve">;
  /** Milliseconds the name lookup may take; unbounded when absent. */
  timeout?: number;
  /** Cancels the lookup (e.g. on SIGINT). */
  signal?: AbortSignal;
}

/**
 * Opens a UDP socket for exchanging datagrams with `address` (its first resolved IP).
 * Resolving is the only step that can wait, so `timeout` and `signal` bound that, as
 * {@linkcode dial} does.
 *
 * @throws {ResolveError} (exit 3) when the host does not resolve.
 * @throws {TimeoutError} (exit 5) when resolving took longer than `timeout`.
 * @throws {InterruptedError} (exit 130) when `signal` aborted it.
 *
 * @example
 * ```ts
 * const udp = await openUdp({ host: "127.0.0.1", port: 7 }, { io: systemIo(), timeout: 5000 });
 * await udp.send(new TextEncoder().encode("ping"));
 * const reply = await udp.receive(1000);
 * udp.close();
 * ```
 */
export async function openUdp(address: Address, options: OpenUdpOptions): Promise<UdpClient> {
  const [ip] = await resolveHost(address.host, options);
  const server: Deno.NetAddr = { transport: "udp", hostname: ip, port: address.port };
  const where = formatAddress({ host: ip, port: address.port });
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: isIPv6(ip) ? "::" : "0.0.0.0",
    port: 0,
  });
  // One receive stays pending across timeouts, so a late answer is not lost and no
  // second receive is ever issued on the socket.
  let pending: Promise<[Uint8Array, Deno.Addr]> | undefined;
  let closed = false;
  return {
    server,
    async send(bytes) {
      try {
        await socket.send(bytes, server);
      } catch (err) {
        throw netError(err, { op: "write", transport: "udp", address: where });
      }
    },
    async receive(ms) {
      const until = Date.now() + ms;
      for (;;) {
        const left = until - Date.now();
        if (left <= 0) {
          throw new TimeoutError(`read udp ${where}: no answer within ${formatDuration(ms)}`, {
            hint: "raise --timeout or --retries if the server is slow",
          });
        }
        pending ??= socket.receive();
        // lib/timer.ts, not lib/pause.ts's within(): Node's setTimeout would load the Node
        // layer inside the first probe's round trip, ~10 ms (issue 10).
        const result = await before(pending.then((r) => r, (err) => err as Error), left);
        if (result === undefined) continue; // timed out; loop throws
        pending = undefined;
        if (result instanceof Error) {
          // Not ICMP port-unreachable: the kernel reports that only to a connected UDP
          // socket, which Deno 2.9.6 cannot make (README, "UDP to a closed port").
          throw netError(result, { op: "read", transport: "udp", address: where });
        }
        const [data, from] = result;
        const peer = from as Deno.NetAddr;
        if (peer.port === server.port && sameHost(peer.hostname, ip)) return data;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
      pending?.catch(() => {}); // the pending receive fails with BadResource: expected
    },
  };
}

function sameHost(a: string, b: string): boolean {
  const strip = (h: string) => h.toLowerCase().replace(/^::ffff:/, "");
  return strip(a) === strip(b);
}
