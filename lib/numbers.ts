/**
 * Numbers as sockit shows them: rounded for JSON fields and text, counts with thousands
 * separators and rates with SI prefixes that read the same in every locale (so scripts
 * and tests never see `1.234.567` on a German system).
 *
 * @module
 */

/**
 * `n` rounded to `digits` decimal places (JSON fields carry microseconds as `0.083`,
 * not `0.08312345678`).
 *
 * @example
 * ```ts
 * round(0.083123, 3); // 0.083
 * round(2 / 3, 2); // 0.67
 * ```
 */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A whole number with thousands separators, the same in every locale.
 *
 * @example
 * ```ts
 * formatCount(1234567); // "1,234,567"
 * ```
 */
export function formatCount(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  return (n < 0 ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A rate with an SI prefix: `327.9M`.
 *
 * @example
 * ```ts
 * formatRate(327_912_000); // "327.9M"
 * ```
 */
export function formatRate(perSecond: number): string {
  for (const [prefix, size] of [["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) {
    if (perSecond >= size) return `${(perSecond / size).toFixed(1)}${prefix}`;
  }
  return String(Math.round(perSecond));
}

/**
 * A count and its noun, the noun plural unless the count is 1 (English nouns that
 * take an "s"; pass `plural` for the others).
 *
 * @example
 * ```ts
 * counted(1, "probe"); // "1 probe"
 * counted(3, "probe"); // "3 probes"
 * counted(2, "reply", "replies"); // "2 replies"
 * ```
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * An amount of bytes for a summary line: exact below 1 KiB (`5 bytes`), else in the
 * largest binary unit it reaches, to one decimal (`64KiB`, `762.4MiB`); the `--json`
 * fields keep the exact count.
 *
 * @example
 * ```ts
 * formatAmount(5); // "5 bytes"
 * formatAmount(65_536); // "64KiB"
 * formatAmount(799_457_280); // "762.4MiB"
 * ```
 */
export function formatAmount(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size) return `${round(bytes / size, 1)}${unit}`;
  }
  return counted(bytes, "byte");
}
