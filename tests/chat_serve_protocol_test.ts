/**
 * Unit tests of the chat protocol module (names, sanitizing, parsing, encoding), the
 * outbox (queue limit, coalescing, errors) and the plain-text shortcut of chat-serve.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { concat, Outbox } from "../commands/chat/outbox.ts";
import { prefixLines } from "../commands/chat/line_run.ts";
import { PlainText } from "../commands/chat/plain_text.ts";
import { UserList } from "../commands/chat/user_list.ts";
import {
  type Dialect,
  encodeBatch,
  encodeFor,
  encodeFrame,
  encodeWelcome,
  formatText,
  isValidName,
  type MessageRun,
  nameKey,
  overUtf8Limit,
  parseClientMessage,
  parseCommandLine,
  parseServerMessage,
  runMessages,
  sanitize,
  type ServerMessage,
} from "../commands/chat/protocol.ts";
import { lengthPrefixDecoder } from "../lib/framing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMITS = { maxMessage: 64 };
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

Deno.test("sanitize() removes C0 (but tab), DEL and C1 controls, ESC included", () => {
  assert.equal(sanitize("a\x1b[31mb\x07c\td\x7fe\u0085f\u009bg\r\nh"), "a[31mbc\tdefgh");
  assert.equal(sanitize("plain ünïcode ✓"), "plain ünïcode ✓");
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => !CONTROL.test(sanitize(s))));
});

Deno.test("isValidName() takes 1-32 letters, digits, _ - . in any script", () => {
  for (const ok of ["a", "alice_01", "Ünï.code-x", "名前", "x".repeat(32), "a.b-c_d"]) {
    assert.ok(isValidName(ok), ok);
  }
  for (const bad of ["", "x".repeat(33), "two words", "semi;", "tab\t", "e\x1b", "*star", "a/b"]) {
    assert.ok(!isValidName(bad), JSON.stringify(bad));
  }
  assert.equal(nameKey("Alice"), nameKey("aLICE"));
});

Deno.test("nameKey() folds every spelling that looks like the same name to one key", () => {
  // Greek capital sigma lowercases to final ς at the end of a word, medial σ otherwise.
  assert.equal(nameKey("ΟΔΟΣ"), nameKey("οδοσ"));
  // Hangul: a precomposed syllable and its jamo (all letters) render the same.
  assert.equal(nameKey("\uD55C"), nameKey("\u1112\u1161\u11AB"));
  // Fullwidth letters look like ASCII ones.
  assert.equal(nameKey("\uFF21lice"), nameKey("alice"));
  assert.notEqual(nameKey("alice"), nameKey("alicia"));
});

Deno.test("parseClientMessage() accepts every client type and ignores extra fields", () => {
  const parse = (v: unknown) => parseClientMessage(encoder.encode(JSON.stringify(v)), LIMITS);
  assert.deepEqual(parse({ type: "hello", name: "al" }), {
    ok: true,
    message: { type: "hello", name: "al" },
  });
  assert.deepEqual(parse({ type: "say", text: "hi", id: "c1", extra: 1 }), {
    ok: true,
    message: { type: "say", text: "hi", id: "c1" },
  });
  assert.deepEqual(parse({ type: "me", text: "waves" }), {
    ok: true,
    message: { type: "me", text: "waves" },
  });
  assert.deepEqual(parse({ type: "dm", to: "bob", text: "psst", id: "d" }), {
    ok: true,
    message: { type: "dm", to: "bob", text: "psst", id: "d" },
  });
  assert.deepEqual(parse({ type: "nick", name: "x" }), {
    ok: true,
    message: { type: "nick", name: "x" },
  });
  for (const type of ["who", "help", "bye"]) {
    assert.deepEqual(parse({ type }), { ok: true, message: { type } });
  }
});

Deno.test("parseClientMessage() answers bad input with the documented error codes", () => {
  const code = (payload: string | Uint8Array) => {
    const r = parseClientMessage(payload, LIMITS);
    return r.ok ? "ok" : r.error.code;
  };
  assert.equal(code(""), "bad_json");
  assert.equal(code("{nope"), "bad_json");
  for (const notObject of ["[]", "1", '"s"', "null", "true"]) {
    assert.equal(code(notObject), "bad_json");
  }
  assert.equal(code("{}"), "bad_request");
  assert.equal(code('{"type":1}'), "bad_request");
  assert.equal(code('{"type":"say"}'), "bad_request");
  assert.equal(code('{"type":"say","text":" \\u0007 "}'), "bad_request"); // empty once cleaned
  assert.equal(code('{"type":"say","text":"x","id":5}'), "bad_request");
  assert.equal(code(`{"type":"say","text":"x","id":"${"i".repeat(65)}"}`), "bad_request");
  assert.equal(code('{"type":"dm","text":"x"}'), "bad_request");
  assert.equal(code('{"type":"dance"}'), "unknown_type");
  assert.equal(code(JSON.stringify({ type: "say", text: "é".repeat(33) })), "too_long"); // 66 bytes
  const withId = parseClientMessage('{"type":"dance","id":"q"}', LIMITS);
  assert.ok(!withId.ok && withId.error.id === "q");
});

Deno.test("parseClientMessage() cleans text and turns invalid UTF-8 into U+FFFD", () => {
  const bytes = encoder.encode('{"type":"say","text":"a\\u001b[2Jb#"}');
  bytes[bytes.lastIndexOf(0x23)] = 0xff; // "#" -> an invalid byte
  assert.deepEqual(parseClientMessage(bytes, LIMITS), {
    ok: true,
    message: { type: "say", text: "a[2Jb\ufffd" },
  });
});

Deno.test("parseCommandLine() reads the line dialect's commands", () => {
  const p = (line: string) => parseCommandLine(line, LIMITS);
  assert.deepEqual(p("hello"), { ok: true, message: { type: "say", text: "hello" } });
  assert.deepEqual(p("//etc"), { ok: true, message: { type: "say", text: "/etc" } });
  assert.deepEqual(p("/nick  al "), { ok: true, message: { type: "nick", name: "al" } });
  assert.deepEqual(p("/WHO"), { ok: true, message: { type: "who" } });
  assert.deepEqual(p("/me waves hi"), { ok: true, message: { type: "me", text: "waves hi" } });
  assert.deepEqual(p("/msg bob a b"), {
    ok: true,
    message: { type: "dm", to: "bob", text: "a b" },
  });
  assert.deepEqual(p("/quit"), { ok: true, message: { type: "bye" } });
  assert.deepEqual(p("/help"), { ok: true, message: { type: "help" } });
  for (const bad of ["/nick", "/me", "/msg bob", "/msg"]) {
    const r = p(bad);
    assert.ok(!r.ok && r.error.code === "bad_request", bad);
  }
  const unknown = p("/dance");
  assert.ok(!unknown.ok && unknown.error.code === "unknown_type");
  const long = p("x".repeat(65));
  assert.ok(!long.ok && long.error.code === "too_long");
});

Deno.test("overUtf8Limit() measures only text that could be over", () => {
  assert.equal(overUtf8Limit("héllo", 5), 6);
  assert.equal(overUtf8Limit("hello", 5), undefined);
  assert.equal(overUtf8Limit("é".repeat(10), 30), undefined);
  assert.equal(overUtf8Limit("é".repeat(10), 19), 20);
});

const sample: ServerMessage[] = [
  {
    type: "welcome",
    name: "al",
    users: ["bo", "al"],
    ts: 1,
    limits: {
      maxMessage: 1,
      maxFrame: 1,
      maxClients: 1,
      maxQueue: 1,
      idleTimeout: 0,
      history: 0,
    },
  },
  { type: "msg", from: "al", text: "hi", ts: 1 },
  { type: "msg", from: "al", text: "waves", ts: 1, action: true },
  { type: "msg", from: "al", text: "old", ts: 1, history: true },
  { type: "dm", from: "al", to: "bo", text: "psst", ts: 1 },
  { type: "join", name: "bo", ts: 1 },
  { type: "leave", name: "bo", reason: "too_slow", ts: 1 },
  { type: "nick", from: "al", to: "alice", ts: 1 },
  { type: "who", users: ["al", "bo"] },
  { type: "help", lines: ["/who  list", "/quit  leave"] },
  { type: "error", code: "name_taken", message: "Taken" },
  { type: "shutdown", message: "server shutting down", ts: 1 },
];

Deno.test("formatText() gives line clients one documented line per server message", () => {
  assert.deepEqual(sample.map((m) => formatText(m)), [
    "*** welcome al; 2 users here: bo, al; /help for commands",
    "al: hi",
    "* al waves",
    "[history] al: old",
    "[dm from al] psst",
    "*** bo joined",
    "*** bo left (too_slow)",
    "*** al is now alice",
    "*** users: al, bo",
    "*** /who  list; /quit  leave",
    "!!! name_taken: Taken",
    "*** server shutting down",
  ]);
  assert.equal(formatText(sample[4], "AL"), "[dm to bo] psst");
});

Deno.test("encodeFor() frames a message for each dialect", () => {
  const m: ServerMessage = { type: "msg", from: "al", text: "hi", ts: 7 };
  assert.equal(decoder.decode(encodeFor("line", m)), "al: hi\n");
  assert.equal(decoder.decode(encodeFor("ascii8", m)), "6       al: hi");
  const framed = encodeFor("framed", m);
  assert.deepEqual([...framed.subarray(0, 4)], [0, 0, 0, framed.length - 4]);
  assert.deepEqual(JSON.parse(decoder.decode(framed.subarray(4))), m);
  assert.deepEqual(parseServerMessage(framed.subarray(4)), m);
  assert.equal(parseServerMessage("[1]"), undefined);
  assert.deepEqual(
    encodeFrame({ type: "bye" }),
    new Uint8Array([0, 0, 0, 14, ...encoder.encode('{"type":"bye"}')]),
  );
});

Deno.test("encodeBatch() is the messages' encodings one after another", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 20 }).map(sanitize);
  const message = fc.oneof(
    fc.record({ type: fc.constant("msg" as const), from: fc.constant("al"), text, ts: fc.nat() }),
    fc.record({ type: fc.constant("join" as const), name: fc.constant("bo"), ts: fc.nat() }),
  );
  const dialect = fc.constantFrom<Dialect>("line", "framed", "ascii8");
  fc.assert(
    fc.property(dialect, fc.array(message, { minLength: 1, maxLength: 8 }), (d, messages) => {
      const parts = messages.map((m) => encodeFor(d, m));
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      assert.deepEqual(encodeBatch(d, messages), joined);
    }),
  );
  // And a framed batch decodes back to the messages.
  const frames: unknown[] = [];
  lengthPrefixDecoder().push(
    encodeBatch("framed", sample),
    (f) => frames.push(JSON.parse(decoder.decode(f))),
  );
  assert.deepEqual(frames, sample);
});

/** A run of `texts` said by `from`, as the room makes it from a line client's read. */
function runOf(from: string, texts: string[], ts = 0): MessageRun {
  const lines = encoder.encode(texts.map((t) => t + "\n").join(""));
  const encoded = prefixLines(lines, encoder.encode(`${from}: `), 100);
  assert.ok(encoded, `ordinary lines: ${JSON.stringify(texts)}`);
  return { type: "run", from, lines, line: encoded.line, count: encoded.count, ts };
}

Deno.test("encodeBatch() encodes a run of messages as those messages, in every dialect", () => {
  const plainText = fc.stringMatching(/^[\x20-\x7e\t]{0,11}[\x21-\x7e]$/).filter((t) =>
    !t.startsWith("/")
  );
  const run = fc.record({
    from: fc.constantFrom("al", "$&", "a$$b"),
    texts: fc.array(plainText, { minLength: 1, maxLength: 6 }),
    ts: fc.nat(),
  }).map((r) => runOf(r.from, r.texts, r.ts));
  const join = fc.record({
    type: fc.constant("join" as const),
    name: fc.constant("bo"),
    ts: fc.nat(),
  });
  const dialect = fc.constantFrom<Dialect>("line", "framed", "ascii8");
  fc.assert(
    fc.property(
      dialect,
      fc.array(fc.oneof(run, join), { minLength: 1, maxLength: 4 }),
      (d, items) => {
        const messages = items.flatMap((i): ServerMessage[] =>
          i.type === "run" ? runMessages(i) : [i]
        );
        assert.deepEqual(encodeBatch(d, items), encodeBatch(d, messages));
      },
    ),
  );
  const alone = runOf("a$&", ["x", "y"]);
  assert.equal(decoder.decode(encodeBatch("line", [alone])), "a$&: x\na$&: y\n");
  assert.equal(encodeBatch("line", [alone]), alone.line, "one run is sent as it is, not copied");
});

/** A connection whose writes complete when the test says so. */
function fakeConn() {
  const writes: Uint8Array[] = [];
  const pending: { resolve: (n: number) => void; reject: (e: unknown) => void; n: number }[] = [];
  const conn = {
    write(bytes: Uint8Array) {
      writes.push(bytes.slice());
      return new Promise<number>((resolve, reject) =>
        pending.push({ resolve, reject, n: bytes.length })
      );
    },
  } as unknown as Deno.Conn;
  return {
    conn,
    writes,
    /** Completes the oldest write (partly, when `n` is given). */
    complete(n?: number) {
      const w = pending.shift()!;
      w.resolve(n ?? w.n);
    },
    fail(err: unknown) {
      pending.shift()!.reject(err);
    },
    get pending() {
      return pending.length;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("Outbox writes at once, then sends what queued meanwhile in one write", async () => {
  const fake = fakeConn();
  const written: number[] = [];
  const box = new Outbox(fake.conn, {
    limit: 1000,
    onPressure: () => assert.fail("never full"),
    onWrite: (b) => written.push(b.length),
  });
  box.send(encoder.encode("one\n"));
  assert.equal(fake.writes.length, 1);
  box.send(encoder.encode("two\n"));
  box.send(encoder.encode("three\n"));
  assert.equal(box.queued, 14);
  const flushed = box.flushed();
  fake.complete();
  await tick();
  assert.deepEqual(fake.writes.map((w) => decoder.decode(w)), ["one\n", "two\nthree\n"]);
  fake.complete(3); // a partial write: the rest is written next
  await tick();
  assert.equal(decoder.decode(fake.writes[2]), "\nthree\n");
  fake.complete();
  await flushed;
  assert.equal(box.queued, 0);
  assert.deepEqual(written, [4, 10]);
});

Deno.test("Outbox is full past its limit, keeps everything, and has room again at half", async () => {
  const fake = fakeConn();
  const pressure: boolean[] = [];
  const box = new Outbox(fake.conn, { limit: 10, onPressure: (full) => pressure.push(full) });
  assert.ok(box.send(new Uint8Array(6))); // being written: still counts
  assert.ok(box.send(new Uint8Array(4)));
  assert.ok(!box.full);
  assert.ok(box.send(new Uint8Array(3)));
  assert.ok(box.full, "past the limit");
  assert.ok(box.send(new Uint8Array(2)), "still taken: nothing is dropped");
  assert.deepEqual(pressure, [true]);
  fake.complete(); // 6 written: 9 wait, more than half of 10
  await tick();
  assert.ok(box.full);
  fake.complete(); // 9 written together: none waits
  await tick();
  assert.deepEqual(pressure, [true, false]);
  assert.equal(box.queued, 0);
  assert.deepEqual(fake.writes.map((w) => w.length), [6, 9]);
});

Deno.test("Outbox counts stall checks without a completed write while bytes wait", async () => {
  const fake = fakeConn();
  const box = new Outbox(fake.conn, { limit: 100 });
  assert.equal(box.stalledTicks(), 0, "nothing waits");
  box.send(new Uint8Array(5));
  assert.equal(box.stalledTicks(), 1);
  assert.equal(box.stalledTicks(), 2);
  fake.complete(2); // some bytes taken: progress
  await tick();
  assert.equal(box.stalledTicks(), 0);
  assert.equal(box.stalledTicks(), 1);
  fake.complete();
  await tick();
  assert.equal(box.stalledTicks(), 0, "drained");
});

Deno.test("Outbox queue takes many chunks in order, coalesced, without losing any", async () => {
  const fake = fakeConn();
  const box = new Outbox(fake.conn, { limit: 1 << 30 });
  box.send(encoder.encode("first\n"));
  let expected = "first\n";
  for (let i = 0; i < 5000; i++) {
    const line = `${i} ${"x".repeat(i % 50)}\n`;
    box.send(encoder.encode(line));
    expected += line;
  }
  const flushed = box.flushed();
  for (let i = 0; i < 100 && fake.pending > 0; i++) {
    fake.complete();
    await tick();
  }
  await flushed;
  assert.equal(fake.writes.map((w) => decoder.decode(w)).join(""), expected);
  assert.ok(fake.writes.length < 20, `${fake.writes.length} writes`);
});

Deno.test("Outbox reports a failed write once and closes", async () => {
  const fake = fakeConn();
  const errors: unknown[] = [];
  const box = new Outbox(fake.conn, {
    limit: 100,
    onError: (e) => errors.push(e),
  });
  box.send(new Uint8Array(3));
  box.send(new Uint8Array(3));
  fake.fail(new Deno.errors.BrokenPipe("gone"));
  await tick();
  assert.equal(errors.length, 1);
  assert.ok(box.closed);
  assert.equal(fake.pending, 0);
});

Deno.test("PlainText slices lines out of a plain read and declines anything else", () => {
  const plain = new PlainText();
  const chunk = encoder.encode("hello\tthere\nsecond line\n");
  plain.prepare(chunk);
  assert.equal(plain.of(chunk.subarray(0, 11)), "hello\tthere");
  assert.equal(plain.of(chunk.subarray(12, 23)), "second line");
  assert.equal(plain.of(encoder.encode("hello")), undefined, "not a view into the read");
  for (const text of ["caf\u00e9\n", "a\x1b[1m\n", "crlf\r\n", "del\x7f\n"]) {
    const other = encoder.encode(text);
    plain.prepare(other);
    assert.equal(plain.of(other.subarray(0, 2)), undefined, JSON.stringify(text));
  }
});

Deno.test("encodeWelcome() from a UserList is encodeFor()'s welcome, byte for byte, through joins, leaves and renames", () => {
  const limits = {
    maxMessage: 16,
    maxFrame: 1088,
    maxClients: 3,
    maxQueue: 1024,
    idleTimeout: 0,
    history: 0,
  };
  let names = ["alice"];
  const list = new UserList(() => names);
  list.add("alice");
  const check = () => {
    for (const dialect of ["line", "framed", "ascii8"] as const) {
      const message = { type: "welcome" as const, name: "zoë", users: names, limits, ts: 17 };
      assert.deepEqual(
        concat(encodeWelcome(dialect, { name: "zoë", limits, ts: 17 }, list)),
        encodeFor(dialect, message),
        `${dialect} with ${names}`,
      );
    }
  };
  check();
  for (const name of ["bob", "zoë", "Ωmega"]) {
    names = [...names, name];
    list.add(name);
    check();
  }
  names = names.filter((n) => n !== "bob");
  list.changed();
  check();
  names = names.map((n) => n === "alice" ? "alicia" : n);
  list.changed();
  names = [...names, "carl"];
  list.add("carl");
  check();
});
