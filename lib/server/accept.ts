/**
 * The TCP side of the runtime: the accept loop, admission (`--max-conns`), and the life
 * of one connection: register → log → handler → close, unregister, log.
 *
 * @module
 */

import { formatNetAddr } from "../address.ts";
import { closeQuietly } from "../close.ts";
import { formatElapsed } from "../duration.ts";
import { isDisconnect } from "../errors.ts";
import type { Fields } from "../output.ts";
import { openConnection, type RuntimeConnection } from "./connection.ts";
import { type Runtime, track, type Tracked } from "./runtime.ts";
import { type AccessRules, refusal } from "./access.ts";
import { logDenied } from "./access_log.ts";
import { serverHandshake } from "./tls.ts";

/** The fields a human-mode log line passes: that mode prints only the text. */
const NO_FIELDS: Fields = Object.freeze({});

/**
 * Accepts until the runtime stops. A connection reset before it was accepted
 * (NotConnected, ConnectionAborted) or running out of file descriptors must not end the
 * loop: this is why there is no bare `for await (const c of listener)` here.
 *
 * @example
 * ```ts
 * loops.push(acceptLoop(rt, Deno.listen({ port: 0 })));
 * ```
 */
export async function acceptLoop(rt: Runtime, listener: Deno.Listener): Promise<void> {
  while (!rt.stopping.signal.aborted) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (rt.stopping.signal.aborted || err instanceof Deno.errors.BadResource) return;
      rt.stats.acceptErrors++;
      if (!isDisconnect(err)) {
        rt.out.note(`sockit: accept on ${formatNetAddr(listener.addr as Deno.NetAddr)}: ${err}`);
        await new Promise((r) => setTimeout(r, 50)); // fd exhaustion: give closes a moment
      }
      continue;
    }
    const remote = conn.remoteAddr as Deno.NetAddr;
    const peer = formatNetAddr(remote);
    // Without --allow/--deny/--max-conns-per-ip there is nothing to check or count.
    const access = rt.spec.access;
    if (access && turnedAway(rt, access, conn, remote.hostname, peer)) continue;
    const open = admit(rt);
    const task = open === undefined
      ? reject(rt, conn, peer)
      : serveConnection(rt, conn, peer, open);
    if (!access?.maxPerIp) track(rt, task, peer);
    else track(rt, task.finally(() => rt.perIp.remove(remote.hostname)), peer);
  }
}

/**
 * Closes at once, without a byte, a connection `--allow`/`--deny` refuse or one over
 * `--max-conns-per-ip` (logged, counted); true when it did. Otherwise the connection
 * is counted for its address.
 */
function turnedAway(
  rt: Runtime,
  access: AccessRules,
  conn: Deno.Conn,
  host: string,
  peer: string,
): boolean {
  const rule = refusal(access, host);
  if (rule) {
    closeQuietly(conn);
    logDenied(rt, kind(rt), peer, rule);
    return true;
  }
  if (rt.perIp.add(host)) return false;
  closeQuietly(conn);
  rt.stats.overPerIp++;
  if (!rt.spec.quiet) {
    const open = rt.perIp.open(host);
    rt.out.log(
      "reject",
      { transport: kind(rt), peer, open, limit: "max-conns-per-ip" },
      `reject ${peer}: ${open} connections open from ${host} (--max-conns-per-ip)`,
    );
  }
  return true;
}

/**
 * Counts a new connection in and returns how many are open with it, or `undefined`
 * when `--max-conns` are open already (on every thread, with `--workers`).
 */
function admit(rt: Runtime): number | undefined {
  const maxConns = rt.spec.maxConns ?? Infinity;
  const shared = rt.spec.openAcrossThreads;
  if (!shared) {
    const open = openNow(rt);
    return open < maxConns ? open + 1 : undefined;
  }
  const before = Atomics.add(shared, 0, 1);
  if (before < maxConns) return before + 1;
  Atomics.sub(shared, 0, 1);
  return undefined;
}

/** The transport logs name: `tls` when the listener speaks it. */
function kind(rt: Runtime): "tcp" | "tls" {
  return rt.spec.tls ? "tls" : "tcp";
}

/** Gives back what {@linkcode admit} counted, for a connection that is gone. */
function release(rt: Runtime): void {
  if (rt.spec.openAcrossThreads) Atomics.sub(rt.spec.openAcrossThreads, 0, 1);
}

/**
 * Connections open now, on every thread: a TLS client still in its handshake holds its
 * place, or silent clients could pile up past `--max-conns` for the handshake's 10 s.
 */
function openNow(rt: Runtime): number {
  const shared = rt.spec.openAcrossThreads;
  return shared ? Atomics.load(shared, 0) : rt.open.size + rt.handshaking;
}

/** Turns away a connection over `--max-conns`: logged, told why if the command says so. */
async function reject(rt: Runtime, conn: Deno.Conn, peer: string): Promise<void> {
  rt.stats.rejected++;
  if (!rt.spec.quiet) {
    const open = openNow(rt);
    rt.out.log(
      "reject",
      { transport: kind(rt), peer, open },
      `reject ${peer}: ${open} connections open (--max-conns)`,
    );
  }
  const c = openConnection(conn, { id: 0, label: "-", peer, trace: rt.tracer });
  if (!rt.spec.onRejected) return c.close();
  try {
    await rt.spec.onRejected(c);
    await c.lingeringClose();
  } catch { /* the peer is being turned away anyway */ }
  c.close();
}

/**
 * Serves one admitted connection from registration to the disconnect line; over TLS
 * only once its handshake is done (one that fails is logged and closed).
 */
async function serveConnection(
  rt: Runtime,
  conn: Deno.Conn,
  peer: string,
  open: number,
): Promise<void> {
  if (rt.spec.tls) {
    rt.handshaking++;
    const done = await handshake(rt, conn as Deno.TlsConn, peer);
    rt.handshaking--; // and, when done, counted in rt.open before anything else runs
    if (!done) return release(rt);
  }
  const id = rt.nextId++;
  const label = `${rt.idPrefix}${id}`;
  const c = openConnection(conn, { id, label, peer, trace: rt.tracer });
  const tracked: Tracked = { c, hooks: {}, idled: false };
  const started = performance.now();
  rt.open.set(c, tracked);
  rt.stats.connections++;
  rt.stats.maxOpen = Math.max(rt.stats.maxOpen, open);
  if (!rt.spec.quiet) logConnect(rt, label, peer, open);
  // The handler is awaited right here, not through a helper: a helper was one more
  // promise chain (or suspended generator) per connection, held while it is open, and
  // one more turn; this generator is the only one a waiting connection keeps.
  let failure: string | undefined;
  try {
    const handled = rt.spec.tcp!(c);
    if (handled instanceof Promise) await handled;
    else {
      tracked.hooks = handled;
      await handled.done;
    }
  } catch (err) {
    failure = handlerFailure(rt, err);
  }
  c.close();
  rt.open.delete(c);
  release(rt);
  rt.stats.bytesIn += c.bytesIn;
  rt.stats.bytesOut += c.bytesOut;
  if (!rt.spec.quiet) logDisconnect(rt, c, performance.now() - started, failure);
}

/** Completes a TLS handshake; false (logged, closed, counted) when it failed. */
async function handshake(rt: Runtime, conn: Deno.TlsConn, peer: string): Promise<boolean> {
  const failed = await serverHandshake(conn, rt.stopping.signal);
  if (failed === undefined) return true;
  rt.stats.tlsFailed++;
  closeQuietly(conn);
  if (!rt.spec.quiet) {
    rt.out.log(
      "tls_failed",
      { transport: "tls", peer, reason: failed },
      `tls handshake with ${peer} failed: ${failed}`,
    );
  }
  return false;
}

/** Why a handler failed (a bug, counted), or undefined when the peer just hung up. */
function handlerFailure(rt: Runtime, err: unknown): string | undefined {
  if (isDisconnect(err)) return undefined;
  rt.stats.handlerErrors++;
  return err instanceof Error ? err.message : String(err);
}

// The two lines every connection logs are built only in the form the mode prints: the
// text in human mode, the fields object with --json (Output.log ignores the other one).

function logConnect(rt: Runtime, label: string, peer: string, open: number): void {
  if (rt.out.json) rt.out.log("connect", { transport: kind(rt), id: label, peer, open });
  else rt.out.log("connect", NO_FIELDS, `connect #${label} from ${peer} (${open} open)`);
}

function logDisconnect(
  rt: Runtime,
  c: RuntimeConnection,
  elapsedMs: number,
  failure: string | undefined,
): void {
  const ms = Math.round(elapsedMs);
  const reason = failure ? `error: ${failure}` : c.closeReason ?? "closed";
  const { label, peer, bytesIn, bytesOut } = c;
  if (rt.out.json) {
    const transport = kind(rt);
    const fields = { transport, id: label, peer, reason, bytesIn, bytesOut, durationMs: ms };
    return rt.out.log("disconnect", fields);
  }
  rt.out.log(
    "disconnect",
    NO_FIELDS,
    `disconnect #${label} ${peer} after ${
      formatElapsed(ms)
    }, ${bytesIn} bytes in, ${bytesOut} out (${reason})`,
  );
}
