/**
 * A shortcut for the hot path of the line dialect: when a whole read is plain ASCII
 * (printable characters, tab and LF only), it is decoded to text once, and each line in
 * it becomes a slice of that text, already known to need no sanitizing. Reads with
 * anything else (UTF-8, CR, control characters) take the general path, line by line.
 * A paste or flood of a thousand lines then costs one decode instead of a thousand.
 *
 * @module
 */

const decoder = new TextDecoder();

/**
 * The text of the lines of the current read, when that read is plain ASCII.
 *
 * @example
 * ```ts
 * const plain = new PlainText();
 * plain.prepare(chunk); // before the read's frames are handled
 * const text = plain.of(frame) ?? sanitize(decodeText(frame));
 * ```
 */
export class PlainText {
  #chunk: Uint8Array | undefined;
  #checked = false;
  #text: string | undefined; // of #chunk, once checked plain

  /** Takes note of a read before its frames are handled (nothing is done yet). */
  prepare(chunk: Uint8Array): void {
    this.#chunk = chunk;
    this.#checked = false;
    this.#text = undefined;
  }

  /**
   * The text of `frame` if it is a view into the prepared read and that read is plain
   * (one byte is one character there, and no character needs removing); undefined
   * otherwise: a line assembled from several reads, or a read that is not plain. The
   * read is looked at and decoded on the first call only, so reads that complete no
   * line (a long line going by) cost nothing here.
   */
  of(frame: Uint8Array): string | undefined {
    const chunk = this.#chunk;
    if (chunk === undefined || frame.buffer !== chunk.buffer) return undefined;
    if (!this.#checked) {
      this.#checked = true;
      // Decoded, then looked at by one regular expression: a loop over the bytes in
      // JavaScript is slow until it is compiled, and a burst is often what comes first.
      const text = decoder.decode(chunk);
      this.#text = NOT_PLAIN.test(text) ? undefined : text;
    }
    if (this.#text === undefined) return undefined;
    const at = frame.byteOffset - chunk.byteOffset;
    if (at < 0 || at + frame.length > chunk.length) return undefined;
    return this.#text.slice(at, at + frame.length);
  }
}

/**
 * A character that is not printable ASCII, tab or LF. Each byte of such text decodes to
 * one character of its own value, and any other byte (0x80 and up included) decodes to
 * a character outside this set.
 */
const NOT_PLAIN = /[^\t\n\x20-\x7e]/;
