/**
 * The room's events as entries of one Redis Stream (`PREFIX events`, one field `e`
 * holding the event as JSON), and the loop that reads them from the node's last id.
 * The loop asks before each read whether the node's clients can take more, so a node
 * never reads faster than it delivers: what it has not read waits in Redis.
 *
 * @module
 */

import type { LeaveReason } from "../protocol.ts";
import type { Link } from "./link.ts";

/** Who published an event: the node and that node's connection id. */
interface Origin {
  node: string;
  conn: number;
  ts: number;
  /** The node's number for the event: how it knows its own when it reads them back. */
  seq?: number;
}

/** One event of the room, as it travels in the stream. */
export type ClusterEvent =
  | Origin & { type: "msg"; from: string; text: string; id?: string; action?: true }
  | Origin & { type: "dm"; from: string; to: string; text: string; id?: string }
  | Origin & { type: "join"; name: string }
  | Origin & { type: "leave"; name: string; reason: LeaveReason }
  | Origin & { type: "nick"; from: string; to: string };

/** An event with the id of its stream entry. */
export interface Entry {
  id: string;
  event: ClusterEvent;
}

const TYPES = new Set(["msg", "dm", "join", "leave", "nick"]);

/**
 * The stream entry's field value for `event`.
 *
 * @example
 * ```ts
 * encodeEvent({ type: "join", name: "alice", ts: 1, node: "n1", conn: 3 });
 * ```
 */
export function encodeEvent(event: ClusterEvent): string {
  return JSON.stringify(event);
}

/**
 * The event in a stream entry's fields; undefined for an entry that is not one (another
 * program wrote to the key): it is skipped, never delivered half-read.
 *
 * @example
 * ```ts
 * decodeEvent({ e: '{"type":"join","name":"a","ts":1,"node":"n","conn":1}' })?.type; // "join"
 * decodeEvent({ x: "1" }); // undefined
 * ```
 */
export function decodeEvent(fields: Record<string, string>): ClusterEvent | undefined {
  try {
    const value = JSON.parse(fields.e);
    if (typeof value !== "object" || value === null || !TYPES.has(value.type)) return undefined;
    if (typeof value.node !== "string" || typeof value.ts !== "number") return undefined;
    value.conn = Number(value.conn);
    return value as ClusterEvent;
  } catch {
    return undefined;
  }
}

/**
 * Orders two stream ids (`MS-SEQ`): negative, zero or positive.
 *
 * @example
 * ```ts
 * compareIds("1700-2", "1700-10"); // negative
 * ```
 */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Options of {@linkcode readStream}. */
export interface ReadOptions {
  /** The stream's key. */
  key: string;
  /** Read entries after this id. */
  from: string;
  /** Delivers one batch of entries, in order. */
  deliver: (entries: Entry[]) => void;
  /** Resolves when the node's clients can take another batch (backpressure). */
  ready: () => Promise<void>;
  /** Stops the loop. */
  signal: AbortSignal;
  /** Most entries per read. */
  count?: number;
  /** Longest one blocking read waits. */
  blockMs?: number;
  /** Entries that were not events, skipped. */
  onSkipped?: (id: string) => void;
}

/**
 * Reads the stream from `from` until `signal` aborts, handing each batch to `deliver`.
 * A read that fails (the link went down) waits for the link and reads on from the last
 * id delivered: nothing is skipped, nothing delivered twice. Resolves with the last id.
 *
 * @example
 * ```ts
 * const done = readStream(link, { key, from: "0-0", deliver, ready, signal });
 * ```
 */
export async function readStream(link: Link, options: ReadOptions): Promise<string> {
  let last = options.from;
  const count = options.count ?? 512;
  const blockMs = options.blockMs ?? 1000;
  while (!options.signal.aborted) {
    await options.ready();
    if (options.signal.aborted) break;
    let raw: Awaited<ReturnType<Link["read"]>>;
    try {
      raw = await link.read(options.key, last, { count, blockMs });
    } catch {
      if (options.signal.aborted) break;
      await link.whenUp();
      continue;
    }
    if (!raw || raw.length === 0) continue;
    const entries: Entry[] = [];
    for (const { id, fields } of raw) {
      const event = decodeEvent(fields);
      if (event) entries.push({ id, event });
      else options.onSkipped?.(id);
    }
    last = raw[raw.length - 1].id;
    if (entries.length > 0) options.deliver(entries);
  }
  return last;
}
