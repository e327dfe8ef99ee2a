/**
 * What a command prints. In human mode results go to stdout as text and logs to
 * stderr; with `--json` every stdout line is one JSON object (NDJSON) and logs become
 * events on stdout too (README, "Every command"). Colors only on a terminal, never with
 * `NO_COLOR` or `--no-color`.
 *
 * @module
 */

import type { Io } from "./io.ts";

/** The fields of a JSON event, besides `event`. */
export type Fields = Record<string, unknown>;

/** ANSI styling that turns into plain text when colors are off. */
export interface Paint {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  /** A color picked from the name's hash, stable across runs and clients. */
  byName(name: string, text?: string): string;
}

/** A command's printer, made by {@linkcode createOutput}. */
export interface Output {
  readonly json: boolean;
  readonly paint: Paint;
  /**
   * A result: `human` on stdout in human mode, `{"event": event, ...fields}` on
   * stdout with `--json`. Pass `human` undefined to print nothing in human mode.
   */
  result(event: string, fields: Fields, human?: string): void;
  /** A log line: `human` on stderr in human mode, an event on stdout with `--json`. */
  log(event: string, fields: Fields, human?: string): void;
  /** Text on stderr in both modes (warnings, trace dumps); never on stdout. */
  note(text: string): void;
}

/** Options of {@linkcode createOutput}. */
export interface OutputOptions {
  json?: boolean;
  /** `--no-color` was given. */
  noColor?: boolean;
}

/**
 * Whether to color the text on a sink: only a terminal, and neither `NO_COLOR`
 * (any non-empty value, per no-color.org) nor `--no-color`.
 *
 * @example
 * ```ts
 * useColor({ isTerminal: true, noColor: false, noColorEnv: "1" }); // false
 * ```
 */
export function useColor(
  options: { isTerminal: boolean; noColor: boolean; noColorEnv?: string },
): boolean {
  return options.isTerminal && !options.noColor && !options.noColorEnv;
}

const PALETTE = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/**
 * Makes a {@linkcode Paint}; with `enabled` false every function returns its input.
 *
 * @example
 * ```ts
 * makePaint(true).red("lost"); // "\x1b[31mlost\x1b[0m"
 * makePaint(false).red("lost"); // "lost"
 * ```
 */
export function makePaint(enabled: boolean): Paint {
  const sgr = (code: number | string) => (text: string) =>
    enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
  return {
    enabled,
    bold: sgr(1),
    dim: sgr(2),
    red: sgr(31),
    green: sgr(32),
    yellow: sgr(33),
    cyan: sgr(36),
    byName(name, text = name) {
      let hash = 2166136261;
      for (const ch of name.toLowerCase()) hash = Math.imul(hash ^ ch.codePointAt(0)!, 16777619);
      return sgr(PALETTE[(hash >>> 0) % PALETTE.length])(text);
    },
  };
}

/**
 * Makes a command's printer.
 *
 * @example
 * ```ts
 * const out = createOutput(systemIo(), { json: true });
 * out.result("listening", { transport: "tcp", host: "127.0.0.1", port: 7 }, "listening on tcp 127.0.0.1:7");
 * ```
 */
export function createOutput(io: Io, options: OutputOptions = {}): Output {
  const json = options.json ?? false;
  const isTerminal = json ? false : io.stdout.isTerminal;
  const noColor = options.noColor ?? false;
  const paint = makePaint(useColor({
    isTerminal,
    noColor,
    // Asked only where it can matter: reading NO_COLOR means a permission query first
    // (lib/io.ts), part of a millisecond at every client start (issue 10).
    noColorEnv: isTerminal && !noColor ? io.env("NO_COLOR") : undefined,
  }));
  const emit = (event: string, fields: Fields) =>
    io.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
  return {
    json,
    paint,
    result(event, fields, human) {
      if (json) emit(event, fields);
      else if (human !== undefined) io.stdout.write(human + "\n");
    },
    log(event, fields, human) {
      if (json) emit(event, fields);
      else if (human !== undefined) io.stderr.write(human + "\n");
    },
    note(text) {
      io.stderr.write(text.endsWith("\n") ? text : text + "\n");
    },
  };
}
