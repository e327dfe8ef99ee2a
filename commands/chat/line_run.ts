/**
 * The chat server's hot path for a paste or a flood from a line client: a read's
 * complete lines, when every one is an ordinary message (printable ASCII or tabs, not a
 * command, not blank, not over the text limit), checked and written as line clients see
 * them (`alice: text` each) in one pass of a small WebAssembly function
 * (`line_run.wat`). A thousand-line burst is often the first thing a server sees, before
 * JavaScript's own byte loops and regular expressions are compiled; the WebAssembly
 * function is fast from its first call, and {@linkcode warmUpLineRuns} has it compiled
 * fully before any client comes.
 *
 * @module
 */

import { LINE_RUN_WASM } from "./line_run_wasm.ts";

/** A block of lines as line clients see them, from {@linkcode prefixLines}. */
export interface LineRun {
  /** `prefix` + text + LF for each line. */
  line: Uint8Array;
  /** How many lines. */
  count: number;
}

interface Kernel {
  memory: WebAssembly.Memory;
  count: WebAssembly.Global;
  prefixLines(
    input: number,
    length: number,
    prefix: number,
    prefixLength: number,
    out: number,
    outEnd: number,
    maxText: number,
  ): number;
}

let kernel: Kernel | undefined;

function load(): Kernel {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(LINE_RUN_WASM as BufferSource));
  return instance.exports as unknown as Kernel;
}

/** What the WebAssembly function returns for "not every line is ordinary". */
const NOT_ORDINARY = -1;
/** ... and for "the output may not fit": the memory grows and the call is made again. */
const NO_ROOM = -2;
const PAGE = 64 * 1024;

/**
 * `lines` (each ended by LF) as line clients see them said by a sender whose prefix is
 * `prefix` (`alice: ` as bytes), or undefined when any line is not an ordinary message:
 * a byte other than printable ASCII or tab (CR, control bytes, UTF-8), a leading `/`,
 * nothing but spaces and tabs, or more than `maxText` bytes before its LF. Those reads
 * are for the general path, line by line.
 *
 * @example
 * ```ts
 * const prefix = new TextEncoder().encode("alice: ");
 * const run = prefixLines(new TextEncoder().encode("hi\nthere\n"), prefix, 100);
 * new TextDecoder().decode(run!.line); // "alice: hi\nalice: there\n"; run!.count: 2
 * prefixLines(new TextEncoder().encode("/who\n"), prefix, 100); // undefined
 * ```
 */
export function prefixLines(
  lines: Uint8Array,
  prefix: Uint8Array,
  maxText: number,
): LineRun | undefined {
  const k = kernel ??= load();
  const out = lines.length + prefix.length; // input, then the prefix, then the output
  // Enough room for the common case: the input once more, plus a prefix every 16 bytes.
  reserve(k.memory, out + lines.length + (lines.length >> 4) * prefix.length + PAGE);
  for (;;) {
    const memory = new Uint8Array(k.memory.buffer);
    memory.set(lines, 0);
    memory.set(prefix, lines.length);
    const n = k.prefixLines(
      0,
      lines.length,
      lines.length,
      prefix.length,
      out,
      memory.length,
      maxText,
    );
    if (n === NOT_ORDINARY) return undefined;
    if (n !== NO_ROOM) return { line: memory.slice(out, out + n), count: k.count.value as number };
    // The most there can be: every line one character and its LF.
    reserve(k.memory, out + lines.length + ((lines.length >> 1) + 1) * prefix.length);
  }
}

function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/**
 * Runs {@linkcode prefixLines} over enough made-up lines that the engine compiles it
 * with its optimizing tier (a few milliseconds, once per process): call it when a
 * server starts, so that the first burst does not pay for that.
 *
 * @example
 * ```ts
 * warmUpLineRuns(); // before the first client
 * ```
 */
export function warmUpLineRuns(): void {
  const lines = new TextEncoder().encode("warming up the line fast path\n".repeat(1024));
  const prefix = new TextEncoder().encode("warm: ");
  for (let i = 0; i < WARM_UP_ROUNDS; i++) prefixLines(lines, prefix, 1024);
}

/** Rounds of {@linkcode warmUpLineRuns} (of 30 KiB each) after which V8 has tiered up. */
const WARM_UP_ROUNDS = 16;
