/**
 * The UDP side of the runtime: one receive loop per socket, the source guard, and the
 * command's datagram handler with a `reply()` bound to the sender.
 *
 * @module
 */

import { formatNetAddr } from "../address.ts";
import { refusal } from "./access.ts";
import { logDenied } from "./access_log.ts";
import type { Runtime } from "./runtime.ts";
import { dropText, logsDrop, udpDropReason } from "./udp_guard.ts";

/**
 * Receives until the runtime stops; answers what passes the source guard.
 *
 * @example
 * ```ts
 * loops.push(datagramLoop(rt, Deno.listenDatagram({ transport: "udp", port: 0 })));
 * ```
 */
export async function datagramLoop(rt: Runtime, socket: Deno.DatagramConn): Promise<void> {
  const { stats } = rt;
  const reply = (to: Deno.NetAddr) => async (bytes: Uint8Array) => {
    rt.tracer?.("send", formatNetAddr(to), bytes);
    await socket.send(bytes, to);
    stats.bytesOut += bytes.length;
  };
  while (!rt.stopping.signal.aborted) {
    let data: Uint8Array, from: Deno.Addr;
    try {
      [data, from] = await socket.receive();
    } catch (err) {
      if (rt.stopping.signal.aborted || err instanceof Deno.errors.BadResource) return;
      stats.acceptErrors++; // e.g. ICMP port unreachable surfacing as a reset
      continue;
    }
    const peer = from as Deno.NetAddr;
    stats.datagrams++;
    stats.bytesIn += data.length;
    rt.tracer?.("recv", formatNetAddr(peer), data);
    const rule = rt.spec.access && refusal(rt.spec.access, peer.hostname);
    if (rule) {
      logDenied(rt, "udp", formatNetAddr(peer), rule);
      continue;
    }
    if (guarded(rt, peer, data.length)) continue;
    try {
      await rt.spec.udp!(data, peer, reply(peer));
    } catch (err) {
      stats.handlerErrors++;
      rt.out.note(`sockit: udp ${formatNetAddr(peer)}: ${String(err)}`);
    }
  }
}

/** Counts and logs a datagram the source guard drops; true when it does. */
function guarded(rt: Runtime, peer: Deno.NetAddr, bytes: number): boolean {
  const reason = udpDropReason(peer);
  if (!reason) return false;
  const count = rt.stats.dropped[reason] = (rt.stats.dropped[reason] ?? 0) + 1;
  if (!rt.spec.quiet && logsDrop(count)) {
    const from = formatNetAddr(peer);
    rt.out.log(
      "drop",
      { transport: "udp", peer: from, reason, bytes, count },
      dropText(from, reason, count),
    );
  }
  return true;
}
