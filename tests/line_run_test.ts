import assert from "node:assert/strict";
import fc from "fast-check";
import { prefixLines } from "../commands/chat/line_run.ts";
import { LINE_RUN_WASM } from "../commands/chat/line_run_wasm.ts";
import { compileWat, embeddedModule, LINE_RUN_TS, LINE_RUN_WAT } from "../scripts/build_wasm.ts";
import { missing } from "./helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ROOT = new URL("../", import.meta.url).pathname;

/** What prefixLines() must do, written the plain way, over text. */
function model(block: string, prefix: string, maxText: number): string | undefined {
  const texts = block.slice(0, -1).split("\n");
  const ordinary = (t: string) =>
    /^[\t\x20-\x7e]*$/.test(t) && !t.startsWith("/") && /[^ \t]/.test(t) &&
    t.length <= maxText;
  return texts.every(ordinary) ? texts.map((t) => `${prefix}${t}\n`).join("") : undefined;
}

Deno.test("prefixLines() agrees with the plain model: ordinary lines prefixed, anything else declined", () => {
  // Mostly ordinary characters, with every kind of byte that makes a line not ordinary.
  const char = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom("a", "Z", "0", "~", "!", " ", "\t", ":") },
    { weight: 1, arbitrary: fc.constantFrom("/", "\r", "\x00", "\x1b", "\x7f", "é", "\u202e") },
  );
  const line = fc.array(char, { maxLength: 14 }).map((cs) => cs.join(""));
  fc.assert(
    fc.property(
      fc.array(line, { minLength: 1, maxLength: 40 }),
      fc.constantFrom("a: ", "somebody_with_a_long_name: "),
      fc.integer({ min: 1, max: 16 }),
      (texts, prefix, maxText) => {
        const block = texts.map((t) => t + "\n").join("");
        const run = prefixLines(encoder.encode(block), encoder.encode(prefix), maxText);
        const expected = model(block, prefix, maxText);
        assert.equal(run && decoder.decode(run.line), expected);
        if (run) assert.equal(run.count, texts.length);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("prefixLines() takes a text of exactly the limit, and declines one byte more", () => {
  const prefix = encoder.encode("al: ");
  assert.equal(
    decoder.decode(prefixLines(encoder.encode("12345\nab\n"), prefix, 5)!.line),
    "al: 12345\nal: ab\n",
  );
  assert.equal(prefixLines(encoder.encode("ab\n123456\n"), prefix, 5), undefined);
});

Deno.test("prefixLines() grows its memory for output many times the input, and says it right", () => {
  // One-character lines under a 34-byte prefix: 18x the input, past the first memory.
  const block = encoder.encode("x\n".repeat(60_000));
  const prefix = encoder.encode(`${"n".repeat(32)}: `);
  const run = prefixLines(block, prefix, 100)!;
  assert.equal(run.count, 60_000);
  assert.equal(run.line.length, 60_000 * 36);
  assert.equal(decoder.decode(run.line.subarray(-72)), `${"n".repeat(32)}: x\n`.repeat(2));
  // And a small call after it still works (and does not see the big one's bytes).
  assert.equal(
    decoder.decode(prefixLines(encoder.encode("hi\n"), prefix, 100)!.line),
    `${"n".repeat(32)}: hi\n`,
  );
});

Deno.test({
  name: "line_run_wasm.ts holds exactly what wat2wasm makes of line_run.wat",
  ignore: missing("wat2wasm"),
  async fn() {
    const compiled = await compileWat(`${ROOT}${LINE_RUN_WAT}`);
    assert.deepEqual(LINE_RUN_WASM, compiled, "run `deno task wasm` after editing line_run.wat");
    assert.equal(await Deno.readTextFile(`${ROOT}${LINE_RUN_TS}`), embeddedModule(compiled));
  },
});
