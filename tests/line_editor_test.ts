/**
 * Unit tests of chat-join's line editor: every key, escape sequences and UTF-8
 * characters split across reads at every byte, history, and the bytes that draw the
 * line.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import fc from "fast-check";
import {
  applyKey,
  charWidth,
  createEditor,
  decodeKeys,
  type EditorAction,
  type EditorState,
  feed,
  type Key,
  lineLayout,
  lineText,
  reflowedRowsAbove,
  renderLine,
  textWidth,
} from "../commands/chat/line_editor.ts";

const enc = new TextEncoder();

/** Feeds each string as one read; returns the final state and every action. */
function type(
  ...reads: string[]
): { state: EditorState; actions: EditorAction[] } {
  return typeFrom(createEditor(), ...reads);
}

function typeFrom(
  start: EditorState,
  ...reads: (string | Uint8Array)[]
): { state: EditorState; actions: EditorAction[] } {
  let state = start;
  const actions: EditorAction[] = [];
  for (const read of reads) {
    const r = feed(state, typeof read === "string" ? enc.encode(read) : read);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

/** The line with a `|` where the cursor is. */
function show(state: EditorState): string {
  return state.chars.slice(0, state.cursor).join("") + "|" +
    state.chars.slice(state.cursor).join("");
}

const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";

Deno.test("line editor inserts typed text at the cursor", () => {
  assertEquals(show(type("hello").state), "hello|");
  assertEquals(show(type("hllo", LEFT, LEFT, LEFT, "e").state), "he|llo");
});

Deno.test("line editor: Enter submits the line and empties the editor, for CR, LF and CRLF", () => {
  for (const enter of ["\r", "\n", "\r\n"]) {
    const { state, actions } = type("hi" + enter);
    assertEquals(actions, [{ type: "submit", line: "hi" }], JSON.stringify(enter));
    assertEquals(show(state), "|");
  }
  // CRLF split across reads is still one Enter; a second CR is a second Enter.
  assertEquals(type("a\r", "\nb\r").actions, [
    { type: "submit", line: "a" },
    { type: "submit", line: "b" },
  ]);
  assertEquals(type("a\r\r").actions, [
    { type: "submit", line: "a" },
    { type: "submit", line: "" },
  ]);
  // A pasted block of lines submits each line.
  assertEquals(type("one\ntwo\nthr").actions.length, 2);
});

Deno.test("line editor: Backspace (DEL and BS) deletes before the cursor; Delete and Ctrl-D under it", () => {
  assertEquals(show(type("abc\x7f").state), "ab|");
  assertEquals(show(type("abc\x08").state), "ab|"); // Windows consoles send BS
  assertEquals(show(type("abc", LEFT, "\x7f").state), "a|c");
  assertEquals(show(type("\x7f").state), "|");
  assertEquals(show(type("abc", LEFT, LEFT, "\x1b[3~").state), "a|c");
  assertEquals(show(type("abc", "\x1b[3~").state), "abc|");
  assertEquals(show(type("abc", LEFT, LEFT, "\x04").state), "a|c");
  assertEquals(type("abc", LEFT, LEFT, "\x04").actions, []);
});

Deno.test("line editor: Ctrl-D on an empty line is end of input", () => {
  assertEquals(type("\x04").actions, [{ type: "eof" }]);
  assertEquals(type("x\x7f\x04").actions, [{ type: "eof" }]);
});

Deno.test("line editor: Ctrl-C interrupts, whatever the line holds", () => {
  assertEquals(type("\x03").actions, [{ type: "interrupt" }]);
  assertEquals(type("half a li", "\x03").actions, [{ type: "interrupt" }]);
});

Deno.test("line editor: Left, Right, Home, End in every encoding terminals use", () => {
  const homes = ["\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~", "\x01"];
  const ends = ["\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~", "\x05"];
  for (const home of homes) assertEquals(show(type("abc", home).state), "|abc", home);
  for (const end of ends) assertEquals(show(type("abc", "\x01", end).state), "abc|", end);
  for (const left of [LEFT, "\x1bOD", "\x02"]) {
    assertEquals(show(type("abc", left).state), "ab|c", left);
  }
  for (const right of [RIGHT, "\x1bOC", "\x06"]) {
    assertEquals(show(type("abc", "\x01", right).state), "a|bc", right);
  }
  // Moving past either end stays there and changes nothing.
  assertEquals(feed(type("ab", "\x01").state, enc.encode(LEFT)).changed, false);
  assertEquals(feed(type("ab").state, enc.encode(RIGHT)).changed, false);
});

Deno.test("line editor: word moves with Ctrl-Left/Right and Alt-B/F", () => {
  const line = "hello big world";
  assertEquals(show(type(line, "\x1b[1;5D").state), "hello big |world");
  assertEquals(show(type(line, "\x1b[1;5D", "\x1bb").state), "hello |big world");
  assertEquals(show(type(line, "\x01", "\x1b[1;5C").state), "hello| big world");
  assertEquals(show(type(line, "\x01", "\x1bf", "\x1bf").state), "hello big| world");
});

Deno.test("line editor: Ctrl-U deletes to the start, Ctrl-K to the end", () => {
  assertEquals(show(type("hello world", LEFT, LEFT, "\x15").state), "|ld");
  assertEquals(show(type("hello world", "\x15").state), "|");
  assertEquals(show(type("hello world", "\x01", RIGHT, "\x0b").state), "h|");
});

Deno.test("line editor: Ctrl-W deletes the word before the cursor; Alt-D the one after", () => {
  assertEquals(show(type("say hello there", "\x17").state), "say hello |");
  assertEquals(show(type("say hello there  ", "\x17").state), "say hello |");
  assertEquals(show(type("say hello", "\x17", "\x17").state), "|");
  assertEquals(show(type("a/b-c", "\x17").state), "|"); // whitespace-delimited, like readline
  assertEquals(show(type("say hello", "\x1b\x7f").state), "say |"); // Alt-Backspace
  assertEquals(show(type("say hello there", "\x01", "\x1bd").state), "| hello there");
  assertEquals(feed(createEditor(), enc.encode("\x17")).changed, false);
});

Deno.test("line editor: Ctrl-L asks for a clear screen", () => {
  assertEquals(type("x\x0c").actions, [{ type: "clear" }]);
});

Deno.test("line editor: Tab inserts a space; other control bytes are ignored", () => {
  assertEquals(lineText(type("a\tb").state), "a b");
  assertEquals(lineText(type("a\x00\x07\x1a\x1cb").state), "ab");
});

Deno.test("line editor: history Up/Down browse submitted lines and keep the draft", () => {
  let { state } = type("first\r", "second\r", "draft");
  assertEquals(state.history, ["first", "second"]);
  state = typeFrom(state, UP).state;
  assertEquals(show(state), "second|");
  state = typeFrom(state, "\x10").state; // Ctrl-P
  assertEquals(show(state), "first|");
  assertEquals(feed(state, enc.encode(UP)).changed, false); // oldest: stays
  state = typeFrom(state, DOWN).state;
  assertEquals(show(state), "second|");
  state = typeFrom(state, "\x0e").state; // Ctrl-N
  assertEquals(show(state), "draft|");
  assertEquals(feed(state, enc.encode(DOWN)).changed, false); // newest: stays
});

Deno.test("line editor: editing a history entry and submitting adds it as a new entry", () => {
  const { state, actions } = type("hello\r", UP, "!\r");
  assertEquals(actions, [{ type: "submit", line: "hello" }, { type: "submit", line: "hello!" }]);
  assertEquals(state.history, ["hello", "hello!"]);
  assertEquals(show(typeFrom(state, UP, UP).state), "hello|");
});

Deno.test("line editor: history skips blank lines and repeats, and is bounded", () => {
  assertEquals(type("a\r", "a\r", "  \r", "b\r").state.history, ["a", "b"]);
  const small = createEditor({ historyLimit: 2 });
  assertEquals(typeFrom(small, "1\r2\r3\r").state.history, ["2", "3"]);
  assertEquals(createEditor({ history: ["x", "y", "z"], historyLimit: 2 }).history, ["y", "z"]);
});

Deno.test("line editor: an escape sequence split at every byte is one key", () => {
  const sequences: [string, string][] = [
    [UP, "up"],
    [LEFT, "left"],
    ["\x1b[3~", "delete"],
    ["\x1b[1;5C", "wordRight"],
    ["\x1bOH", "home"],
    ["\x1bb", "wordLeft"],
  ];
  for (const [seq, kind] of sequences) {
    const bytes = enc.encode(seq);
    for (let cut = 1; cut < bytes.length; cut++) {
      const first = decodeKeys([], bytes.subarray(0, cut), false);
      assertEquals(first.keys, [], `${JSON.stringify(seq)} cut at ${cut}`);
      const second = decodeKeys(first.pending, bytes.subarray(cut), first.afterCR);
      assertEquals(second.keys, [{ kind } as Key], `${JSON.stringify(seq)} cut at ${cut}`);
      assertEquals(second.pending, []);
    }
  }
  // Through feed, one byte per read.
  const state = typeFrom(createEditor(), "abc", ...[..."\x1b[D\x1b[D"].map((c) => c));
  assertEquals(show(state.state), "a|bc");
});

Deno.test("line editor: ESC before a key with no Alt meaning drops the ESC, not the key", () => {
  assertEquals(lineText(type("\x1bx").state), "x");
  assertEquals(lineText(type("\x1b", "x").state), "x");
  assertEquals(lineText(type("\x1b\x1b[D").state), "");
  assertEquals(show(type("ab", "\x1b\x1b[D").state), "a|b");
  // ESC then Enter: the Enter counts.
  assertEquals(type("hi\x1b\r").actions, [{ type: "submit", line: "hi" }]);
});

Deno.test("line editor: unknown and broken escape sequences are ignored without eating text", () => {
  assertEquals(lineText(type("a\x1b[200~b\x1b[201~c").state), "abc"); // bracketed paste marks
  assertEquals(lineText(type("a\x1b[15~b").state), "ab"); // F5
  assertEquals(lineText(type("a\x1b[1;2Pb").state), "ab"); // Shift-F1
  assertEquals(lineText(type("a\x1b[12\x7fb").state), "b"); // cut short by Backspace
  // A runaway sequence is given up at 32 bytes (ESC, "[" and 29 digits dropped).
  assertEquals(lineText(type("a\x1b[" + "1".repeat(100) + "b").state), "a" + "1".repeat(71) + "b");
});

Deno.test("line editor: UTF-8 characters of 2, 3 and 4 bytes, split at every byte", () => {
  for (const ch of ["é", "ж", "€", "漢", "😀", "𝄞"]) {
    const bytes = enc.encode(ch);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { state } = typeFrom(
        createEditor(),
        "<",
        bytes.subarray(0, cut),
        bytes.subarray(cut),
        ">",
      );
      assertEquals(lineText(state), `<${ch}>`, `${ch} cut at ${cut}`);
      assertEquals(state.chars.length, 3);
    }
  }
  // One byte per read, a whole sentence.
  const text = "naïve café — 日本語 🎉";
  const { state } = typeFrom(
    createEditor(),
    ...Array.from(enc.encode(text), (b) => new Uint8Array([b])),
  );
  assertEquals(lineText(state), text);
});

Deno.test("line editor: the cursor moves and deletes by code point, not by byte", () => {
  assertEquals(show(type("a😀b", LEFT, "\x7f").state), "a|b");
  assertEquals(show(type("漢字", LEFT, LEFT, "\x1b[3~").state), "|字");
});

Deno.test("line editor: invalid UTF-8 becomes U+FFFD and decoding goes on", () => {
  const cases: [number[], string][] = [
    [[0x61, 0xff, 0x62], "a\ufffdb"], // never valid
    [[0x61, 0x80, 0x62], "a\ufffdb"], // stray continuation
    [[0xc3, 0x62], "\ufffdb"], // cut short by ASCII
    [[0xe2, 0x82, 0x62], "\ufffdb"],
    [[0xc0, 0xaf], "\ufffd\ufffd"], // overlong "/"
    [[0xe0, 0x80, 0xaf], "\ufffd"], // overlong, 3 bytes
    [[0xed, 0xa0, 0x80], "\ufffd"], // a surrogate
    [[0xf4, 0x90, 0x80, 0x80], "\ufffd"], // beyond U+10FFFF
  ];
  for (const [bytes, want] of cases) {
    assertEquals(
      lineText(typeFrom(createEditor(), new Uint8Array(bytes)).state),
      want,
      String(bytes),
    );
  }
  // A multi-byte character cut short by an escape sequence.
  assertEquals(
    show(typeFrom(createEditor(), "ab", new Uint8Array([0xe2, 0x82]), LEFT).state),
    "ab|\ufffd",
  );
});

Deno.test("line editor: any split of any input gives the same result as one read", () => {
  const piece = fc.constantFrom(
    "a",
    "Z",
    " ",
    "é",
    "漢",
    "😀",
    "\r",
    "\n",
    "\x7f",
    "\x08",
    "\x01",
    "\x05",
    "\x15",
    "\x17",
    "\x0b",
    UP,
    DOWN,
    LEFT,
    RIGHT,
    "\x1b[3~",
    "\x1b[1;5D",
    "\x1bOH",
    "\x1bb",
    "\x1bd",
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (parts, cuts) => {
        const bytes = enc.encode(parts.join(""));
        const whole = typeFrom(createEditor(), bytes);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const reads: Uint8Array[] = [];
        let from = 0;
        for (const p of points) {
          reads.push(bytes.subarray(from, p));
          from = p;
        }
        reads.push(bytes.subarray(from));
        const split = typeFrom(createEditor(), ...reads);
        assertEquals(split.actions, whole.actions);
        assertEquals(show(split.state), show(whole.state));
        assertEquals(split.state.history, whole.state.history);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("applyKey() reports whether the line changed", () => {
  const start = createEditor();
  assertEquals(applyKey(start, { kind: "left" }).changed, false);
  assertEquals(applyKey(start, { kind: "insert", text: "x" }).changed, true);
  assertEquals(applyKey(start, { kind: "backspace" }).changed, false);
});

Deno.test("charWidth() and textWidth() count terminal columns", () => {
  assertEquals(charWidth("a"), 1);
  assertEquals(charWidth("漢"), 2);
  assertEquals(charWidth("😀"), 2);
  assertEquals(charWidth("\u0301"), 0);
  assertEquals(charWidth("\u200d"), 0);
  assertEquals(textWidth("\x1b[35mbob\x1b[0m> "), 5);
});

Deno.test("renderLine() draws prompt and line, erases the rest, and places the cursor", () => {
  const state = type("hello", LEFT, LEFT).state;
  assertEquals(renderLine(state, { prompt: "> ", columns: 80 }), "\r> hello\x1b[K\r\x1b[5C");
  assertEquals(renderLine(createEditor(), { prompt: "", columns: 80 }), "\r\x1b[K\r");
  // Colors in the prompt take no columns.
  assertEquals(
    renderLine(type("x").state, { prompt: "\x1b[31mal\x1b[0m> ", columns: 80 }),
    "\r\x1b[31mal\x1b[0m> x\x1b[K\r\x1b[5C",
  );
  // Wide characters take two columns.
  assertEquals(
    renderLine(type("漢字").state, { prompt: "> ", columns: 80 }),
    "\r> 漢字\x1b[K\r\x1b[6C",
  );
});

Deno.test("renderLine() scrolls a line wider than the terminal to keep the cursor in view", () => {
  const columns = 12; // prompt "> " leaves 9 columns for text (the last column stays empty)
  const long = type("abcdefghijklmnop").state;
  assertEquals(renderLine(long, { prompt: "> ", columns }), "\r> hijklmnop\x1b[K\r\x1b[11C");
  const home = typeFrom(long, "\x01").state;
  assertEquals(renderLine(home, { prompt: "> ", columns }), "\r> abcdefghi\x1b[K\r\x1b[2C");
  // Never wider than the terminal minus one column, wherever the cursor is.
  for (let i = 0; i <= 16; i++) {
    const at = { ...long, cursor: i };
    const drawn = renderLine(at, { prompt: "> ", columns });
    const visible = drawn.slice(1, drawn.indexOf("\x1b[K"));
    assertEquals(textWidth(visible) <= columns - 1, true, drawn);
    assertEquals(visible.includes(long.chars[Math.max(0, i - 1)]), true, drawn);
  }
});

Deno.test("lineLayout() says what renderLine() draws: visible chars, cursor, width", () => {
  const state = { ...createEditor(), chars: [..."hello"], cursor: 2 };
  assertEquals(lineLayout(state, { prompt: "> ", columns: 80 }), {
    start: 0,
    end: 5,
    column: 4,
    width: 7,
  });
});

Deno.test("reflowedRowsAbove(): rows of the old line above the cursor after narrowing", () => {
  assertEquals(reflowedRowsAbove({ width: 80, column: 80 }, 40), 1, "cursor past the end");
  assertEquals(reflowedRowsAbove({ width: 81, column: 81 }, 40), 2);
  assertEquals(reflowedRowsAbove({ width: 80, column: 7 }, 40), 0, "cursor in the first row");
  assertEquals(reflowedRowsAbove({ width: 80, column: 45 }, 40), 1);
  assertEquals(reflowedRowsAbove({ width: 30, column: 30 }, 40), 0, "still fits");
  assertEquals(reflowedRowsAbove({ width: 0, column: 0 }, 10), 0);
});
