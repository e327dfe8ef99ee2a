/**
 * The line editor of `chat-join`, as a pure state machine: bytes typed on a terminal in
 * raw mode go in ({@linkcode feed}), a new {@linkcode EditorState} and the
 * {@linkcode EditorAction}s they caused come out, and {@linkcode renderLine} turns a
 * state into the exact bytes that draw the input line. Nothing here touches a
 * terminal, so every key, every split of an escape sequence and every UTF-8 sequence is
 * unit-testable; `terminal.ts` does the I/O.
 *
 * Keys (readline's, where readline has one):
 *
 * | key | does |
 * |---|---|
 * | printable text (any UTF-8) | insert at the cursor |
 * | Enter (CR, LF, CRLF) | submit the line |
 * | Backspace (DEL 0x7f, BS 0x08 on Windows) | delete before the cursor |
 * | Delete (`ESC [3~`) | delete under the cursor |
 * | Left / Right, Ctrl-B / Ctrl-F | move one character |
 * | Ctrl-Left / Ctrl-Right, Alt-B / Alt-F | move one word |
 * | Home / End, Ctrl-A / Ctrl-E | start / end of the line |
 * | Up / Down, Ctrl-P / Ctrl-N | older / newer history entry (the draft is kept) |
 * | Ctrl-U | delete from the start of the line to the cursor |
 * | Ctrl-K | delete from the cursor to the end of the line |
 * | Ctrl-W, Alt-Backspace | delete the word before the cursor |
 * | Alt-D | delete the word after the cursor |
 * | Ctrl-L | clear the screen |
 * | Ctrl-C | interrupt (leave) |
 * | Ctrl-D | on an empty line: end of input (leave); else delete under the cursor |
 * | Tab | insert a space (a tab's width depends on the column, the line's would not) |
 *
 * An escape sequence or a UTF-8 character split across reads is held until its end
 * arrives. A lone ESC waits for the next byte: ESC followed by a key that has no Alt
 * meaning is dropped and the key acts as itself, so no typing is ever lost.
 *
 * @module
 */

/** A key, decoded from the bytes a terminal sends. */
export type Key =
  | { kind: "insert"; text: string }
  | {
    kind:
      | "enter"
      | "backspace"
      | "delete"
      | "left"
      | "right"
      | "wordLeft"
      | "wordRight"
      | "home"
      | "end"
      | "up"
      | "down"
      | "killBefore"
      | "killAfter"
      | "killWordBefore"
      | "killWordAfter"
      | "clearScreen"
      | "interrupt"
      | "eofOrDelete";
  };

/** What a key asks of the program around the editor. */
export type EditorAction =
  /** Enter: the line typed (the editor is empty again and the line is in history). */
  | { type: "submit"; line: string }
  /** Ctrl-C. */
  | { type: "interrupt" }
  /** Ctrl-D on an empty line. */
  | { type: "eof" }
  /** Ctrl-L: clear the screen, then draw the line again. */
  | { type: "clear" };

/** The editor's whole state. Treat it as immutable: {@linkcode feed} returns a new one. */
export interface EditorState {
  /** The line, one code point per element. */
  readonly chars: readonly string[];
  /** Where the cursor is: an index into `chars` (0 … chars.length). */
  readonly cursor: number;
  /** Submitted lines, oldest first. */
  readonly history: readonly string[];
  /** Which history entry is shown; `history.length` while editing a new line. */
  readonly historyIndex: number;
  /** The new line being typed when browsing history began, to come back to. */
  readonly draft: readonly string[];
  /** Bytes of an escape sequence or UTF-8 character still waiting for their end. */
  readonly pending: readonly number[];
  /** The last byte was CR: a LF right after it is the same Enter (CRLF). */
  readonly afterCR: boolean;
  /** The most history entries kept. */
  readonly historyLimit: number;
}

/** The result of {@linkcode feed} and {@linkcode applyKey}. */
export interface FeedResult {
  state: EditorState;
  actions: EditorAction[];
  /** Whether the input line looks different now, so it must be drawn again. */
  changed: boolean;
}

/**
 * An empty editor.
 *
 * @example
 * ```ts
 * const editor = createEditor({ history: ["/who"] });
 * editor.historyIndex; // 1
 * ```
 */
export function createEditor(
  options: { history?: readonly string[]; historyLimit?: number } = {},
): EditorState {
  const historyLimit = options.historyLimit ?? 500;
  const history = (options.history ?? []).slice(-historyLimit);
  return {
    chars: [],
    cursor: 0,
    history,
    historyIndex: history.length,
    draft: [],
    pending: [],
    afterCR: false,
    historyLimit,
  };
}

/** The line in the editor as a string. */
export function lineText(state: EditorState): string {
  return state.chars.join("");
}

/**
 * Feeds the bytes of one read from the terminal to the editor.
 *
 * @example
 * ```ts
 * const enc = new TextEncoder();
 * let { state } = feed(createEditor(), enc.encode("helo"));
 * ({ state } = feed(state, enc.encode("\x1b[D"))); // Left
 * const r = feed(state, enc.encode("l\r"));
 * r.actions; // [{ type: "submit", line: "hello" }]
 * ```
 */
export function feed(state: EditorState, bytes: Uint8Array): FeedResult {
  const { keys, pending, afterCR } = decodeKeys(state.pending, bytes, state.afterCR);
  let current: EditorState = { ...state, pending, afterCR };
  const actions: EditorAction[] = [];
  let changed = false;
  for (const key of keys) {
    const next = applyKey(current, key);
    current = next.state;
    actions.push(...next.actions);
    changed ||= next.changed;
  }
  return { state: current, actions, changed };
}

// ---------------------------------------------------------------------------------------
// Bytes → keys

const ESC = 0x1b;
/** Longest escape sequence held; a longer one is garbage and dropped. */
const MAX_SEQUENCE = 32;

const CONTROL_KEYS: Record<number, Key["kind"]> = {
  0x01: "home", // Ctrl-A
  0x02: "left", // Ctrl-B
  0x03: "interrupt", // Ctrl-C
  0x04: "eofOrDelete", // Ctrl-D
  0x05: "end", // Ctrl-E
  0x06: "right", // Ctrl-F
  0x08: "backspace", // BS: Backspace on Windows consoles, Ctrl-H elsewhere
  0x0b: "killAfter", // Ctrl-K
  0x0c: "clearScreen", // Ctrl-L
  0x0e: "down", // Ctrl-N
  0x10: "up", // Ctrl-P
  0x15: "killBefore", // Ctrl-U
  0x17: "killWordBefore", // Ctrl-W
  0x7f: "backspace", // DEL: Backspace on most terminals
};

/** Final bytes of `ESC [ ... X` and `ESC O X` sequences without a number. */
const FINAL_KEYS: Record<string, Key["kind"]> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

/** `ESC [ N ~` sequences (vt220 keypad). */
const TILDE_KEYS: Record<string, Key["kind"]> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "3": "delete",
};

/** Alt (Meta) + key, sent as ESC then the key. */
const ALT_KEYS: Record<number, Key["kind"]> = {
  0x62: "wordLeft", // b
  0x66: "wordRight", // f
  0x64: "killWordAfter", // d
  0x7f: "killWordBefore", // Backspace
  0x08: "killWordBefore",
};

/** The result of {@linkcode decodeKeys}. */
export interface DecodedKeys {
  keys: Key[];
  /** Bytes of an unfinished sequence, to pass back with the next read. */
  pending: number[];
  afterCR: boolean;
}

/**
 * Decodes terminal input into keys. `pending` holds the unfinished end of the previous
 * read (an escape sequence or UTF-8 character split across reads); `afterCR` whether
 * that read ended with CR. Invalid UTF-8 becomes U+FFFD.
 *
 * @example
 * ```ts
 * const first = decodeKeys([], new Uint8Array([0x1b, 0x5b]), false); // ESC [
 * first.keys; // []
 * decodeKeys(first.pending, new Uint8Array([0x41]), false).keys; // [{ kind: "up" }]
 * ```
 */
export function decodeKeys(
  pending: readonly number[],
  bytes: Uint8Array,
  afterCR: boolean,
): DecodedKeys {
  const keys: Key[] = [];
  let text = "";
  const flushText = () => {
    if (text !== "") keys.push({ kind: "insert", text });
    text = "";
  };
  const push = (kind: Key["kind"]) => {
    flushText();
    keys.push({ kind } as Key);
  };
  const input = pending.length > 0 ? [...pending, ...bytes] : bytes;
  let i = 0;
  while (i < input.length) {
    const b = input[i];
    const wasCR = afterCR;
    afterCR = false;
    if (b === ESC) {
      const seq = escapeSequence(input, i);
      if (seq === undefined) return done(input.slice(i)); // wait for the rest
      if (seq.key) push(seq.key);
      i += seq.length;
      continue;
    }
    if (b >= 0x80) {
      const ch = utf8Char(input, i);
      if (ch === undefined) return done(input.slice(i)); // wait for the rest
      text += ch.text;
      i += ch.length;
      continue;
    }
    i++;
    if (b === 0x0d || b === 0x0a) {
      if (b === 0x0a && wasCR) continue; // the LF of a CRLF
      afterCR = b === 0x0d;
      push("enter");
    } else if (b === 0x09) {
      text += " ";
    } else if (b < 0x20 || b === 0x7f) {
      const kind = CONTROL_KEYS[b];
      if (kind) push(kind);
    } else {
      text += String.fromCharCode(b);
    }
  }
  return done([]);

  function done(rest: ArrayLike<number>): DecodedKeys {
    flushText();
    return { keys, pending: Array.from(rest), afterCR };
  }
}

/**
 * The escape sequence starting at `input[at]` (an ESC): its length and key (none for a
 * sequence that means nothing here), or undefined when it is not complete yet.
 */
function escapeSequence(
  input: ArrayLike<number>,
  at: number,
): { length: number; key?: Key["kind"] } | undefined {
  if (at + 1 >= input.length) return undefined;
  const second = input[at + 1];
  if (second === 0x5b /* [ */) return csi(input, at);
  if (second === 0x4f /* O */) {
    if (at + 2 >= input.length) return undefined;
    return { length: 3, key: FINAL_KEYS[String.fromCharCode(input[at + 2])] };
  }
  const alt = ALT_KEYS[second];
  if (alt) return { length: 2, key: alt };
  // ESC ESC, or ESC before a key with no Alt meaning: drop the ESC, keep the key.
  return { length: 1 };
}

/** `ESC [ params intermediates final`, per ECMA-48. */
function csi(
  input: ArrayLike<number>,
  at: number,
): { length: number; key?: Key["kind"] } | undefined {
  let params = "";
  for (let j = at + 2; j < input.length; j++) {
    const b = input[j];
    const length = j - at + 1;
    if (b >= 0x40 && b <= 0x7e) return { length, key: csiKey(params, String.fromCharCode(b)) };
    if (b < 0x20 || b > 0x3f || length >= MAX_SEQUENCE) {
      // Not a CSI after all (a control key or garbage): drop what was read so far and
      // go on with this byte.
      return { length: length - 1 };
    }
    params += String.fromCharCode(b);
  }
  return undefined; // wait for the rest
}

function csiKey(params: string, final: string): Key["kind"] | undefined {
  const [first = "", modifier = ""] = params.split(";");
  if (final === "~") return TILDE_KEYS[first];
  const key = FINAL_KEYS[final];
  // xterm: ESC [ 1 ; 5 C is Ctrl-Right (5 = Ctrl, 3 = Alt).
  if ((modifier === "5" || modifier === "3") && (key === "left" || key === "right")) {
    return key === "left" ? "wordLeft" : "wordRight";
  }
  return key;
}

/**
 * The UTF-8 character starting at `input[at]` (a byte ≥ 0x80), or undefined when its
 * continuation bytes have not all arrived. Invalid sequences (stray continuation
 * bytes, overlong forms, surrogates, beyond U+10FFFF) give U+FFFD.
 */
function utf8Char(
  input: ArrayLike<number>,
  at: number,
): { text: string; length: number } | undefined {
  const lead = input[at];
  const size = lead >= 0xc2 && lead <= 0xdf
    ? 2
    : lead >= 0xe0 && lead <= 0xef
    ? 3
    : lead >= 0xf0 && lead <= 0xf4
    ? 4
    : 0;
  if (size === 0) return { text: "\ufffd", length: 1 };
  let cp = lead & (0x7f >> size);
  for (let k = 1; k < size; k++) {
    if (at + k >= input.length) return undefined;
    const b = input[at + k];
    if ((b & 0xc0) !== 0x80) return { text: "\ufffd", length: k }; // cut short
    cp = (cp << 6) | (b & 0x3f);
  }
  const min = [0, 0, 0x80, 0x800, 0x10000][size];
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return { text: "\ufffd", length: size };
  }
  return { text: String.fromCodePoint(cp), length: size };
}

// ---------------------------------------------------------------------------------------
// Keys → state

/** The keys that only move the cursor, and where each moves it to. */
const MOVES = {
  left: (_chars: readonly string[], at: number) => Math.max(0, at - 1),
  right: (chars: readonly string[], at: number) => Math.min(chars.length, at + 1),
  wordLeft: (chars: readonly string[], at: number) => wordStartBefore(chars, at, isWordChar),
  wordRight: (chars: readonly string[], at: number) => wordEndAfter(chars, at),
  home: () => 0,
  end: (chars: readonly string[]) => chars.length,
};

/** A line after a key that deletes: its characters and cursor. */
interface Cut {
  chars: readonly string[];
  cursor: number;
}

/** The keys that delete, and what each leaves (undefined: nothing to delete there). */
const CUTS = {
  backspace: (chars: readonly string[], at: number): Cut | undefined =>
    at === 0
      ? undefined
      : { chars: [...chars.slice(0, at - 1), ...chars.slice(at)], cursor: at - 1 },
  delete: (chars: readonly string[], at: number): Cut | undefined =>
    at === chars.length
      ? undefined
      : { chars: [...chars.slice(0, at), ...chars.slice(at + 1)], cursor: at },
  killBefore: (chars: readonly string[], at: number): Cut | undefined =>
    at === 0 ? undefined : { chars: chars.slice(at), cursor: 0 },
  killAfter: (chars: readonly string[], at: number): Cut | undefined =>
    at === chars.length ? undefined : { chars: chars.slice(0, at), cursor: at },
  killWordBefore: (chars: readonly string[], at: number): Cut | undefined => {
    const from = wordStartBefore(chars, at, (c) => !/\s/u.test(c));
    return from === at
      ? undefined
      : { chars: [...chars.slice(0, from), ...chars.slice(at)], cursor: from };
  },
  killWordAfter: (chars: readonly string[], at: number): Cut | undefined => {
    const to = wordEndAfter(chars, at);
    return to === at
      ? undefined
      : { chars: [...chars.slice(0, at), ...chars.slice(to)], cursor: at };
  },
};

function isMove(kind: Key["kind"]): kind is keyof typeof MOVES {
  return Object.hasOwn(MOVES, kind);
}

/**
 * Applies one key to the editor.
 *
 * @example
 * ```ts
 * const { state } = applyKey(createEditor(), { kind: "insert", text: "hi" });
 * lineText(state); // "hi"
 * ```
 */
export function applyKey(state: EditorState, key: Key): FeedResult {
  const { chars, cursor } = state;
  const same: FeedResult = { state, actions: [], changed: false };
  switch (key.kind) {
    case "insert": {
      const add = [...key.text];
      const next = [...chars.slice(0, cursor), ...add, ...chars.slice(cursor)];
      return typed(state, { chars: next, cursor: cursor + add.length });
    }
    case "eofOrDelete":
      if (chars.length === 0) return { state, actions: [{ type: "eof" }], changed: false };
      return applyKey(state, { kind: "delete" });
    case "up":
      return showHistory(state, state.historyIndex - 1);
    case "down":
      return showHistory(state, state.historyIndex + 1);
    case "enter":
      return submit(state);
    case "clearScreen":
      return { state, actions: [{ type: "clear" }], changed: true };
    case "interrupt":
      return { state, actions: [{ type: "interrupt" }], changed: false };
    default: {
      if (isMove(key.kind)) {
        const to = MOVES[key.kind](chars, cursor);
        return to === cursor
          ? same
          : { state: { ...state, cursor: to }, actions: [], changed: true };
      }
      const cut = CUTS[key.kind](chars, cursor);
      return cut ? typed(state, cut) : same;
    }
  }
}

/** A line typed or cut; typing after browsing history edits that entry as a new line. */
function typed(state: EditorState, line: Cut): FeedResult {
  return {
    state: { ...state, ...line, historyIndex: state.history.length },
    actions: [],
    changed: true,
  };
}

/** Enter: the line goes out and into history (unless blank or the same as the last). */
function submit(state: EditorState): FeedResult {
  const line = state.chars.join("");
  const last = state.history[state.history.length - 1];
  const history = line.trim() === "" || line === last
    ? state.history
    : [...state.history, line].slice(-state.historyLimit);
  return {
    state: { ...state, chars: [], cursor: 0, history, historyIndex: history.length, draft: [] },
    actions: [{ type: "submit", line }],
    changed: true,
  };
}

function showHistory(state: EditorState, index: number): FeedResult {
  const { history } = state;
  if (index < 0 || index > history.length || index === state.historyIndex) {
    return { state, actions: [], changed: false };
  }
  // Leaving the new line for history: keep it as the draft to come back to.
  const draft = state.historyIndex === history.length ? state.chars : state.draft;
  const chars = index === history.length ? draft : [...history[index]];
  return {
    state: { ...state, chars, cursor: chars.length, historyIndex: index, draft },
    actions: [],
    changed: true,
  };
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}

/** Where the word before `cursor` starts: skip non-word characters, then word ones. */
function wordStartBefore(
  chars: readonly string[],
  cursor: number,
  inWord: (c: string) => boolean,
): number {
  let i = cursor;
  while (i > 0 && !inWord(chars[i - 1])) i--;
  while (i > 0 && inWord(chars[i - 1])) i--;
  return i;
}

/** Where the word after `cursor` ends. */
function wordEndAfter(chars: readonly string[], cursor: number): number {
  let i = cursor;
  while (i < chars.length && !isWordChar(chars[i])) i++;
  while (i < chars.length && isWordChar(chars[i])) i++;
  return i;
}

// ---------------------------------------------------------------------------------------
// State → screen

/**
 * The columns a code point takes on a terminal: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide and full-width characters and emoji, else 1.
 *
 * @example
 * ```ts
 * charWidth("a"); // 1
 * charWidth("漢"); // 2
 * charWidth("\u0301"); // 0 (combining acute accent)
 * ```
 */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff) return 0;
  if (cp >= 0xfe00 && cp <= 0xfe0f) return 0; // variation selectors
  if (/\p{Mn}|\p{Me}/u.test(ch)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The columns `text` takes on a terminal, not counting ANSI color sequences in it.
 *
 * @example
 * ```ts
 * textWidth("\x1b[31mbob\x1b[0m> "); // 5
 * ```
 */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ANSI, "")) width += charWidth(ch);
  return width;
}

/** Options of {@linkcode renderLine}. */
export interface RenderOptions {
  /** Shown before the line; may hold ANSI colors. */
  prompt: string;
  /** The terminal's width. */
  columns: number;
}

/**
 * The bytes that draw the input line over whatever the terminal's current line shows:
 * carriage return, prompt, the visible part of the line, erase to the end of the
 * line, and the cursor put back where it belongs. A line wider than the terminal
 * scrolls sideways to keep the cursor in view; the last column stays empty so the
 * terminal never wraps.
 *
 * @example
 * ```ts
 * renderLine({ ...createEditor(), chars: ["h", "i"], cursor: 1 }, { prompt: "> ", columns: 80 });
 * // "\r> hi\x1b[K\r\x1b[3C"
 * ```
 */
export function renderLine(state: EditorState, options: RenderOptions): string {
  const { start, end, column } = lineLayout(state, options);
  return "\r" + options.prompt + state.chars.slice(start, end).join("") + "\x1b[K\r" +
    (column > 0 ? `\x1b[${column}C` : "");
}

/** Where {@linkcode renderLine} puts things on the terminal's line. */
export interface LineLayout {
  /** The visible chars are `chars[start .. end)`. */
  start: number;
  end: number;
  /** The cursor's column (0 is the first). */
  column: number;
  /** The columns drawn: the prompt and the visible chars. */
  width: number;
}

/**
 * The layout {@linkcode renderLine} draws: which chars are visible, where the cursor
 * is, how wide the line is.
 *
 * @example
 * ```ts
 * lineLayout({ ...createEditor(), chars: ["h", "i"], cursor: 1 }, { prompt: "> ", columns: 80 });
 * // { start: 0, end: 2, column: 3, width: 4 }
 * ```
 */
export function lineLayout(state: EditorState, options: RenderOptions): LineLayout {
  const promptWidth = textWidth(options.prompt);
  const room = Math.max(1, options.columns - promptWidth - 1);
  const widths = state.chars.map(charWidth);
  let start = 0;
  let before = 0; // width of chars[start .. cursor)
  for (let i = 0; i < state.cursor; i++) before += widths[i];
  while (before > room && start < state.cursor) before -= widths[start++];
  let end = start;
  let shown = 0;
  while (end < state.chars.length && shown + widths[end] <= room) shown += widths[end++];
  return { start, end, column: promptWidth + before, width: promptWidth + shown };
}

/**
 * How many rows above the cursor a drawn line reaches once the terminal is narrowed to
 * `columns`. Terminals that reflow (tmux, VTE, iTerm2, kitty, Windows Terminal) wrap the
 * old line into rows of the new width and put the cursor in the row its column falls
 * in; redrawing only the cursor's row would leave the rows above as a stale copy of the
 * line. A cursor just past the last char stays in the last char's row.
 *
 * @example
 * ```ts
 * reflowedRowsAbove({ width: 80, column: 80 }, 40); // 1: the line is two rows now
 * reflowedRowsAbove({ width: 30, column: 30 }, 40); // 0: it still fits
 * ```
 */
export function reflowedRowsAbove(
  drawn: Pick<LineLayout, "width" | "column">,
  columns: number,
): number {
  if (columns <= 0 || drawn.width <= columns) return 0;
  const cell = Math.min(drawn.column, drawn.width - 1);
  return Math.floor(Math.max(0, cell) / columns);
}
