/**
 * The terminal side of `chat-join`'s interactive mode: raw mode on and off, keys read
 * from stdin into the line editor, and the one rule that keeps the screen readable —
 * every incoming line is printed *above* the input line, which is then drawn again
 * with what was typed so far, all in one write, so an arriving message never garbles
 * a half-typed line.
 *
 * What differs between operating systems is decided in one place,
 * {@linkcode terminalPlan}, from `io.os`, so each branch is unit-tested on any OS.
 *
 * @module
 */

import type { Io } from "../../lib/io.ts";
import {
  createEditor,
  type EditorAction,
  type EditorState,
  feed,
  type LineLayout,
  lineLayout,
  lineText,
  reflowedRowsAbove,
  renderLine,
} from "./line_editor.ts";

/** How the terminal is driven on one OS. */
export interface TerminalPlan {
  /**
   * What `Deno.stdin.setRaw(true)` does there. `termios` (Linux, macOS, BSDs): echo,
   * canonical mode and ISIG off, so Ctrl-C arrives as the byte 0x03 rather than as
   * SIGINT. `console` (Windows): line input, echo and processed input off, which also
   * delivers Ctrl-C as 0x03; cbreak mode does not exist there (Deno throws), so it is
   * never asked for, and Backspace arrives as BS (0x08), which the editor takes as
   * Backspace everywhere.
   */
  rawMode: "termios" | "console";
  /**
   * The signal that tells of a window resize, where the OS has one (Windows has no
   * SIGWINCH: there the width is read again at every redraw, which is all a resize
   * needs).
   */
  resizeSignal?: "SIGWINCH";
  /** Environment variables that hold the login name, in the order to try. */
  userVariables: string[];
}

/**
 * The plan for `os`.
 *
 * @example
 * ```ts
 * terminalPlan("windows").resizeSignal; // undefined
 * terminalPlan("linux").userVariables; // ["USER", "LOGNAME"]
 * ```
 */
export function terminalPlan(os: typeof Deno.build.os): TerminalPlan {
  if (os === "windows") {
    return { rawMode: "console", userVariables: ["USERNAME", "USER"] };
  }
  return { rawMode: "termios", resizeSignal: "SIGWINCH", userVariables: ["USER", "LOGNAME"] };
}

/**
 * The terminal's width, or 80 where it cannot be asked.
 *
 * @example
 * ```ts
 * const term = new Terminal(systemIo(), { columns: consoleColumns });
 * ```
 */
export function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** Options of {@linkcode Terminal}. */
export interface TerminalOptions {
  /** Shown before the input line; may hold colors. */
  prompt?: string;
  /** The terminal's width, asked at every redraw. Default: the console's. */
  columns?: () => number;
  /**
   * Calls `redraw` whenever the window is resized; returns the unsubscribe function.
   * Default: the plan's resize signal, where there is one.
   */
  onResize?: (redraw: () => void) => () => void;
  /** Lines already in the history (Up recalls them). */
  history?: readonly string[];
}

const CLEAR_LINE = "\r\x1b[K";
const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/**
 * An interactive terminal: raw mode, the line editor, and printing above the input
 * line. Stdin must be a terminal (`io.stdin.setRaw` present).
 *
 * @example
 * ```ts
 * const term = new Terminal(systemIo(), { prompt: "> " });
 * term.start();
 * try {
 *   term.print("bob: hi");
 *   const action = await term.next(); // { type: "submit", line: "hello" }
 * } finally {
 *   term.stop();
 * }
 * ```
 */
export class Terminal {
  readonly plan: TerminalPlan;
  #io: Pick<Io, "stdin" | "stdout" | "os">;
  #state: EditorState;
  #prompt: string;
  #columns: () => number;
  #onResize?: (redraw: () => void) => () => void;
  #unsubscribeResize?: () => void;
  #queue: EditorAction[] = [];
  #wake?: () => void;
  #next?: Promise<EditorAction>;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  #reading?: Promise<void>;
  #active = false;
  /** The input line as last drawn, and the width it was drawn for. */
  #drawn?: { layout: LineLayout; columns: number };

  constructor(io: Pick<Io, "stdin" | "stdout" | "os">, options: TerminalOptions = {}) {
    this.#io = io;
    this.plan = terminalPlan(io.os);
    this.#state = createEditor({ history: options.history });
    this.#prompt = options.prompt ?? "";
    this.#columns = options.columns ?? consoleColumns;
    this.#onResize = options.onResize ?? this.#signalResize();
  }

  /** Enters raw mode, draws the prompt and starts reading keys. */
  start(): void {
    if (this.#active) return;
    this.#io.stdin.setRaw?.(true);
    this.#active = true;
    this.#unsubscribeResize = this.#onResize?.(() => this.redraw());
    this.redraw();
    this.#reading = this.#read();
  }

  /**
   * Clears the input line, leaves raw mode and stops reading keys; safe to call more
   * than once. Call it in a `finally`: a terminal left in raw mode is unusable.
   */
  stop(): Promise<void> {
    if (this.#active) {
      this.#active = false;
      this.#unsubscribeResize?.();
      try {
        this.#io.stdout.write(CLEAR_LINE);
      } finally {
        try {
          this.#io.stdin.setRaw?.(false);
        } catch { /* the terminal is gone: nothing to restore */ }
      }
      this.#reader?.cancel().catch(() => {});
    }
    return this.#reading ?? Promise.resolve();
  }

  /** The line typed so far. */
  get line(): string {
    return lineText(this.#state);
  }

  /** The prompt. */
  get prompt(): string {
    return this.#prompt;
  }

  /** Changes the prompt (after a rename, say) and draws the line again. */
  setPrompt(prompt: string): void {
    if (prompt === this.#prompt) return;
    this.#prompt = prompt;
    this.redraw();
  }

  /**
   * Prints `text` (one or more lines) above the input line, then draws the input line
   * again, in one write.
   */
  print(text: string): void {
    const lines = text.replace(/\n$/, "").split("\n");
    if (!this.#active) {
      this.#io.stdout.write(lines.join("\n") + "\n");
      return;
    }
    // Raw mode may turn off output processing: end lines with CR LF ourselves.
    const columns = this.#columns();
    this.#io.stdout.write(
      this.#home(columns) + CLEAR_LINE + lines.join("\r\n") + "\r\n" + this.#render(columns),
    );
  }

  /** Draws the input line again (after a resize, a prompt change, Ctrl-L). */
  redraw(): void {
    if (!this.#active) return;
    const columns = this.#columns();
    this.#io.stdout.write(this.#home(columns) + this.#render(columns));
  }

  /**
   * After the terminal was narrowed (a resize event, or on Windows just a new width),
   * a reflowing terminal shows the old input line wrapped over several rows: go up to
   * its first row and erase to the end of the screen, so the redraw leaves no stale
   * copy of it. (A terminal that truncates instead, like xterm, loses up to that many
   * rows of messages above the line from the screen: the price of not leaving a stale
   * line on the far more common reflowing ones.)
   */
  #home(columns: number): string {
    const drawn = this.#drawn;
    if (!drawn || drawn.columns === columns || drawn.layout.width <= columns) return "";
    // Rows below the cursor's may hold the line's end: erase them too.
    const up = reflowedRowsAbove(drawn.layout, columns);
    return (up > 0 ? `\x1b[${up}A` : "") + "\r\x1b[J";
  }

  /**
   * The next thing the user did: submitted a line, Ctrl-C, or Ctrl-D on an empty line
   * (also the end of stdin). Calling it again before it resolves returns the same
   * promise, so racing it against other events never loses a key.
   */
  next(): Promise<EditorAction> {
    this.#next ??= this.#take().finally(() => this.#next = undefined);
    return this.#next;
  }

  async #take(): Promise<EditorAction> {
    while (this.#queue.length === 0) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    return this.#queue.shift()!;
  }

  #push(action: EditorAction): void {
    this.#queue.push(action);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #render(columns: number): string {
    const options = { prompt: this.#prompt, columns };
    this.#drawn = { layout: lineLayout(this.#state, options), columns };
    return renderLine(this.#state, options);
  }

  async #read(): Promise<void> {
    const reader = this.#io.stdin.readable.getReader();
    this.#reader = reader;
    try {
      while (this.#active) {
        const { value, done } = await reader.read();
        if (done || !this.#active) break;
        const result = feed(this.#state, value);
        this.#state = result.state;
        let draw = result.changed;
        for (const action of result.actions) {
          if (action.type === "clear") {
            this.#io.stdout.write(CLEAR_SCREEN);
            draw = true;
          } else {
            this.#push(action);
          }
        }
        if (draw) this.redraw();
      }
    } catch {
      // stdin failed (the terminal went away): the same as its end
    } finally {
      reader.releaseLock();
      this.#push({ type: "eof" });
    }
  }

  #signalResize(): ((redraw: () => void) => () => void) | undefined {
    const signal = this.plan.resizeSignal;
    if (!signal) return undefined;
    return (redraw) => {
      try {
        Deno.addSignalListener(signal, redraw);
      } catch {
        return () => {}; // not allowed here: the next redraw picks up the width anyway
      }
      return () => Deno.removeSignalListener(signal, redraw);
    };
  }
}
