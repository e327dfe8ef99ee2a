/**
 * `--trace`: every read and write shown as its byte count and a hex + ASCII dump, so
 * the bytes on the wire can be read (README, the lists at the top).
 *
 * @module
 */

/** Which way bytes went, from sockit's side. */
export type Direction = "read" | "write" | "recv" | "send";

/** Logs one read or write; absent when tracing is off so hot paths pay one check. */
export type Tracer = (direction: Direction, peer: string, bytes: Uint8Array) => void;

/** Longest dump of one read or write; the rest is counted, not shown. */
export const TRACE_DUMP_LIMIT = 4096;

/**
 * A classic 16-bytes-per-line hex + ASCII dump (like `hexdump -C`).
 *
 * @example
 * ```ts
 * hexdump(new TextEncoder().encode("hi\n"));
 * // "00000000  68 69 0a                                          |hi.|"
 * ```
 */
export function hexdump(bytes: Uint8Array, options: { limit?: number } = {}): string {
  const limit = options.limit ?? TRACE_DUMP_LIMIT;
  const shown = bytes.subarray(0, limit);
  let text = "";
  for (let off = 0; off < shown.length; off += 16) {
    const end = Math.min(off + 16, shown.length);
    let hex = "";
    let ascii = "";
    for (let i = off; i < end; i++) {
      if (i - off === 8) hex += " ";
      hex += HEX[shown[i]];
      ascii += PRINTABLE[shown[i]];
    }
    if (end - off < 16) hex += PADDING[end - off];
    if (off > 0) text += "\n";
    text += `${off.toString(16).padStart(8, "0")}  ${hex} |${ascii}|`;
  }
  if (bytes.length > shown.length) {
    if (text !== "") text += "\n";
    text += `... ${bytes.length - shown.length} more bytes not shown`;
  }
  return text;
}

// Lookup tables: --trace dumps every byte, so per-byte formatting is a table read
// (about three times the rate of toString(16) + padStart per byte).
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0") + " ");
const PRINTABLE = Array.from(
  { length: 256 },
  (_, b) => b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".",
);
/** What fills a short last row, by its byte count, so the ASCII column lines up. */
const PADDING = Array.from({ length: 16 }, (_, n) => "   ".repeat(16 - n) + (n <= 8 ? " " : ""));

/**
 * The trace entry for one read or write: a header line with the byte count and the
 * peer, then the dump.
 *
 * @example
 * ```ts
 * traceText("read", "127.0.0.1:5000", new Uint8Array([0x68, 0x69]));
 * // "read 2 bytes from 127.0.0.1:5000\n00000000  68 69 ..."
 * ```
 */
export function traceText(direction: Direction, peer: string, bytes: Uint8Array): string {
  const toward = direction === "read" || direction === "recv" ? "from" : "to";
  const noun = bytes.length === 1 ? "byte" : "bytes";
  const head = `${direction} ${bytes.length} ${noun} ${toward} ${peer}`;
  return bytes.length === 0 ? head : `${head}\n${hexdump(bytes)}`;
}

/**
 * A {@linkcode Tracer} that writes {@linkcode traceText} entries with `write`.
 *
 * @example
 * ```ts
 * const trace = createTracer((text) => io.stderr.write(text));
 * trace("read", "127.0.0.1:50123", bytes);
 * ```
 */
export function createTracer(write: (text: string) => void): Tracer {
  return (direction, peer, bytes) => write(traceText(direction, peer, bytes) + "\n");
}
