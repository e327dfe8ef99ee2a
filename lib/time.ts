/**
 * Timestamp conversions for the time protocols: NTP's 64-bit timestamps (RFC 5905,
 * RFC 4330), RFC 868's 32-bit seconds, and the Modified Julian Date of the NIST daytime
 * format. Times are Unix epoch milliseconds (what `Date.now()` returns), as floats so an
 * NTP fraction keeps its sub-millisecond part.
 *
 * NTP and RFC 868 count seconds since 1900-01-01 UTC in 32 bits, which wrap on
 * 2036-02-07 06:28:16 UTC and start era 1. A 32-bit count therefore names one instant
 * in each 136-year era; {@linkcode fromEraSeconds} picks the one nearest a reference
 * time (the local clock), which is right as long as the clock is within 68 years.
 *
 * @module
 */

/** Seconds from 1900-01-01 (the NTP and RFC 868 epoch) to 1970-01-01 (Unix's). */
export const SECONDS_1900_TO_1970 = 2_208_988_800;

/** Seconds in one 32-bit era: 2^32. */
export const ERA_SECONDS = 2 ** 32;

/** 2036-02-07 06:28:16 UTC, where era 0 of NTP time ends and era 1 begins. */
export const ERA_1_START_MS = (ERA_SECONDS - SECONDS_1900_TO_1970) * 1000;

/** The Modified Julian Date of 1970-01-01 (MJD 0 is 1858-11-17). */
export const MJD_UNIX_EPOCH = 40_587;

const DAY_MS = 86_400_000;

/**
 * The instant a 32-bit count of seconds since 1900 names, in the era nearest `nearMs`.
 *
 * With no `nearMs` the window is centred on the 2036 wrap, so it spans 1968-01-20 to
 * 2104-02-26: RFC 4330's rule (most significant bit set: era 0, clear: era 1).
 *
 * @param seconds A 32-bit unsigned count of seconds since 1900-01-01 UTC (mod 2^32).
 * @param nearMs The reference instant in Unix epoch ms, usually the local clock.
 * @returns Unix epoch milliseconds.
 *
 * @example
 * ```ts
 * fromEraSeconds(0xffffffff, Date.UTC(2036, 0, 1)); // Date.UTC(2036, 1, 7, 6, 28, 15)
 * fromEraSeconds(0, Date.UTC(2036, 5, 1)); // Date.UTC(2036, 1, 7, 6, 28, 16) (era 1)
 * ```
 */
export function fromEraSeconds(seconds: number, nearMs: number = ERA_1_START_MS): number {
  // The era that puts the result in [near - 2^31 s, near + 2^31 s).
  const nearSeconds = nearMs / 1000 + SECONDS_1900_TO_1970;
  const era = Math.ceil((nearSeconds - 2 ** 31 - seconds) / ERA_SECONDS);
  return (era * ERA_SECONDS + seconds - SECONDS_1900_TO_1970) * 1000;
}

/**
 * The 32-bit RFC 868 time for an instant: whole seconds since 1900-01-01 UTC, modulo
 * 2^32 (so 2036-02-07 06:28:16 UTC is 0 again).
 *
 * @example
 * ```ts
 * toRfc868(0); // 2208988800 (1970-01-01)
 * toRfc868(Date.UTC(2036, 1, 7, 6, 28, 16)); // 0
 * ```
 */
export function toRfc868(ms: number): number {
  const seconds = Math.floor(ms / 1000) + SECONDS_1900_TO_1970;
  return ((seconds % ERA_SECONDS) + ERA_SECONDS) % ERA_SECONDS;
}

/**
 * The instant an RFC 868 time names, in the era nearest `nearMs` (see
 * {@linkcode fromEraSeconds}).
 *
 * @example
 * ```ts
 * fromRfc868(2208988800, Date.now()); // 0
 * ```
 */
export function fromRfc868(seconds: number, nearMs?: number): number {
  return fromEraSeconds(seconds, nearMs);
}

/** An NTP timestamp: 32-bit seconds since 1900 (mod 2^32) and a 32-bit binary fraction. */
export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

/**
 * The NTP timestamp of an instant; the seconds wrap to era 1 after 2036-02-07.
 *
 * @example
 * ```ts
 * toNtp(1500); // { seconds: 2208988801, fraction: 2147483648 }
 * ```
 */
export function toNtp(ms: number): NtpTimestamp {
  const total = ms / 1000 + SECONDS_1900_TO_1970;
  const whole = Math.floor(total);
  const fraction = Math.min(ERA_SECONDS - 1, Math.round((total - whole) * ERA_SECONDS));
  return { seconds: ((whole % ERA_SECONDS) + ERA_SECONDS) % ERA_SECONDS, fraction };
}

/**
 * The instant an NTP timestamp names, in the era nearest `nearMs` (RFC 4330's rule
 * when absent; see {@linkcode fromEraSeconds}).
 *
 * @example
 * ```ts
 * fromNtp({ seconds: 2208988801, fraction: 2 ** 31 }); // 1500
 * ```
 */
export function fromNtp(ts: NtpTimestamp, nearMs?: number): number {
  return fromEraSeconds(ts.seconds, nearMs) + (ts.fraction / ERA_SECONDS) * 1000;
}

/**
 * Whether an NTP timestamp is all zero, which RFC 4330 uses for "not set".
 *
 * @example
 * ```ts
 * isZeroNtp({ seconds: 0, fraction: 0 }); // true: "not set"
 * ```
 */
export function isZeroNtp(ts: NtpTimestamp): boolean {
  return ts.seconds === 0 && ts.fraction === 0;
}

/**
 * Reads a big-endian NTP timestamp from 8 bytes at `offset`.
 *
 * @example
 * ```ts
 * readNtp(new DataView(packet.buffer, packet.byteOffset), 40); // the transmit timestamp
 * ```
 */
export function readNtp(view: DataView, offset: number): NtpTimestamp {
  return { seconds: view.getUint32(offset), fraction: view.getUint32(offset + 4) };
}

/**
 * Writes `ts` as a big-endian NTP timestamp into 8 bytes at `offset`.
 *
 * @example
 * ```ts
 * writeNtp(new DataView(packet.buffer), 40, toNtp(Date.now())); // the transmit timestamp
 * ```
 */
export function writeNtp(view: DataView, offset: number, ts: NtpTimestamp): void {
  view.setUint32(offset, ts.seconds);
  view.setUint32(offset + 4, ts.fraction);
}

/**
 * The Modified Julian Date of the UTC day an instant falls on.
 *
 * @example
 * ```ts
 * mjdOf(Date.UTC(2000, 0, 1, 12)); // 51544
 * ```
 */
export function mjdOf(ms: number): number {
  return Math.floor(ms / DAY_MS) + MJD_UNIX_EPOCH;
}

/**
 * The instant a Modified Julian Date begins (00:00 UTC).
 *
 * @example
 * ```ts
 * fromMjd(51544); // Date.UTC(2000, 0, 1)
 * ```
 */
export function fromMjd(mjd: number): number {
  return (mjd - MJD_UNIX_EPOCH) * DAY_MS;
}

/**
 * The UTC calendar date of a Modified Julian Date.
 *
 * @example
 * ```ts
 * mjdToDate(60000); // { year: 2023, month: 2, day: 25 }
 * ```
 */
export function mjdToDate(mjd: number): { year: number; month: number; day: number } {
  const d = new Date(fromMjd(mjd));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The Modified Julian Date of a UTC calendar date (`month` 1–12).
 *
 * @example
 * ```ts
 * dateToMjd(1858, 11, 17); // 0
 * ```
 */
export function dateToMjd(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0-99 as 1900-1999
  return mjdOf(d.getTime());
}
