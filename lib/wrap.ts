/**
 * Word wrapping for text shown to people: `--help` columns and race-demo's
 * explanations.
 *
 * @module
 */

/**
 * Splits `text` at spaces into lines of at most `width` characters; a word longer than
 * `width` stands alone on its line. Empty text is no lines.
 *
 * @example
 * ```ts
 * wrap("the quick brown fox", 10); // ["the quick", "brown fox"]
 * ```
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return line ? [...lines, line] : lines;
}
