/**
 * The framing module: how sockit turns a TCP byte stream into messages and back
 * (docs/PROTOCOL.md for chat's use of them). Three framings:
 *
 * - **lines**: a message per line, ended by LF; a CR before the LF is dropped (CRLF).
 * - **u32**: a 4-byte big-endian payload length, then the payload.
 * - **ascii8**: an 8-byte header holding the payload length in ASCII decimal, padded
 *   with spaces, then the payload (the classic socket-lab protocol).
 *
 * Each has a push decoder (`lineDecoder`, ...) for hot paths that handle every complete
 * frame of a read synchronously, a Web `TransformStream` decoder built on it
 * (`decodeLines`, ...) for composing with `pipeThrough`, a function that frames one
 * payload (`lineFrame`, ...) and an encoder stream (`encodeLines`, ...).
 *
 * Decoders are correct for any split of the stream, and enforce a maximum frame size
 * before buffering: a 4 GB length header allocates nothing.
 *
 * @module
 */

/** What went wrong with the input. */
export type FrameErrorKind = "oversize" | "malformed" | "truncated";

/**
 * The one error type of the framing module.
 *
 * @example
 * ```ts
 * try { decoder.push(chunk, onFrame); } catch (err) {
 *   if (err instanceof FrameError && err.kind === "oversize") reply("too long");
 * }
 * ```
 */
export class FrameError extends Error {
  /** `oversize`: over the maximum; `malformed`: not this framing; `truncated`: ended mid-frame. */
  readonly kind: FrameErrorKind;
  /** The frame's length as far as it is known. */
  readonly length?: number;

  constructor(kind: FrameErrorKind, message: string, length?: number) {
    super(message);
    this.name = "FrameError";
    this.kind = kind;
    this.length = length;
  }
}

/**
 * A push decoder: feed it chunks in order, it calls `emit` for each complete frame.
 * Frames may be views into the chunk passed to `push`: copy one to keep it past the
 * next read into the same buffer.
 */
export interface FrameDecoder {
  /**
   * Decodes `chunk`, calling `emit` for each frame it completes.
   * @throws {FrameError} for oversize (unless `onOversize` is set) or malformed input;
   * the decoder is unusable afterwards.
   */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void;
  /**
   * Ends the stream, calling `emit` for a final unterminated line (line framing only).
   * @throws {FrameError} `truncated` when a length-prefixed frame is incomplete.
   */
  finish(emit: (frame: Uint8Array) => void): void;
  /** Bytes held waiting for the rest of a frame. */
  readonly buffered: number;
}

/** Options common to every decoder. */
export interface DecoderOptions {
  /** Largest payload in bytes; larger frames are oversize. Default 64 KiB. */
  maxLength?: number;
  /**
   * When set, an oversize frame is skipped (its bytes discarded as they arrive, never
   * buffered) and this is called with its length (for lines: the bytes seen when it
   * went over); decoding goes on with the next frame. When absent, oversize throws.
   */
  onOversize?: (length: number) => void;
}

/** The default maximum payload: 64 KiB. */
export const DEFAULT_MAX_LENGTH = 64 * 1024;

/**
 * Lengths a u32 decoder skips at most when `onOversize` is set: a larger header is
 * malformed (docs/PROTOCOL.md: frames are capped far below 16 MiB, so a framed peer's
 * first byte is always 0x00).
 */
export const U32_SKIP_LIMIT = 0xff_ffff;

const LF = 0x0a;
const CR = 0x0d;

/**
 * A growable byte buffer for the part of a frame that spans reads. It allocates only
 * once something spans reads: a server holds one per idle connection.
 */
class Pending {
  bytes = NOTHING;
  length = 0;
  append(part: Uint8Array): void {
    if (this.length + part.length > this.bytes.length) {
      const grown = new Uint8Array(
        Math.max(256, this.bytes.length * 2, this.length + part.length),
      );
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(part, this.length);
    this.length += part.length;
  }
  /** The held bytes followed by `tail`, as a new array; empties the buffer. */
  take(tail: Uint8Array = new Uint8Array(0)): Uint8Array {
    const out = this.with(tail);
    this.clear();
    return out;
  }
  /** The held bytes followed by `tail`, as a new array; the buffer keeps them. */
  with(tail: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.length + tail.length);
    out.set(this.bytes.subarray(0, this.length));
    out.set(tail, this.length);
    return out;
  }
  clear(): void {
    this.length = 0;
    if (this.bytes.length > 64 * 1024) this.bytes = NOTHING;
  }
}

const NOTHING = new Uint8Array(0);

function stripCR(line: Uint8Array): Uint8Array {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
}

/** Options of {@linkcode lineDecoder}. */
export interface LineDecoderOptions extends DecoderOptions {
  /**
   * A shortcut for reads of many lines: each push first offers the complete lines it
   * holds, as one block up to the chunk's last LF (terminators included): a view into
   * the chunk, or, when bytes of a line are held from earlier chunks, a new array of
   * those bytes and the chunk's. Returning true takes them all; false has them decoded
   * one by one as usual (a held line first, on its own; then the rest of the chunk is
   * offered again). The block is not checked against `maxLength`: take it only when
   * every line in it is acceptable.
   */
  lines?: (block: Uint8Array) => boolean;
}

/**
 * Decodes LF-terminated lines (CRLF accepted); frames exclude the terminator.
 * `maxLength` counts the line without its terminator; see
 * {@linkcode LineDecoderOptions.lines} for taking many lines at once.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const decoder = lineDecoder();
 * decoder.push(new TextEncoder().encode("hel"), () => {});
 * decoder.push(new TextEncoder().encode("lo\r\nworld\n"), (f) => lines.push(new TextDecoder().decode(f)));
 * // lines: ["hello", "world"]
 * ```
 */
export function lineDecoder(options: LineDecoderOptions = {}): FrameDecoder {
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const block = options.lines;
  const pending = new Pending();
  let skipping = false; // inside an oversize line, discarding up to its LF

  const overflow = (length: number) => {
    if (!options.onOversize) {
      throw new FrameError(
        "oversize",
        `Line of more than ${max} bytes exceeds the limit of ${max} bytes`,
        length,
      );
    }
    options.onOversize(length);
    skipping = true;
    pending.length = 0;
  };

  /**
   * Offers the complete lines from `start` (after any held bytes) to `lines`: the index
   * after them when taken, else -1.
   */
  const offer = (chunk: Uint8Array, start: number): number => {
    const last = chunk.lastIndexOf(LF);
    if (last < start) return -1;
    const lines = chunk.subarray(start, last + 1);
    if (!block!(pending.length === 0 ? lines : pending.with(lines))) return -1;
    pending.clear();
    return last + 1;
  };

  /** Holds the start of a line that the next chunk goes on with. */
  const hold = (rest: Uint8Array) => {
    if (skipping) return;
    // A CR may be the first half of a CRLF split across reads: not counted yet.
    const counted = pending.length + rest.length - (rest[rest.length - 1] === CR ? 1 : 0);
    if (counted > max) return overflow(pending.length + rest.length);
    pending.append(rest);
  };

  /** The line that ends at `lf`: emitted, or the end of one being skipped. */
  const complete = (
    chunk: Uint8Array,
    start: number,
    lf: number,
    emit: (f: Uint8Array) => void,
  ) => {
    if (skipping) {
      skipping = false;
      return;
    }
    const line = pending.length > 0
      ? stripCR(pending.take(chunk.subarray(start, lf)))
      : stripCR(chunk.subarray(start, lf));
    if (line.length > max) {
      overflow(line.length);
      skipping = false; // the oversize line is already complete: nothing to skip
    } else {
      emit(line);
    }
  };

  return {
    push(chunk, emit) {
      let start = 0;
      let offering = block !== undefined;
      while (start < chunk.length) {
        if (offering && !skipping) {
          // Declined with a held line: that line goes on its own, then the rest is offered again.
          offering = pending.length > 0;
          const next = offer(chunk, start);
          if (next >= 0) {
            start = next;
            continue;
          }
        }
        const lf = chunk.indexOf(LF, start);
        if (lf < 0) return hold(chunk.subarray(start));
        complete(chunk, start, lf, emit);
        start = lf + 1;
      }
    },
    finish(emit) {
      if (skipping) {
        skipping = false;
        return;
      }
      if (pending.length > 0) emit(stripCR(pending.take()));
    },
    get buffered() {
      return pending.length;
    },
  };
}

/**
 * A decoder for "header, then payload" framings; `headerSize` bytes are read, then
 * `lengthOf(header)` gives the payload length (or throws `malformed`).
 */
function prefixDecoder(
  headerSize: number,
  lengthOf: (header: Uint8Array) => number,
  skipLimit: number,
  options: DecoderOptions,
): FrameDecoder {
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const header = new Uint8Array(headerSize);
  let headerFill = 0;
  let payload: Uint8Array | undefined; // being filled, when it spans reads
  let payloadFill = 0;
  let skip = 0; // bytes of an oversize payload still to discard

  return {
    push(chunk, emit) {
      let at = 0;
      while (at < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          skip -= n;
          at += n;
          continue;
        }
        if (payload) {
          const n = Math.min(payload.length - payloadFill, chunk.length - at);
          payload.set(chunk.subarray(at, at + n), payloadFill);
          payloadFill += n;
          at += n;
          if (payloadFill === payload.length) {
            const done = payload;
            payload = undefined;
            emit(done);
          }
          continue;
        }
        if (headerFill === 0 && chunk.length - at >= headerSize) {
          header.set(chunk.subarray(at, at + headerSize)); // fast path: whole header here
          headerFill = headerSize;
          at += headerSize;
        } else {
          const n = Math.min(headerSize - headerFill, chunk.length - at);
          header.set(chunk.subarray(at, at + n), headerFill);
          headerFill += n;
          at += n;
          if (headerFill < headerSize) return;
        }
        headerFill = 0;
        const length = lengthOf(header);
        if (length > max) {
          if (!options.onOversize || length > skipLimit) {
            // Over the limit is "oversize"; only in skip mode is a length too large to
            // skip "malformed" (the stream cannot be resynchronised).
            throw new FrameError(
              options.onOversize ? "malformed" : "oversize",
              `Frame length ${length} exceeds the limit of ${max} bytes`,
              length,
            );
          }
          options.onOversize(length);
          skip = length;
          continue;
        }
        if (chunk.length - at >= length) {
          emit(chunk.subarray(at, at + length)); // whole payload in this chunk: no copy
          at += length;
        } else {
          payload = new Uint8Array(length); // allocated only after the limit check
          payloadFill = 0;
        }
      }
    },
    finish() {
      if (headerFill > 0 || payload || skip > 0) {
        const got = payload
          ? `${payloadFill} of ${payload.length} payload bytes`
          : skip > 0
          ? `${skip} bytes short of an oversize frame`
          : `${headerFill} of ${headerSize} header bytes`;
        throw new FrameError("truncated", `Stream ended inside a frame: got ${got}`);
      }
    },
    get buffered() {
      return headerFill + payloadFill;
    },
  };
}

/**
 * Decodes u32 length-prefixed frames: a 4-byte big-endian payload length, then the
 * payload. Zero-length frames are frames.
 *
 * @example
 * ```ts
 * const decoder = lengthPrefixDecoder({ maxLength: 1024 });
 * decoder.push(new Uint8Array([0, 0, 0, 2, 0x68, 0x69]), (f) => console.log(f)); // [0x68, 0x69]
 * ```
 */
export function lengthPrefixDecoder(options: DecoderOptions = {}): FrameDecoder {
  return prefixDecoder(
    4,
    (h) => ((h[0] << 24) >>> 0) + (h[1] << 16) + (h[2] << 8) + h[3],
    U32_SKIP_LIMIT,
    options,
  );
}

/**
 * Parses an ascii8 header: the length in ASCII decimal, padded with spaces (either
 * side is accepted, and a final NUL or zero padding as some lab clients write it).
 *
 * @throws {FrameError} `malformed` for anything else, quoting the header.
 *
 * @example
 * ```ts
 * parseAscii8Header(new TextEncoder().encode("12      ")); // 12
 * ```
 */
export function parseAscii8Header(header: Uint8Array): number {
  let text = "";
  for (const b of header) text += String.fromCharCode(b);
  const digits = text.replace(/[ \0]+$/, "").replace(/^ +/, "");
  if (!/^\d{1,8}$/.test(digits)) {
    throw new FrameError(
      "malformed",
      `Header ${
        JSON.stringify(text)
      } is not an ascii8 length (8 bytes: decimal digits, space-padded)`,
    );
  }
  return Number(digits);
}

/**
 * Decodes ascii8 frames: an 8-byte ASCII decimal length padded with spaces, then the
 * payload.
 *
 * @example
 * ```ts
 * const decoder = ascii8Decoder();
 * decoder.push(new TextEncoder().encode("5       hello"), (f) => console.log(f)); // "hello" bytes
 * ```
 */
export function ascii8Decoder(options: DecoderOptions = {}): FrameDecoder {
  return prefixDecoder(8, parseAscii8Header, 99_999_999, options);
}

function decoderStream(decoder: FrameDecoder): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      // A frame may be a view into `chunk`, which the writer may reuse once this write
      // resolves while the frame still waits in the readable queue: a stream's reader
      // owns its chunks, so views are copied (assembled frames are already owned).
      decoder.push(
        chunk,
        (frame) => controller.enqueue(frame.buffer === chunk.buffer ? frame.slice() : frame),
      );
    },
    flush(controller) {
      decoder.finish((frame) => controller.enqueue(frame));
    },
  });
}

/**
 * A stream of bytes to a stream of lines (without terminators).
 *
 * @example
 * ```ts
 * for await (const line of conn.readable.pipeThrough(decodeLines({ maxLength: 1024 }))) {
 *   console.log(new TextDecoder().decode(line));
 * }
 * ```
 */
export function decodeLines(options: DecoderOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  return decoderStream(lineDecoder(options));
}

/**
 * A stream of bytes to a stream of u32 length-prefixed payloads.
 *
 * @example
 * ```ts
 * for await (const frame of conn.readable.pipeThrough(decodeLengthPrefixed({ maxLength: 65536 }))) {
 *   console.log(JSON.parse(new TextDecoder().decode(frame)));
 * }
 * ```
 */
export function decodeLengthPrefixed(
  options: DecoderOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  return decoderStream(lengthPrefixDecoder(options));
}

/**
 * A stream of bytes to a stream of ascii8 payloads.
 *
 * @example
 * ```ts
 * for await (const message of conn.readable.pipeThrough(decodeAscii8())) {
 *   console.log(new TextDecoder().decode(message));
 * }
 * ```
 */
export function decodeAscii8(
  options: DecoderOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  return decoderStream(ascii8Decoder(options));
}

const encoder = new TextEncoder();

function bytesOf(payload: Uint8Array | string): Uint8Array {
  return typeof payload === "string" ? encoder.encode(payload) : payload;
}

/**
 * One line: the payload and an LF (CRLF with `crlf`).
 *
 * @throws {FrameError} `malformed` when the payload holds an LF.
 *
 * @example
 * ```ts
 * lineFrame("hi"); // Uint8Array [0x68, 0x69, 0x0a]
 * ```
 */
export function lineFrame(
  payload: Uint8Array | string,
  options: { crlf?: boolean } = {},
): Uint8Array {
  const bytes = bytesOf(payload);
  if (bytes.includes(LF)) throw new FrameError("malformed", "A line cannot contain LF");
  const out = new Uint8Array(bytes.length + (options.crlf ? 2 : 1));
  out.set(bytes);
  if (options.crlf) out[bytes.length] = CR;
  out[out.length - 1] = LF;
  return out;
}

/**
 * One u32 length-prefixed frame.
 *
 * @example
 * ```ts
 * lengthPrefixFrame("hi"); // Uint8Array [0, 0, 0, 2, 0x68, 0x69]
 * ```
 */
export function lengthPrefixFrame(payload: Uint8Array | string): Uint8Array {
  const bytes = bytesOf(payload);
  if (bytes.length > 0xffff_ffff) {
    throw new FrameError("oversize", `Payload of ${bytes.length} bytes does not fit a u32 length`);
  }
  const out = new Uint8Array(4 + bytes.length);
  out.set(lengthPrefixHeader(bytes.length));
  out.set(bytes, 4);
  return out;
}

/**
 * The 4-byte header of a u32 length-prefixed frame of `length` bytes (for a payload
 * sent in parts).
 *
 * @example
 * ```ts
 * lengthPrefixHeader(258); // Uint8Array [0, 0, 1, 2]
 * ```
 */
export function lengthPrefixHeader(length: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, length);
  return out;
}

/**
 * The 8-byte header of an ascii8 frame of `length` bytes (for a payload sent in parts).
 *
 * @example
 * ```ts
 * new TextDecoder().decode(ascii8Header(12)); // "12      "
 * ```
 */
export function ascii8Header(length: number): Uint8Array {
  return encoder.encode(String(length).padEnd(8, " "));
}

/**
 * One ascii8 frame: the length left-aligned in 8 ASCII characters, then the payload.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(ascii8Frame("hello")); // "5       hello"
 * ```
 */
export function ascii8Frame(payload: Uint8Array | string): Uint8Array {
  const bytes = bytesOf(payload);
  if (bytes.length > 99_999_999) {
    throw new FrameError(
      "oversize",
      `Payload of ${bytes.length} bytes does not fit ascii8's 8 digits`,
    );
  }
  const out = new Uint8Array(8 + bytes.length);
  out.set(ascii8Header(bytes.length));
  out.set(bytes, 8);
  return out;
}

function encoderStream(
  frame: (payload: Uint8Array) => Uint8Array,
): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform: (payload, controller) => controller.enqueue(frame(payload)),
  });
}

/**
 * A stream of payloads to a stream of LF-terminated lines.
 *
 * @example
 * ```ts
 * ReadableStream.from([new TextEncoder().encode("hi")]).pipeThrough(encodeLines({ crlf: true })); // "hi\r\n"
 * ```
 */
export function encodeLines(
  options: { crlf?: boolean } = {},
): TransformStream<Uint8Array, Uint8Array> {
  return encoderStream((p) => lineFrame(p, options));
}

/**
 * A stream of payloads to a stream of u32 length-prefixed frames.
 *
 * @example
 * ```ts
 * ReadableStream.from([new TextEncoder().encode("hi")]).pipeThrough(encodeLengthPrefixed()); // 00 00 00 02 68 69
 * ```
 */
export function encodeLengthPrefixed(): TransformStream<Uint8Array, Uint8Array> {
  return encoderStream(lengthPrefixFrame);
}

/**
 * A stream of payloads to a stream of ascii8 frames.
 *
 * @example
 * ```ts
 * ReadableStream.from([new TextEncoder().encode("hi")]).pipeThrough(encodeAscii8()); // "2       hi"
 * ```
 */
export function encodeAscii8(): TransformStream<Uint8Array, Uint8Array> {
  return encoderStream(ascii8Frame);
}

/** The three framings by name, each as its decoder factory and its one-frame encoder. */
export const framings = {
  lines: { decoder: lineDecoder, frame: (p: Uint8Array | string) => lineFrame(p) },
  u32: { decoder: lengthPrefixDecoder, frame: lengthPrefixFrame },
  ascii8: { decoder: ascii8Decoder, frame: ascii8Frame },
} as const;

/** A framing's name. */
export type FramingName = keyof typeof framings;
