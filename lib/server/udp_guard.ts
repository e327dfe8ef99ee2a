/**
 * The UDP source guard: which datagrams a server never answers, and how drops are logged.
 *
 * @module
 */

/** Why a datagram is not answered. */
export type DropReason = "low-port" | "broadcast";

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
export function udpDropReason(addr: Deno.NetAddr): DropReason | undefined {
  if (addr.port < 1024) return "low-port";
  const host = addr.hostname.toLowerCase().replace(/^::ffff:/, "");
  if (host === "255.255.255.255" || host === "0.0.0.0" || host === "::") return "broadcast";
  const first = Number(host.split(".")[0]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && first >= 224 && first <= 239) return "broadcast";
  if (host.startsWith("ff")) return "broadcast";
  return undefined;
}

/** Drops logged one by one before logging switches to one line per thousand. */
export const DROP_LOG_FIRST = 10;

/**
 * Whether the `count`-th drop is logged: a flood of spoofed datagrams must not become a
 * flood of log lines, so the first few are, then one per thousand; the summary counts all.
 *
 * @example
 * ```ts
 * logsDrop(3); // true
 * logsDrop(11); // false
 * logsDrop(2000); // true
 * ```
 */
export function logsDrop(count: number): boolean {
  return count <= DROP_LOG_FIRST || count % 1000 === 0;
}

/**
 * The log text of the `count`-th drop.
 *
 * @example
 * ```ts
 * dropText("127.0.0.1:19", "low-port", 1);
 * // "drop datagram from 127.0.0.1:19: source port below 1024 (guard against echo/chargen loops)"
 * ```
 */
export function dropText(peer: string, reason: DropReason, count: number): string {
  return `drop datagram from ${peer}: ${reasonText[reason]}${sampledSuffix(count, "drops")}`;
}

/**
 * What a line {@linkcode logsDrop} lets through says about the ones it holds back: at
 * the last logged one by one, that the rest are sampled; past it, the running count.
 *
 * @example
 * ```ts
 * sampledSuffix(3, "drops"); // ""
 * sampledSuffix(10, "drops"); // " (further drops: one line per 1000)"
 * sampledSuffix(2000, "drops"); // " (2000 so far)"
 * ```
 */
export function sampledSuffix(count: number, what: string): string {
  if (count === DROP_LOG_FIRST) return ` (further ${what}: one line per 1000)`;
  return count > DROP_LOG_FIRST ? ` (${count} so far)` : "";
}

const reasonText: Record<DropReason, string> = {
  "low-port": "source port below 1024 (guard against echo/chargen loops)",
  broadcast: "broadcast or multicast source",
};
