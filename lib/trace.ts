/**
 * `--trace`: every read and write shown as its byte count and a hex + ASCII dump, so
 * the bytes on the wire can be read (SPEC, "Conventions").
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
  const lines: string[] = [];
  for (let off = 0; off < shown.length; off += 16) {
    const row = shown.subarray(off, off + 16);
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += " ";
      if (i < row.length) {
        hex += row[i].toString(16).padStart(2, "0") + " ";
        ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : ".";
      } else {
        hex += "   ";
      }
    }
    lines.push(`${off.toString(16).padStart(8, "0")}  ${hex} |${ascii}|`);
  }
  if (bytes.length > shown.length) {
    lines.push(`... ${bytes.length - shown.length} more bytes not shown`);
  }
  return lines.join("\n");
}

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
