/**
 * `--cluster redis://[USER:PASS@]HOST:PORT[/DB]` and `--room NAME`, checked before
 * anything is dialled: a bad value is a usage error (exit 2) naming the flag.
 *
 * @module
 */

import { UsageError } from "../../../lib/errors.ts";

/** What `--cluster` and `--room` resolve to. */
export interface ClusterTarget {
  /** The URL as given, for the Redis client. */
  url: string;
  /** The URL without its password, for logs and errors. */
  display: string;
  /** `HOST:PORT`, for error messages. */
  address: string;
  /** Every key of the room starts with this: `sockit:chat:ROOM:`. */
  prefix: string;
  room: string;
}

/** What a room name may be: what a key prefix can hold without surprises. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Checks `--cluster` and `--room`.
 *
 * @example
 * ```ts
 * clusterTarget("redis://127.0.0.1:6379", "lobby").prefix; // "sockit:chat:lobby:"
 * ```
 */
export function clusterTarget(url: string, room: string): ClusterTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--cluster: ${JSON.stringify(url)} is not a redis:// URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new UsageError(
      `--cluster: ${JSON.stringify(url)} is not a redis:// or rediss:// URL`,
    );
  }
  if (parsed.hostname === "") throw new UsageError(`--cluster: ${JSON.stringify(url)} has no host`);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) {
    throw new UsageError(`--cluster: ${JSON.stringify(db)} is not a database number`);
  }
  if (!ROOM_PATTERN.test(room)) {
    throw new UsageError(
      `--room: ${JSON.stringify(room)} is not a room name (1-64 letters, digits, _ . -)`,
    );
  }
  const port = parsed.port === "" ? "6379" : parsed.port;
  const display = new URL(url);
  if (display.password) display.password = "***";
  return {
    url,
    display: display.href,
    address: `${parsed.hostname}:${port}`,
    prefix: `sockit:chat:${room}:`,
    room,
  };
}
