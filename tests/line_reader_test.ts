/** Unit tests of the tests' own LineReader: lines across chunks, and no chunk lost to a timeout. */

import assert from "node:assert/strict";
import { LineReader } from "./helpers.ts";

const te = new TextEncoder();

Deno.test("LineReader joins a line split across chunks and returns the last unterminated one", async () => {
  const lines = new LineReader(
    ReadableStream.from([te.encode("hel"), te.encode("lo\nwor"), te.encode("ld")]),
  );
  assert.equal(await lines.next(), "hello");
  assert.equal(await lines.next(), "world");
  assert.equal(await lines.next(), null);
});

Deno.test("LineReader keeps the chunk that arrives after a timed-out next()", async () => {
  let push!: (text: string) => void;
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => void (push = (text) => controller.enqueue(te.encode(text))),
  });
  const lines = new LineReader(stream);
  await assert.rejects(lines.next(1), /no line within 1ms/);
  push("hello\n");
  assert.equal(await lines.next(), "hello");
  await lines.cancel();
});
