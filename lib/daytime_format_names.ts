/**
 * The names of the daytime formats, apart from lib/daytime_format.ts: `sockit daytime
 * --help` (its meta module, loaded at every start) needs the list, not the formatter
 * and parser behind it.
 *
 * @module
 */

/**
 * The formats `sockit daytime --format` serves.
 *
 * @example
 * ```ts
 * DAYTIME_FORMATS.includes("iso"); // true
 * ```
 */
export const DAYTIME_FORMATS = ["rfc867", "nist", "iso", "rfc2822", "unix"] as const;

/** One of {@linkcode DAYTIME_FORMATS}. */
export type DaytimeFormat = typeof DAYTIME_FORMATS[number];
