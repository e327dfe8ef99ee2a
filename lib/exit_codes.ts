/**
 * What each exit code means, in words, for `sockit --help` and the man page (the values
 * themselves are `ExitCode` in lib/errors.ts; the README's table says the same). A new
 * exit code is added to both.
 *
 * @module
 */

/**
 * Every exit code sockit uses and what it means, in order.
 *
 * @example
 * ```ts
 * for (const [code, meaning] of EXIT_CODES) console.log(code, meaning);
 * ```
 */
export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [0, "success"],
  [1, "a check failed (echo mismatch or loss, clock offset over --max-offset, ...)"],
  [2, "usage error"],
  [3, "host could not be resolved"],
  [4, "connection refused or network unreachable"],
  [5, "timeout"],
  [6, "protocol error: the peer answered something that is not the protocol"],
  [7, "cannot listen: address in use or permission denied"],
  [8, "TLS: the peer's certificate could not be verified (untrusted, expired, wrong name)"],
  [130, "interrupted before the work finished (client commands)"],
];
