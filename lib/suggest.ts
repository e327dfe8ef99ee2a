/**
 * "Did you mean": the known word nearest to a mistyped one, for unknown commands and
 * flags, as git and cargo suggest.
 *
 * @module
 */

/**
 * The candidate closest to `word` by edit distance (an insertion, deletion, substitution
 * or swap of two neighbours each count one), when it is close enough to be a typo: at
 * most 2 edits, and fewer than half of the word's letters. Undefined when none is.
 *
 * @example
 * ```ts
 * closest("ecoh", ["echo", "daytime"]); // "echo"
 * closest("--cout", ["--count", "--host"]); // "--count"
 * closest("zzz", ["echo"]); // undefined
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const letters = word.replace(/^-+/, "").length;
  return bestDistance <= 2 && bestDistance * 2 < Math.max(letters, 2) ? best : undefined;
}

/**
 * The optimal-string-alignment distance between `a` and `b`: Levenshtein plus the swap
 * of two neighbouring characters as one edit (`ecoh` → `echo` is 1).
 *
 * @example
 * ```ts
 * editDistance("kitten", "sitting"); // 3
 * editDistance("ecoh", "echo"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
