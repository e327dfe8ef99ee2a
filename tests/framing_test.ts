/**
 * Unit and property tests of the framing module (docs/ARCHITECTURE.md, "Layers"): every
 * way of chunking a stream yields the same frames, decode∘encode is identity, limits
 * are enforced before buffering, and errors are typed.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ascii8Decoder,
  ascii8Frame,
  decodeAscii8,
  decodeLengthPrefixed,
  decodeLines,
  encodeAscii8,
  encodeLengthPrefixed,
  encodeLines,
  type FrameDecoder,
  FrameError,
  type FramingName,
  framings,
  lengthPrefixDecoder,
  lengthPrefixFrame,
  lineDecoder,
  lineFrame,
  parseAscii8Header,
} from "../lib/framing.ts";

const RUNS = { numRuns: 150 };
const te = new TextEncoder();
const td = new TextDecoder();
const LF = 0x0a;
const CR = 0x0d;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `bytes` cut at `cuts` (any numbers; taken modulo the length, sorted, deduplicated). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) chunks.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return chunks;
}

function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/** Decodes `chunks` to the end, copying each frame as it is emitted. */
function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f.slice()));
  decoder.finish((f) => frames.push(f.slice()));
  return frames;
}

/**
 * Decodes `chunks` the way the servers read: every chunk goes through ONE reused read
 * buffer, overwritten with garbage after each push, so a decoder that kept a view into
 * an earlier read would emit garbage.
 */
function decodeThroughOneBuffer(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const buf = new Uint8Array(Math.max(1, ...chunks.map((c) => c.length)));
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) {
    buf.set(chunk);
    decoder.push(buf.subarray(0, chunk.length), (f) => frames.push(f.slice()));
    buf.fill(0xee); // the next read overwrites the buffer
  }
  decoder.finish((f) => frames.push(f.slice()));
  return frames;
}

/** A line payload: no LF anywhere, and no CR at the end (it would be read as CRLF). */
const linePayload = fc.uint8Array({ maxLength: 40 }).map((bytes) => {
  const clean = bytes.map((b) => (b === LF ? 0x41 : b));
  if (clean.length > 0 && clean[clean.length - 1] === CR) clean[clean.length - 1] = 0x42;
  return clean;
});
const binaryPayload = fc.uint8Array({ maxLength: 300 });

const cases: { name: FramingName; payload: fc.Arbitrary<Uint8Array> }[] = [
  { name: "lines", payload: linePayload },
  { name: "u32", payload: binaryPayload },
  { name: "ascii8", payload: binaryPayload },
];

const cutsArb = fc.array(fc.nat(), { maxLength: 30 });

for (const { name, payload } of cases) {
  const { decoder, frame } = framings[name];

  Deno.test(`${name}: decode∘encode is identity for any chunking`, () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 20 }), cutsArb, (payloads, cuts) => {
        const stream = concat(payloads.map((p) => frame(p)));
        assert.deepStrictEqual(decodeAll(decoder(), split(stream, cuts)), payloads);
      }),
      RUNS,
    );
  });

  Deno.test(`${name}: every chunking yields the same frames as one chunk`, () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 20 }), cutsArb, (payloads, cuts) => {
        const stream = concat(payloads.map((p) => frame(p)));
        const whole = decodeAll(decoder(), [stream]); // many frames in one chunk
        assert.deepStrictEqual(decodeAll(decoder(), split(stream, cuts)), whole);
        assert.deepStrictEqual(decodeAll(decoder(), oneByteAtATime(stream)), whole);
      }),
      RUNS,
    );
  });

  Deno.test(`${name}: frames spanning reads survive a reused read buffer`, () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 20 }), cutsArb, (payloads, cuts) => {
        const stream = concat(payloads.map((p) => frame(p)));
        assert.deepStrictEqual(decodeThroughOneBuffer(decoder(), split(stream, cuts)), payloads);
        assert.deepStrictEqual(decodeThroughOneBuffer(decoder(), oneByteAtATime(stream)), payloads);
      }),
      RUNS,
    );
  });

  Deno.test(`${name}: the TransformStream decoder matches the push decoder`, async () => {
    const streams = {
      lines: { encode: encodeLines, decode: decodeLines },
      u32: { encode: encodeLengthPrefixed, decode: decodeLengthPrefixed },
      ascii8: { encode: encodeAscii8, decode: decodeAscii8 },
    }[name];
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 10 }), cutsArb, async (payloads, cuts) => {
        // bytes → frames
        const stream = concat(payloads.map((p) => frame(p)));
        const decoded = await Array.fromAsync(
          ReadableStream.from(split(stream, cuts)).pipeThrough(streams.decode()),
        );
        assert.deepStrictEqual(decoded.map((f) => f.slice()), payloads);
        // payloads → bytes → frames, composed with pipeThrough
        const roundTrip = await Array.fromAsync(
          ReadableStream.from(payloads).pipeThrough(streams.encode()).pipeThrough(
            streams.decode(),
          ),
        );
        assert.deepStrictEqual(roundTrip.map((f) => f.slice()), payloads);
      }),
      { numRuns: 40 },
    );
  });

  Deno.test(`${name}: TransformStream frames stay intact when the writer reuses its buffer`, async () => {
    const streams = { lines: decodeLines, u32: decodeLengthPrefixed, ascii8: decodeAscii8 };
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 10 }), cutsArb, async (payloads, cuts) => {
        const stream = concat(payloads.map((p) => frame(p)));
        const chunks = split(stream, cuts);
        const transform = streams[name]();
        // The reader keeps frames as they come, without copying: a stream's consumer
        // owns its chunks.
        const reading = Array.fromAsync(transform.readable);
        const writer = transform.writable.getWriter();
        const buf = new Uint8Array(Math.max(1, stream.length));
        for (const chunk of chunks) {
          buf.set(chunk);
          await writer.write(buf.subarray(0, chunk.length));
          buf.fill(0xee); // the writer's next read lands in the same buffer
        }
        await writer.close();
        assert.deepStrictEqual(await reading, payloads);
      }),
      { numRuns: 40 },
    );
  });

  Deno.test(`${name}: a stream cut inside a frame is reported truncated at finish`, () => {
    if (name === "lines") return; // a final unterminated line is a line (tested below)
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 8 }), fc.nat(), (payloads, n) => {
        const frames = payloads.map((p) => frame(p));
        const stream = concat(frames);
        const boundaries = new Set([0]);
        let at = 0;
        for (const f of frames) boundaries.add(at += f.length);
        const cut = n % (stream.length + 1);
        const d = decoder();
        const got: Uint8Array[] = [];
        d.push(stream.subarray(0, cut), (f) => got.push(f.slice()));
        if (boundaries.has(cut)) {
          d.finish(() => {});
          assert.deepStrictEqual(got, payloads.slice(0, got.length));
        } else {
          const err = assertThrowsFrame(() => d.finish(() => {}), "truncated");
          assert(/Stream ended inside a frame/.test(err.message), err.message);
        }
      }),
      RUNS,
    );
  });
}

function assertThrowsFrame(fn: () => void, kind: FrameError["kind"]): FrameError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof FrameError, `expected a FrameError, got ${caught}`);
  assert.deepStrictEqual(caught.kind, kind, caught.message);
  return caught;
}

// --- lines -------------------------------------------------------------------------

Deno.test("lines: CRLF is accepted and the CR stripped, however the stream is split", () => {
  const stream = te.encode("hello\r\nworld\r\n\r\nlast\n");
  for (const chunks of [[stream], oneByteAtATime(stream), split(stream, [6]), split(stream, [7])]) {
    assert.deepStrictEqual(decodeAll(lineDecoder(), chunks).map((f) => td.decode(f)), [
      "hello",
      "world",
      "",
      "last",
    ]);
  }
});

Deno.test("lines: a CR that is not before the LF is part of the line", () => {
  assert.deepStrictEqual(
    decodeAll(lineDecoder(), [te.encode("a\rb\n\rc\n")]).map((f) => td.decode(f)),
    [
      "a\rb",
      "\rc",
    ],
  );
});

Deno.test("lines: CRLF-terminated payloads round-trip through lineFrame({ crlf })", () => {
  fc.assert(
    fc.property(fc.array(linePayload, { maxLength: 10 }), cutsArb, (payloads, cuts) => {
      const stream = concat(payloads.map((p) => lineFrame(p, { crlf: true })));
      assert.deepStrictEqual(decodeAll(lineDecoder(), split(stream, cuts)), payloads);
    }),
    RUNS,
  );
});

Deno.test("lines: a lines() shortcut that takes or declines blocks changes no frame, for any chunking", () => {
  fc.assert(
    fc.property(
      fc.array(linePayload, { maxLength: 20 }),
      cutsArb,
      fc.array(fc.boolean(), { minLength: 1 }),
      (payloads, cuts, takes) => {
        const stream = concat(payloads.map((p) => lineFrame(p, { crlf: p.length % 2 === 0 })));
        const frames: Uint8Array[] = [];
        let offer = 0;
        const lines = (block: Uint8Array) => {
          // A block is whole lines, LF last; taken, it is decoded here instead.
          assert.strictEqual(block[block.length - 1], LF);
          if (!takes[offer++ % takes.length]) return false;
          frames.push(...decodeAll(lineDecoder(), [block.slice()]));
          return true;
        };
        const d = lineDecoder({ lines });
        for (const chunk of split(stream, cuts)) d.push(chunk, (f) => frames.push(f.slice()));
        d.finish((f) => frames.push(f.slice()));
        assert.deepStrictEqual(frames, payloads);
      },
    ),
    RUNS,
  );
});

Deno.test("lines: lines() gets a line completed from earlier bytes in the same block as the rest", () => {
  const blocks: string[] = [];
  const frames: string[] = [];
  const d = lineDecoder({ lines: (b) => (blocks.push(td.decode(b)), true) });
  d.push(te.encode("he"), (f) => frames.push(td.decode(f)));
  d.push(te.encode("llo\none\ntwo\nthr"), (f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(frames, []);
  assert.deepStrictEqual(blocks, ["hello\none\ntwo\n"]);
  assert.deepStrictEqual(d.buffered, 3);
});

Deno.test("lines: declined with a held line, lines() is offered the rest again after it", () => {
  const blocks: string[] = [];
  const frames: string[] = [];
  const d = lineDecoder({ lines: (b) => (blocks.push(td.decode(b)), !b.includes(0x2f)) });
  d.push(te.encode("/w"), (f) => frames.push(td.decode(f)));
  d.push(te.encode("ho\none\ntwo\n"), (f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(blocks, ["/who\none\ntwo\n", "one\ntwo\n"]);
  assert.deepStrictEqual(frames, ["/who"]);
});

Deno.test("lines: lines() is not offered the rest of an oversize line being skipped", () => {
  const blocks: string[] = [];
  const frames: string[] = [];
  const d = lineDecoder({
    maxLength: 4,
    onOversize: () => frames.push("(oversize)"),
    lines: (b) => (blocks.push(td.decode(b)), false),
  });
  d.push(te.encode("toolong"), (f) => frames.push(td.decode(f)));
  d.push(te.encode("er\nok\n"), (f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(blocks, ["ok\n"]);
  assert.deepStrictEqual(frames, ["(oversize)", "ok"]);
});

Deno.test("lines: finish emits a final unterminated line", () => {
  const d = lineDecoder();
  const frames: string[] = [];
  d.push(te.encode("one\ntw"), (f) => frames.push(td.decode(f)));
  d.push(te.encode("o"), (f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(frames, ["one"]);
  assert.deepStrictEqual(d.buffered, 3);
  d.finish((f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(frames, ["one", "two"]);
});

Deno.test("lines: finish emits nothing after a terminated line or an empty stream", () => {
  assert.deepStrictEqual(decodeAll(lineDecoder(), [te.encode("x\n")]).length, 1);
  assert.deepStrictEqual(decodeAll(lineDecoder(), []), []);
});

Deno.test("lines: an oversize line is rejected as soon as it passes the limit, before its LF", () => {
  const d = lineDecoder({ maxLength: 10 });
  d.push(te.encode("0123456789"), () => {}); // exactly the limit: fine so far
  assert.deepStrictEqual(d.buffered, 10);
  const err = assertThrowsFrame(() => d.push(te.encode("x"), () => {}), "oversize");
  assert.deepStrictEqual(err.length, 11);
  assert(/exceeds the limit of 10 bytes/.test(err.message), err.message);
});

Deno.test("lines: max+1 bytes without LF are rejected for every chunking, buffering at most max", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), cutsArb, (max, cuts) => {
      const stream = new Uint8Array(max + 1).fill(0x61);
      const d = lineDecoder({ maxLength: max });
      let threw: unknown;
      for (const chunk of split(stream, cuts)) {
        try {
          d.push(chunk, () => assert(false, "no frame expected"));
        } catch (err) {
          threw = err;
          break;
        }
        assert(d.buffered <= max, `buffered ${d.buffered} > ${max}`);
      }
      assert(threw instanceof FrameError && threw.kind === "oversize", String(threw));
    }),
    RUNS,
  );
});

Deno.test("lines: a line of exactly max bytes is accepted, also with CRLF split after the CR", () => {
  const d = lineDecoder({ maxLength: 5 });
  const frames: string[] = [];
  d.push(te.encode("abcde\r"), (f) => frames.push(td.decode(f)));
  d.push(te.encode("\nfghij\n"), (f) => frames.push(td.decode(f)));
  assert.deepStrictEqual(frames, ["abcde", "fghij"]);
});

Deno.test("lines: an oversize line inside one chunk is rejected too", () => {
  const d = lineDecoder({ maxLength: 3 });
  assertThrowsFrame(() => d.push(te.encode("ok\ntoolong\n"), () => {}), "oversize");
});

Deno.test("lines: onOversize skips the long line and decodes the ones after it, for any chunking", () => {
  const stream = te.encode("ok\n" + "x".repeat(50) + "\r\nfine\n" + "y".repeat(8) + "\nend\n");
  fc.assert(
    fc.property(cutsArb, (cuts) => {
      const skipped: number[] = [];
      const d = lineDecoder({ maxLength: 5, onOversize: (n) => skipped.push(n) });
      const frames = decodeThroughOneBuffer(d, split(stream, cuts)).map((f) => td.decode(f));
      assert.deepStrictEqual(frames, ["ok", "fine", "end"]);
      assert.deepStrictEqual(skipped.length, 2);
      assert(skipped.every((n) => n > 5), String(skipped));
      assert(d.buffered <= 6);
    }),
    RUNS,
  );
});

Deno.test("lines: an oversize final line without LF is skipped at finish in skip mode", () => {
  const skipped: number[] = [];
  const d = lineDecoder({ maxLength: 3, onOversize: (n) => skipped.push(n) });
  assert.deepStrictEqual(decodeAll(d, [te.encode("a\nlonger")]).map((f) => td.decode(f)), ["a"]);
  assert.deepStrictEqual(skipped, [6]);
});

Deno.test("lineFrame: terminates with LF or CRLF and refuses a payload holding LF", () => {
  assert.deepStrictEqual(lineFrame("hi"), new Uint8Array([0x68, 0x69, LF]));
  assert.deepStrictEqual(lineFrame("hi", { crlf: true }), new Uint8Array([0x68, 0x69, CR, LF]));
  assert.deepStrictEqual(lineFrame(""), new Uint8Array([LF]));
  assertThrowsFrame(() => lineFrame("a\nb"), "malformed");
});

// --- u32 ---------------------------------------------------------------------------

Deno.test("u32: a 4 GB length header is rejected on the header alone, without allocating", () => {
  for (const chunks of [[[0xff, 0xff, 0xff, 0xff]], [[0xff], [0xff, 0xff], [0xff]]]) {
    const d = lengthPrefixDecoder();
    const before = Deno.memoryUsage().external;
    const last = chunks.pop()!;
    for (const c of chunks) d.push(new Uint8Array(c), () => {});
    assert(d.buffered < 4, `buffered ${d.buffered}`);
    const err = assertThrowsFrame(() => d.push(new Uint8Array(last), () => {}), "oversize");
    assert.deepStrictEqual(err.length, 0xffff_ffff);
    assert.deepStrictEqual(err.message, "Frame length 4294967295 exceeds the limit of 65536 bytes");
    assert(d.buffered <= 4, `buffered ${d.buffered}`);
    const grew = Deno.memoryUsage().external - before;
    assert(grew < 16 * 1024 * 1024, `external memory grew by ${grew} bytes`);
  }
});

Deno.test("u32: a header larger than the skip limit is malformed in skip mode (cannot resync)", () => {
  const d = lengthPrefixDecoder({ onOversize: () => assert(false, "not skippable") });
  const err = assertThrowsFrame(
    () => d.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), () => {}),
    "malformed",
  );
  assert.deepStrictEqual(err.length, 0xffff_ffff);
});

Deno.test("u32: an oversize length just over maxLength is rejected before its payload arrives", () => {
  const d = lengthPrefixDecoder({ maxLength: 100 });
  d.push(lengthPrefixFrame(new Uint8Array(100)), () => {}); // at the limit: a frame
  const err = assertThrowsFrame(() => d.push(new Uint8Array([0, 0, 0, 101]), () => {}), "oversize");
  assert.deepStrictEqual(err.length, 101);
});

Deno.test("u32: onOversize skips an oversize frame (never buffering it) and decodes the rest", () => {
  const small = [te.encode("a"), te.encode("bc"), new Uint8Array(0)];
  const big = new Uint8Array(1000).fill(7);
  const stream = concat([
    lengthPrefixFrame(small[0]),
    lengthPrefixFrame(big),
    lengthPrefixFrame(small[1]),
    lengthPrefixFrame(big),
    lengthPrefixFrame(small[2]),
  ]);
  fc.assert(
    fc.property(cutsArb, (cuts) => {
      const skipped: number[] = [];
      const d = lengthPrefixDecoder({ maxLength: 10, onOversize: (n) => skipped.push(n) });
      const frames: Uint8Array[] = [];
      for (const chunk of split(stream, cuts)) {
        d.push(chunk, (f) => frames.push(f.slice()));
        assert(d.buffered <= 14, `buffered ${d.buffered}`); // header + at most maxLength
      }
      d.finish(() => {});
      assert.deepStrictEqual(frames, small);
      assert.deepStrictEqual(skipped, [1000, 1000]);
    }),
    RUNS,
  );
});

Deno.test("u32: a stream ending inside a skipped frame is truncated", () => {
  const d = lengthPrefixDecoder({ maxLength: 2, onOversize: () => {} });
  d.push(new Uint8Array([0, 0, 0, 5, 1, 2]), () => {});
  assertThrowsFrame(() => d.finish(() => {}), "truncated");
});

Deno.test("u32: zero-length frames are frames", () => {
  const stream = concat([lengthPrefixFrame(""), lengthPrefixFrame(""), lengthPrefixFrame("x")]);
  assert.deepStrictEqual(stream.subarray(0, 8), new Uint8Array(8));
  for (const chunks of [[stream], oneByteAtATime(stream)]) {
    assert.deepStrictEqual(decodeAll(lengthPrefixDecoder(), chunks).map((f) => td.decode(f)), [
      "",
      "",
      "x",
    ]);
  }
});

Deno.test("u32: the header is big-endian", () => {
  assert.deepStrictEqual(lengthPrefixFrame("hi"), new Uint8Array([0, 0, 0, 2, 0x68, 0x69]));
  assert.deepStrictEqual(
    lengthPrefixFrame(new Uint8Array(258)).subarray(0, 4),
    new Uint8Array([0, 0, 1, 2]),
  );
  const frames = decodeAll(lengthPrefixDecoder({ maxLength: 70000 }), [
    lengthPrefixFrame(new Uint8Array(65793)),
  ]);
  assert.deepStrictEqual(frames[0].length, 65793); // 0x00010101: every header byte counts
});

Deno.test("u32: truncated mid-header and mid-payload say what they got", () => {
  const head = lengthPrefixDecoder();
  head.push(new Uint8Array([0, 0]), () => {});
  assert(
    /2 of 4 header bytes/.test(assertThrowsFrame(() => head.finish(() => {}), "truncated").message),
  );
  const body = lengthPrefixDecoder();
  body.push(new Uint8Array([0, 0, 0, 5, 1, 2]), () => {});
  assert.deepStrictEqual(body.buffered, 2);
  assert(
    /2 of 5 payload bytes/.test(
      assertThrowsFrame(() => body.finish(() => {}), "truncated").message,
    ),
  );
});

// --- ascii8 ------------------------------------------------------------------------

Deno.test("ascii8: headers padded with spaces on either side, zeros or NULs are read", () => {
  const cases: [string, number][] = [
    ["12      ", 12],
    ["      12", 12],
    ["   12   ", 12],
    ["00000012", 12],
    ["12\0\0\0\0\0\0", 12],
    ["0       ", 0],
    ["99999999", 99_999_999],
  ];
  for (const [header, n] of cases) {
    assert.deepStrictEqual(parseAscii8Header(te.encode(header)), n, header);
  }
});

Deno.test("ascii8: a garbage header is malformed, and the error quotes it", () => {
  for (
    const header of [
      "abc     ",
      "1 2     ",
      "        ",
      "-1      ",
      "+1      ",
      "0x10    ",
      "1.5     ",
    ]
  ) {
    const err = assertThrowsFrame(() => parseAscii8Header(te.encode(header)), "malformed");
    assert(err.message.includes(JSON.stringify(header)), err.message);
  }
  const d = ascii8Decoder();
  const err = assertThrowsFrame(
    () => d.push(te.encode("GET / HTTP/1.1\r\n"), () => {}),
    "malformed",
  );
  assert(err.message.includes('"GET / HT"'), err.message);
});

Deno.test("ascii8: ascii8Frame writes the length left-aligned in 8 characters", () => {
  assert.deepStrictEqual(td.decode(ascii8Frame("hello")), "5       hello");
  assert.deepStrictEqual(td.decode(ascii8Frame("")), "0       ");
});

Deno.test("ascii8: oversize frames throw, or are skipped with onOversize", () => {
  const stream = concat([ascii8Frame("a"), ascii8Frame("x".repeat(40)), ascii8Frame("b")]);
  assertThrowsFrame(() => decodeAll(ascii8Decoder({ maxLength: 10 }), [stream]), "oversize");
  const skipped: number[] = [];
  const d = ascii8Decoder({ maxLength: 10, onOversize: (n) => skipped.push(n) });
  assert.deepStrictEqual(decodeAll(d, oneByteAtATime(stream)).map((f) => td.decode(f)), ["a", "b"]);
  assert.deepStrictEqual(skipped, [40]);
  const huge = ascii8Decoder();
  assertThrowsFrame(() => huge.push(te.encode("99999999"), () => {}), "oversize");
  assert(huge.buffered <= 8);
});

Deno.test("ascii8: a lab client's right-padded frames decode split anywhere", () => {
  const stream = te.encode("3       abc11      hello world0       ");
  for (const chunks of [[stream], oneByteAtATime(stream), split(stream, [4, 9, 20])]) {
    assert.deepStrictEqual(decodeAll(ascii8Decoder(), chunks).map((f) => td.decode(f)), [
      "abc",
      "hello world",
      "",
    ]);
  }
});

// --- encoders ----------------------------------------------------------------------

Deno.test("encoders: the framers accept strings as UTF-8", () => {
  assert.deepStrictEqual(lengthPrefixFrame("é"), new Uint8Array([0, 0, 0, 2, 0xc3, 0xa9]));
  assert.deepStrictEqual(td.decode(ascii8Frame("é")), "2       é");
  assert.deepStrictEqual(lineFrame("é"), new Uint8Array([0xc3, 0xa9, LF]));
});

Deno.test("encoders: encodeLines({ crlf }) frames each payload as one CRLF line", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from([te.encode("a"), te.encode("b")]).pipeThrough(encodeLines({ crlf: true })),
  );
  assert.deepStrictEqual(td.decode(concat(out)), "a\r\nb\r\n");
});

Deno.test("decoders: a TransformStream decoder errors its stream with the FrameError", async () => {
  const source = ReadableStream.from([new Uint8Array([0, 0, 0, 9, 1])]);
  let caught: unknown;
  try {
    await Array.fromAsync(source.pipeThrough(decodeLengthPrefixed()));
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof FrameError && caught.kind === "truncated", String(caught));
  await assertRejectsFrame(
    ReadableStream.from([te.encode("toolong\n")]).pipeThrough(decodeLines({ maxLength: 3 })),
    "oversize",
  );
});

async function assertRejectsFrame(stream: ReadableStream<Uint8Array>, kind: string) {
  let caught: unknown;
  try {
    await Array.fromAsync(stream);
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof FrameError && caught.kind === kind, String(caught));
}

Deno.test("FrameError: carries kind, length and a name", () => {
  const err = new FrameError("oversize", "Frame length 5 exceeds the limit of 4 bytes", 5);
  assert.deepStrictEqual([err.name, err.kind, err.length], ["FrameError", "oversize", 5]);
  assert.throws(() => {
    throw err;
  }, FrameError);
});
