/**
 * Durations as people type them: `250ms`, `2s`, `1.5s`, `1m`, `1h`; a bare number means
 * seconds (README, the lists at the top).
 *
 * @module
 */

import { round } from "./numbers.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/;

/**
 * Parses a duration into milliseconds, or returns `undefined` when `text` is not one.
 *
 * @example
 * ```ts
 * parseDuration("1.5s"); // 1500
 * parseDuration("250ms"); // 250
 * parseDuration("2"); // 2000
 * parseDuration("soon"); // undefined
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  // Rounded to a nanosecond, so decimal text reads back exactly (1.005s is 1005, not
  // the 1004.9999999999999 that binary floating point makes of it).
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? "s"] * 1e6) / 1e6;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Formats milliseconds the way {@linkcode parseDuration} reads them, in the largest
 * unit that keeps the number short.
 *
 * @example
 * ```ts
 * formatDuration(1500); // "1.5s"
 * formatDuration(250); // "250ms"
 * formatDuration(120000); // "2m"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${round(ms / 1000, 3)}s`;
  return `${round(ms, 3)}ms`;
}

/**
 * Formats a measured time for humans with a sensible precision (round trips, offsets).
 *
 * @example
 * ```ts
 * formatElapsed(0.08312); // "0.083ms"
 * formatElapsed(12.5); // "12.5ms"
 * formatElapsed(30012); // "30.012s"
 * ```
 */
export function formatElapsed(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs >= 1000) return `${sign}${round(abs / 1000, 3)}s`;
  if (abs >= 100) return `${sign}${round(abs, 1)}ms`;
  if (abs >= 10) return `${sign}${round(abs, 2)}ms`;
  return `${sign}${round(abs, 3)}ms`;
}
