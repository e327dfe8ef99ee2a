/** Unit tests of --trace: the hex + ASCII dump and its limit. */

import assert from "node:assert/strict";
import { createTracer, hexdump, TRACE_DUMP_LIMIT, traceText } from "../lib/trace.ts";

const te = new TextEncoder();

Deno.test("hexdump: hexdump -C layout for a short row", () => {
  assert.equal(
    hexdump(te.encode("hi\n")),
    "00000000  68 69 0a                                          |hi.|",
  );
});

Deno.test("hexdump: full rows, the gap after 8 bytes, offsets in hex", () => {
  const bytes = te.encode("0123456789abcdefGHIJKLMNOPQRSTUVw");
  assert.equal(
    hexdump(bytes),
    [
      "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
      "00000010  47 48 49 4a 4b 4c 4d 4e  4f 50 51 52 53 54 55 56  |GHIJKLMNOPQRSTUV|",
      "00000020  77                                                |w|",
    ].join("\n"),
  );
});

Deno.test("hexdump: every row has the same width; non-printable bytes show as dots", () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  const lines = hexdump(bytes).split("\n");
  assert.equal(lines.length, 16);
  for (const line of lines.slice(0, -1)) assert.equal(line.length, lines[0].length);
  assert.equal(lines[0].slice(-18), "|................|");
  assert.equal(lines[2].slice(-18), "| !\"#$%&'()*+,-./|");
  assert.equal(lines[7].slice(-18), "|pqrstuvwxyz{|}~.|");
  assert.equal(lines[15].slice(-18), "|................|"); // 0xf0-0xff: not ASCII
  assert(lines[15].startsWith("000000f0  f0 f1"));
});

Deno.test("hexdump: the limit caps the dump and counts the rest", () => {
  const bytes = new Uint8Array(100);
  const lines = hexdump(bytes, { limit: 32 }).split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "... 68 more bytes not shown");
  const big = hexdump(new Uint8Array(TRACE_DUMP_LIMIT + 5)).split("\n");
  assert.equal(big.length, TRACE_DUMP_LIMIT / 16 + 1);
  assert.equal(big.at(-1), "... 5 more bytes not shown");
  assert.equal(hexdump(new Uint8Array(TRACE_DUMP_LIMIT)).split("\n").length, TRACE_DUMP_LIMIT / 16);
  assert.equal(hexdump(new Uint8Array(0)), "");
});

Deno.test("traceText: direction, count and peer, then the dump", () => {
  assert.equal(
    traceText("read", "127.0.0.1:5000", new Uint8Array([0x68, 0x69])),
    "read 2 bytes from 127.0.0.1:5000\n00000000  68 69" + " ".repeat(45) + "|hi|",
  );
  assert.match(traceText("write", "[::1]:7", new Uint8Array([1])), /^write 1 byte to \[::1\]:7\n/);
  assert.match(traceText("recv", "h:1", new Uint8Array(3)), /^recv 3 bytes from h:1\n/);
  assert.match(traceText("send", "h:1", new Uint8Array(3)), /^send 3 bytes to h:1\n/);
  assert.equal(traceText("read", "h:1", new Uint8Array(0)), "read 0 bytes from h:1");
});

Deno.test("createTracer: writes one entry per call, newline-terminated", () => {
  const written: string[] = [];
  const trace = createTracer((text) => written.push(text));
  trace("write", "127.0.0.1:7", te.encode("ok"));
  trace("read", "127.0.0.1:7", new Uint8Array(0));
  assert.deepStrictEqual(written, [
    traceText("write", "127.0.0.1:7", te.encode("ok")) + "\n",
    "read 0 bytes from 127.0.0.1:7\n",
  ]);
});
