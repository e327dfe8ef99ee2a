/**
 * What a server did, merged across `--workers` threads, and the one summary line it
 * prints when it stops.
 *
 * @module
 */

import { formatDuration } from "../duration.ts";
import { counted, formatAmount } from "../numbers.ts";
import type { Fields } from "../output.ts";

/** What a server did, for the summary line (and merged across workers). */
export interface ServerStats {
  connections: number;
  rejected: number;
  /**
   * The most connections open at once. With `--workers` each thread records the count
   * across all threads, so merging takes the largest, not the sum.
   */
  maxOpen: number;
  bytesIn: number;
  bytesOut: number;
  datagrams: number;
  /** Datagrams dropped by the source guard, by reason. */
  dropped: Record<string, number>;
  acceptErrors: number;
  handlerErrors: number;
  /** TLS clients closed because their handshake failed (plain TCP, garbage, silence). */
  tlsFailed: number;
  /** Connections closed and datagrams dropped by `--allow`/`--deny`. */
  denied: number;
  /** Connections closed over `--max-conns-per-ip`. */
  overPerIp: number;
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
    tlsFailed: 0,
    denied: 0,
    overPerIp: 0,
  };
}

/**
 * Adds the numbers of `more` to `into` (workers' stats into the main thread's); the
 * peak of open connections is the larger of the two, since both saw the shared count.
 *
 * @example
 * ```ts
 * mergeStats(server.stats, workerStats).connections; // both threads' connections
 * ```
 */
export function mergeStats(into: ServerStats, more: ServerStats): ServerStats {
  into.connections += more.connections;
  into.rejected += more.rejected;
  into.maxOpen = Math.max(into.maxOpen, more.maxOpen);
  into.bytesIn += more.bytesIn;
  into.bytesOut += more.bytesOut;
  into.datagrams += more.datagrams;
  into.acceptErrors += more.acceptErrors;
  into.handlerErrors += more.handlerErrors;
  into.tlsFailed += more.tlsFailed;
  into.denied += more.denied;
  into.overPerIp += more.overPerIp;
  for (const [reason, n] of Object.entries(more.dropped)) {
    into.dropped[reason] = (into.dropped[reason] ?? 0) + n;
  }
  return into;
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
  const parts = [counted(stats.connections, "connection"), `${stats.maxOpen} at most at once`];
  if (stats.rejected) parts.push(`${stats.rejected} rejected over --max-conns`);
  if (stats.overPerIp) parts.push(`${stats.overPerIp} rejected over --max-conns-per-ip`);
  if (stats.denied) parts.push(`${stats.denied} denied by --allow/--deny`);
  if (stats.tlsFailed) parts.push(`${stats.tlsFailed} failed the TLS handshake`);
  parts.push(`${formatAmount(stats.bytesIn)} in`, `${formatAmount(stats.bytesOut)} out`);
  if (stats.datagrams) parts.push(counted(stats.datagrams, "datagram"));
  if (dropped) parts.push(`${dropped} dropped by the source guard`);
  for (const [key, value] of Object.entries(extra)) parts.push(`${key} ${value}`);
  return {
    fields: { command: name, uptimeMs: Math.round(uptimeMs), ...stats, ...extra },
    text: `${name}: stopped after ${formatDuration(Math.round(uptimeMs))}; ${parts.join(", ")}`,
  };
}
