/**
 * chat-join: unit tests of its parts (OS plan, backoff, formatting, the terminal),
 * in-process runs against fake framed servers written here (interactive mode through a
 * fake terminal, reconnect, timeouts, hostile servers, host not found via the injected
 * resolver), and integration tests that spawn the real CLI against the real
 * `chat-serve`.
 */

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { runCli } from "../lib/cli.ts";
import type { Io, StopSignal } from "../lib/io.ts";
import { lengthPrefixDecoder, lengthPrefixFrame } from "../lib/framing.ts";
import { makePaint } from "../lib/output.ts";
import { backoffDelay, ChatClient, type Status } from "../commands/chat/client.ts";
import type { SockitError } from "../lib/errors.ts";
import { chatJoin, defaultName } from "../commands/chat/join.ts";
import { clock, formatMessage, jsonLine, nameFromLogin } from "../commands/chat/join_format.ts";
import type { ServerMessage } from "../commands/chat/protocol.ts";
import { concat } from "../commands/chat/outbox.ts";
import { Terminal, terminalPlan } from "../commands/chat/terminal.ts";
import { fakeIo, refusedPort, runSockit, startSockit } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const cli = { commands: [chatJoin], version: "test" };

// ---------------------------------------------------------------------------------------
// A framed peer (either side of the protocol) and a fake server built on it

type Json = Record<string, unknown>;

/** One connection speaking u32 + JSON frames; `next()` waits for the next object. */
class FramedPeer {
  readonly conn: Deno.TcpConn;
  readonly received: Json[] = [];
  readonly closed: Promise<void>;
  #queue: (Json | null)[] = [];
  #wake?: () => void;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.closed = this.#read();
  }

  static async connect(port: number, name?: string): Promise<FramedPeer> {
    const peer = new FramedPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
    if (name !== undefined) {
      peer.send({ type: "hello", name });
      await peer.until((m) => m.type === "welcome");
    }
    return peer;
  }

  send(message: Json): void {
    this.sendRaw(lengthPrefixFrame(JSON.stringify(message)));
  }

  sendRaw(bytes: Uint8Array): void {
    this.conn.write(bytes).catch(() => {});
  }

  /** The next object, or null once the connection ended. */
  async next(timeoutMs = 5000): Promise<Json | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no frame within ${timeoutMs}ms; got ${JSON.stringify(this.received)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    const item = this.#queue[0];
    if (item !== null) this.#queue.shift();
    return item;
  }

  async until(match: (m: Json) => boolean, timeoutMs = 5000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m === null) throw new Error(`closed; got ${JSON.stringify(this.received)}`);
      if (match(m)) return m;
    }
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch { /* closed */ }
    await this.closed;
  }

  #push(item: Json | null): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  async #read(): Promise<void> {
    const decoder = lengthPrefixDecoder({ maxLength: 1 << 20 });
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        decoder.push(buf.subarray(0, n), (frame) => {
          const m = JSON.parse(dec.decode(frame));
          this.received.push(m);
          this.#push(m);
        });
      }
    } catch { /* reset or closed by us */ }
    this.#push(null);
  }
}

/** A fake chat server: runs `handle` for every connection, in order. */
function fakeServer(
  handle: (peer: FramedPeer, index: number) => Promise<void>,
): { port: number; peers: FramedPeer[]; [Symbol.asyncDispose](): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peers: FramedPeer[] = [];
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    for (let i = 0;; i++) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const peer = new FramedPeer(conn);
      peers.push(peer);
      handlers.push(handle(peer, i).catch(() => {}).finally(() => peer.close()));
    }
  })();
  let disposed: Promise<void> | undefined;
  return {
    port: listener.addr.port,
    peers,
    [Symbol.asyncDispose]() {
      disposed ??= (async () => {
        listener.close();
        await accepting;
        for (const p of peers) await p.close();
        await Promise.all(handlers);
      })();
      return disposed;
    },
  };
}

const WELCOME_LIMITS = {
  maxMessage: 1024,
  maxFrame: 8192,
  maxClients: 10,
  maxQueue: 65536,
  idleTimeout: 0,
  history: 0,
};

/** Plays a well-behaved server for one connection until bye (or `stopAfter` messages). */
async function behave(
  peer: FramedPeer,
  options: { ack?: boolean; stopAfter?: number; taken?: string[] } = {},
): Promise<void> {
  let name = "";
  for (;;) {
    const hello = await peer.next(10_000);
    if (hello === null) return;
    name = String(hello.name);
    if (options.taken?.includes(name)) {
      peer.send({ type: "error", code: "name_taken", message: `The name "${name}" is taken` });
      continue;
    }
    peer.send({ type: "welcome", name, users: [name], limits: WELCOME_LIMITS, ts: Date.now() });
    break;
  }
  let count = 0;
  for (;;) {
    const m = await peer.next(10_000);
    if (m === null || m.type === "bye") return;
    if (options.stopAfter !== undefined && ++count > options.stopAfter) return;
    if (options.ack === false) continue;
    const ts = Date.now();
    if (m.type === "say") peer.send({ type: "msg", from: name, text: m.text, ts, id: m.id });
    if (m.type === "me") {
      peer.send({ type: "msg", from: name, text: m.text, ts, id: m.id, action: true });
    }
    if (m.type === "dm") {
      peer.send({ type: "dm", from: name, to: m.to, text: m.text, ts, id: m.id });
    }
    if (m.type === "who") peer.send({ type: "who", users: [name] });
    if (m.type === "nick") {
      peer.send({ type: "nick", from: name, to: m.name, ts });
      name = String(m.name);
    }
  }
}

/** A stdin that yields `chunks` and then stays open until `end()`. */
function controlledStdin(): {
  readable: ReadableStream<Uint8Array>;
  push(text: string | Uint8Array): void;
  end(): void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    readable,
    push: (text) => controller.enqueue(typeof text === "string" ? enc.encode(text) : text),
    end: () => {
      try {
        controller.close();
      } catch { /* cancelled */ }
    },
  };
}

/** Polls `check` until it holds (bounded), for in-process output that has no event. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------
// Unit tests

Deno.test("terminalPlan() takes the termios branch on Unix and the console branch on Windows", () => {
  for (const os of ["linux", "darwin", "freebsd"] as const) {
    assertEquals(terminalPlan(os), {
      rawMode: "termios",
      resizeSignal: "SIGWINCH",
      userVariables: ["USER", "LOGNAME"],
    });
  }
  assertEquals(terminalPlan("windows"), {
    rawMode: "console",
    userVariables: ["USERNAME", "USER"],
  });
});

Deno.test("defaultName() reads the login name the OS keeps, made into a valid name", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assertEquals(defaultName({ os: "linux", env: env({ USER: "alice", USERNAME: "x" }) }), "alice");
  assertEquals(defaultName({ os: "linux", env: env({ LOGNAME: "bob" }) }), "bob");
  assertEquals(
    defaultName({ os: "windows", env: env({ USERNAME: "Carol Smith" }) }),
    "Carol_Smith",
  );
  assertEquals(defaultName({ os: "windows", env: env({ USER: "dave" }) }), "dave");
  assertEquals(defaultName({ os: "linux", env: env({}) }), undefined);
  assertEquals(nameFromLogin("a".repeat(40)), "a".repeat(32));
  assertEquals(nameFromLogin("@@@"), undefined);
});

Deno.test("backoffDelay() doubles from 250ms to a 10s cap, with jitter within [half, full]", () => {
  assertEquals([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, { random: () => 1 })), [
    250,
    500,
    1000,
    2000,
    4000,
    8000,
    10_000,
  ]);
  assertEquals(backoffDelay(50, { random: () => 1 }), 10_000);
  assertEquals(backoffDelay(1, { random: () => 0 }), 125);
  for (let attempt = 1; attempt < 12; attempt++) {
    const d = backoffDelay(attempt);
    const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
    ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
  }
});

Deno.test("clock() shows HH:MM of a timestamp", () => {
  const ts = Date.UTC(2026, 10, 21, 23, 59, 1);
  assertEquals(clock(ts, { offsetMinutes: 0 }), "23:59");
  assertEquals(clock(ts, { offsetMinutes: 60 }), "00:59");
  assertEquals(clock(ts, { offsetMinutes: -30 }), "23:29");
});

Deno.test("formatMessage() gives one readable line per event", () => {
  const paint = makePaint(false);
  const f = (m: unknown) =>
    formatMessage(m as ServerMessage, { paint, self: "alice", offsetMinutes: 0 });
  const ts = Date.UTC(2026, 0, 1, 9, 5);
  assertEquals(f({ type: "msg", from: "bob", text: "hi", ts }), "09:05 <bob> hi");
  assertEquals(
    f({ type: "msg", from: "bob", text: "waves", ts, action: true }),
    "09:05 * bob waves",
  );
  assertEquals(
    f({ type: "msg", from: "bob", text: "old", ts, history: true }),
    "09:05 <bob> old (history)",
  );
  assertEquals(
    f({ type: "dm", from: "bob", to: "alice", text: "psst", ts }),
    "09:05 [dm from bob] psst",
  );
  assertEquals(
    f({ type: "dm", from: "alice", to: "bob", text: "psst", ts, id: "c1" }),
    "09:05 [dm to bob] psst",
  );
  assertEquals(f({ type: "join", name: "bob", ts }), "09:05 --> bob joined");
  assertEquals(
    f({ type: "leave", name: "bob", reason: "too_slow", ts }),
    "09:05 <-- bob was dropped (too slow to read)",
  );
  assertEquals(f({ type: "nick", from: "bob", to: "rob", ts }), "09:05 --- bob is now rob");
  assertEquals(f({ type: "who", users: ["alice", "bob"] }), "--- online (2): alice, bob");
  assertEquals(
    f({ type: "error", code: "no_such_user", message: "No one" }),
    "!!! No one (no_such_user)",
  );
  assertEquals(f({ type: "shutdown", message: "bye all", ts }), "!!! server: bye all");
  assertEquals(f({ type: "future_thing" }), undefined);
});

Deno.test("formatMessage() strips escape sequences and control characters a hostile server sends", () => {
  const paint = makePaint(false);
  const line = formatMessage(
    {
      type: "msg",
      from: "ev\x1b]0;owned\x07il",
      text: "\x1b[2J\x1b[31mred\u009b1m\r\nfake line\x00",
      ts: 0,
    } as ServerMessage,
    { paint, self: "alice", offsetMinutes: 0 },
  )!;
  // deno-lint-ignore no-control-regex
  ok(!/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(line), JSON.stringify(line));
  assertEquals(line, "00:00 <ev]0;owned il> [2J[31mred1mfake line".replace(" il", "il"));
});

Deno.test("jsonLine() escapes DEL, C1 controls and line separators that JSON leaves raw", () => {
  const line = jsonLine("msg", { text: "a\x1b[2J\u009b\u2028\x7fz" });
  assertEquals(line, '{"event":"msg","text":"a\\u001b[2J\\u009b\\u2028\\u007fz"}');
  assertEquals(JSON.parse(line).text, "a\x1b[2J\u009b\u2028\x7fz");
});

/** A fake terminal: keys pushed in, everything written captured, raw mode recorded. */
function fakeTerminal(os: typeof Deno.build.os = "linux") {
  const stdin = controlledStdin();
  let screen = "";
  const raw: boolean[] = [];
  const signals = new Set<(s: StopSignal) => void>();
  const io: Io = fakeIo({
    os,
    stdin: { readable: stdin.readable, isTerminal: true, setRaw: (r) => void raw.push(r) },
    stdout: { write: (t) => void (screen += t), isTerminal: true },
    stderr: { write: (t) => void (screen += t), isTerminal: true },
    env: (name) => ({ USER: "tester", NO_COLOR: "1" } as Record<string, string>)[name],
    onSignal: (listener) => {
      signals.add(listener);
      return () => signals.delete(listener);
    },
  });
  return {
    io,
    stdin,
    raw,
    screen: () => screen,
    clear: () => void (screen = ""),
    signal: (s: StopSignal) => signals.forEach((l) => l(s)),
  };
}

Deno.test("Terminal prints above the input line and draws the half-typed line again, in one write", async () => {
  const t = fakeTerminal();
  const writes: string[] = [];
  const io = { ...t.io, stdout: { write: (s: string) => void writes.push(s), isTerminal: true } };
  let resized: (() => void) | undefined;
  const term = new Terminal(io, {
    prompt: "> ",
    columns: () => 40,
    onResize: (redraw) => {
      resized = redraw;
      return () => resized = undefined;
    },
  });
  term.start();
  assertEquals(t.raw, [true]);
  t.stdin.push("half a li");
  await eventually(() => term.line === "half a li", "the typed text");
  writes.length = 0;
  term.print("bob: hello\nbob: two lines");
  assertEquals(writes, [
    "\r\x1b[K" + "bob: hello\r\nbob: two lines\r\n" + "\r> half a li\x1b[K\r\x1b[11C",
  ]);
  writes.length = 0;
  resized!();
  assertEquals(writes, ["\r> half a li\x1b[K\r\x1b[11C"]);
  t.stdin.push("ne\r");
  assertEquals(await term.next(), { type: "submit", line: "half a line" });
  await term.stop();
  assertEquals(t.raw, [true, false]);
  assertEquals(resized, undefined);
  assertEquals(await term.next(), { type: "eof" });
});

Deno.test("Terminal: narrowed, it erases the rows the reflowed input line took before redrawing", async () => {
  const t = fakeTerminal();
  const writes: string[] = [];
  const io = { ...t.io, stdout: { write: (s: string) => void writes.push(s), isTerminal: true } };
  let width = 40;
  let resized: (() => void) | undefined;
  const term = new Terminal(io, {
    prompt: "> ",
    columns: () => width,
    onResize: (redraw) => {
      resized = redraw;
      return () => resized = undefined;
    },
  });
  term.start();
  t.stdin.push("x".repeat(30));
  await eventually(() => term.line.length === 30, "the typed text");
  // 32 columns drawn; at 15 a reflowing terminal shows them as rows 0-2, the cursor in 2.
  width = 15;
  writes.length = 0;
  resized!();
  assertEquals(writes, ["\x1b[2A\r\x1b[J" + "\r> " + "x".repeat(12) + "\x1b[K\r\x1b[14C"]);
  // Drawn for 15 now: the next redraw at the same width only redraws.
  writes.length = 0;
  term.redraw();
  assertEquals(writes, ["\r> " + "x".repeat(12) + "\x1b[K\r\x1b[14C"]);
  // Wider again: nothing wrapped, nothing to erase.
  width = 80;
  writes.length = 0;
  resized!();
  assertEquals(writes, ["\r> " + "x".repeat(30) + "\x1b[K\r\x1b[32C"]);
  await term.stop();
});

// ---------------------------------------------------------------------------------------
// In-process runs

Deno.test("chat-join: a host that does not resolve is exit 3, asking only the injected resolver", async () => {
  const io = fakeIo();
  const code = await runCli(
    ["chat-join", "nowhere.invalid:5555", "--name", "a", "--send", "x"],
    io,
    cli,
  );
  assertEquals(code, 3);
  match(io.stderrText(), /^sockit: resolve nowhere\.invalid: host not found/);
});

Deno.test("chat-join: bad arguments are usage errors (exit 2) naming what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [["--name", "no spaces"], /--name: .*may only hold letters/],
    [["--name", "x".repeat(33)], /--name: .*longer than 32/],
    [["127.0.0.1:99999", "--name", "a"], /not a port number/],
    [["--name", "a", "--send", " "], /--send: a message cannot be empty/],
    [["a:1", "b:2"], /unexpected argument "b:2"/],
    [["--bogus"], /unknown flag --bogus/],
  ];
  for (const [args, want] of cases) {
    const io = fakeIo();
    assertEquals(await runCli(["chat-join", ...args], io, cli), 2, args.join(" "));
    match(io.stderrText(), want);
  }
});

Deno.test("chat-join: without --name, a terminal or $USER, it says how to give a name (exit 2)", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const io = fakeIo();
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`], io, cli), 2);
  match(io.stderrText(), /no name to join with \(give --name NAME/);
});

Deno.test("chat-join: scripted without --name joins as $USER", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const io = fakeIo({ env: (n) => n === "USER" ? "carol" : undefined });
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`], io, cli), 0);
  assertEquals(server.peers[0].received[0], { type: "hello", name: "carol" });
});

Deno.test("chat-join: a server that never welcomes is exit 5 after --timeout", async () => {
  await using server = fakeServer(async (peer) => {
    await peer.next(); // the hello, never answered
    await peer.next(10_000); // until the client gives up
  });
  const io = fakeIo();
  const code = await runCli(
    ["chat-join", `127.0.0.1:${server.port}`, "--name", "a", "--timeout", "200ms", "--send", "x"],
    io,
    cli,
  );
  assertEquals(code, 5);
  match(io.stderrText(), /no welcome within 200ms/);
});

Deno.test("chat-join: a message never acknowledged is exit 5 after --timeout", async () => {
  await using server = fakeServer((peer) => behave(peer, { ack: false }));
  const io = fakeIo();
  const code = await runCli(
    ["chat-join", `127.0.0.1:${server.port}`, "--name", "a", "--timeout", "300ms", "--send", "x"],
    io,
    cli,
  );
  assertEquals(code, 5);
  match(io.stderrText(), /1 message not acknowledged within 300ms/);
});

Deno.test("chat-join: a peer that is not a chat server is a protocol error (exit 6)", async () => {
  // An echo server: the hello comes back, which is not a welcome.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      await conn.write(buf.subarray(0, n)).catch(() => {});
    }
    conn.close();
  })();
  const io = fakeIo();
  const code = await runCli(
    ["chat-join", `127.0.0.1:${listener.addr.port}`, "--name", "a"],
    io,
    cli,
  );
  listener.close();
  await echoing;
  assertEquals(code, 6);
  match(io.stderrText(), /expected a welcome, got "hello"/);

  // A text server: its greeting is not a frame a chat server would send.
  await using text = fakeServer(async (peer) => {
    peer.sendRaw(enc.encode("220 smtp.example ESMTP ready\r\n"));
    await peer.next(5000);
  });
  const io2 = fakeIo();
  assertEquals(await runCli(["chat-join", `127.0.0.1:${text.port}`, "--name", "a"], io2, cli), 6);
  match(io2.stderrText(), /protocol|not a JSON message|exceeds/i);
});

Deno.test("chat-join: the name taken is exit 1 with a clear line (no terminal to ask)", async () => {
  await using server = fakeServer((peer) => behave(peer, { taken: ["bob"] }));
  const io = fakeIo();
  assertEquals(
    await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "bob"], io, cli),
    1,
  );
  match(
    io.stderrText(),
    /join 127\.0\.0\.1:\d+ as "bob": The name "bob" is taken \(choose another name with --name\)/,
  );
});

Deno.test("chat-join: each refusal of its hello has its own exit code and line", async () => {
  const cases: [string, string, number, RegExp][] = [
    ["server_full", "100 people at most", 4, /: the server is full \(100 people at most\)$/],
    [
      "bad_password",
      "Wrong password",
      1,
      /: Wrong password \(give the room's password with --password-file FILE or \$SOCKIT_CHAT_PASSWORD\)$/,
    ],
    ["name_invalid", "Names are 1-32 characters", 1, /as "bob": Names are 1-32 characters/],
    ["bad_frame", "nope", 6, /: the server refused hello: nope$/],
  ];
  for (const [code, message, exit, line] of cases) {
    await using server = fakeServer(async (peer) => {
      await peer.next(10_000);
      peer.send({ type: "error", code, message });
      await peer.next(10_000);
    });
    const io = fakeIo();
    const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "bob"];
    assertEquals(await runCli(args, io, cli), exit, `${code}: ${io.stderrText()}`);
    match(io.stderrText().trimEnd(), line);
  }
});

Deno.test("chat-join: a lost connection is exit 4 with a clear line", async () => {
  await using server = fakeServer((peer) => behave(peer, { stopAfter: 0 }));
  const stdin = controlledStdin();
  const io = fakeIo({ stdin: { readable: stdin.readable, isTerminal: false } });
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli);
  stdin.push("hello\n");
  const code = await running;
  stdin.end();
  assertEquals(code, 4);
  match(io.stderrText(), /connection closed by the server/);
});

Deno.test("chat-join --reconnect: re-joins after a lost connection and sends the unacknowledged again", async () => {
  // The first connection drops after the first message, unacknowledged; the second
  // behaves.
  await using server = fakeServer((peer, i) =>
    i === 0 ? behave(peer, { stopAfter: 0 }) : behave(peer)
  );
  const io = fakeIo();
  const code = await runCli(
    [
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "a",
      "--reconnect",
      "--json",
      "--send",
      "one",
    ],
    io,
    cli,
  );
  assertEquals(code, 0, io.stderrText());
  const events = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(events.map((e) => e.event), [
    "welcome",
    "disconnected",
    "reconnecting",
    "welcome",
    "reconnected",
    "msg",
  ]);
  assertEquals(events[5].text, "one");
  assertEquals(events[5].own, true);
  ok(events[2].delayMs >= 125 && events[2].delayMs <= 250);
  // The same message, with the same id, on both connections.
  const said = server.peers.map((p) => p.received.find((m) => m.type === "say"));
  assertEquals(said[0], said[1]);
});

Deno.test("ChatClient with reconnect gives up after 10 failed attempts in a row, with the last error", async () => {
  const server = fakeServer(async (peer) => {
    await peer.next();
    peer.send({ type: "welcome", name: "a", users: ["a"], limits: WELCOME_LIMITS, ts: 0 });
  }); // welcomes, then closes; once disposed, nothing listens: refused
  const statuses: Status[] = [];
  const client = await ChatClient.join({
    address: { host: "127.0.0.1", port: server.port },
    name: "a",
    io: fakeIo(),
    timeout: 1000,
    reconnect: true,
    backoff: { base: 1, cap: 4 },
    onStatus: (s) => {
      statuses.push(s);
      // Stop listening before the first retry, so every retry is refused.
      if (s.kind === "disconnected") void server[Symbol.asyncDispose]();
    },
  });
  const ending = await client.ended;
  assertEquals(ending.kind, "lost");
  const error = (ending as { error: SockitError }).error;
  match(error.message, /gave up re-joining after 10 attempts: dial tcp .*connection refused/);
  assertEquals(error.exitCode, 4);
  assertEquals(statuses.filter((s) => s.kind === "reconnecting").length, 10);
  await server[Symbol.asyncDispose]();
});

Deno.test("ChatClient: a shutdown in the same read as the welcome still ends the session as a shutdown", async () => {
  await using server = fakeServer(async (peer) => {
    await peer.next(); // hello
    const frame = (m: Json) => lengthPrefixFrame(JSON.stringify(m));
    const welcome = frame({
      type: "welcome",
      name: "a",
      users: ["a"],
      limits: WELCOME_LIMITS,
      ts: 0,
    });
    const shutdown = frame({ type: "shutdown", message: "server shutting down", ts: 0 });
    await peer.conn.write(concat([welcome, shutdown])); // one write: one read on the client
  }); // then closes
  const client = await ChatClient.join({
    address: { host: "127.0.0.1", port: server.port },
    name: "a",
    io: fakeIo(),
    timeout: 5000,
  });
  assertEquals(await client.ended, { kind: "shutdown", message: "server shutting down" });
});

Deno.test("chat-join: a hostile server cannot put control characters on stdout", async () => {
  await using server = fakeServer(async (peer) => {
    await peer.next();
    peer.send({
      type: "welcome",
      name: "a",
      users: ["a", "x\x1b[2Jy"],
      limits: WELCOME_LIMITS,
      ts: 0,
    });
    peer.send({ type: "msg", from: "m\x1b]2;title\x07", text: "\x1b[31mred\u009b2J\x00", ts: 0 });
    peer.send({ type: "join", name: "\x1bc", ts: 0 });
    await peer.next(); // bye
  });
  for (const json of [false, true]) {
    const io = fakeIo();
    const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "a"];
    assertEquals(await runCli(json ? [...args, "--json"] : args, io, cli), 0);
    const out = io.stdoutText() + io.stderrText();
    // deno-lint-ignore no-control-regex
    ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(out), JSON.stringify(out));
    ok(out.includes("red"));
  }
});

Deno.test("chat-join: scripted stdin sends each line or /command, waits for every ack, says bye", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const io = fakeIo({
    stdin: {
      readable: ReadableStream.from([
        enc.encode("hello\n/me waves\n\n/msg bob psst\r\n/who\n//slash\n/nick al\nlast"),
      ]),
      isTerminal: false,
    },
  });
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli), 0);
  const sent = server.peers[0].received.map(({ id: _id, ...m }) => m);
  assertEquals(sent, [
    { type: "hello", name: "a" },
    { type: "say", text: "hello" },
    { type: "me", text: "waves" },
    { type: "dm", to: "bob", text: "psst" },
    { type: "who" },
    { type: "say", text: "/slash" },
    { type: "nick", name: "al" },
    { type: "say", text: "last" },
    { type: "bye" },
  ]);
  match(io.stdoutText(), /<al> last\n$/);
});

Deno.test("chat-join: scripted, a refused line is shown and makes the exit 1; the rest is still sent", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const io = fakeIo({
    stdin: {
      readable: ReadableStream.from([enc.encode("/frobnicate\n/msg bob\nstill here\n")]),
      isTerminal: false,
    },
  });
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli), 1);
  match(io.stderrText(), /Unknown command "\/frobnicate"/);
  match(io.stderrText(), /Usage: \/msg NAME TEXT/);
  ok(server.peers[0].received.some((m) => m.text === "still here"));
});

Deno.test("chat-join: scripted, a line over the server's limit is refused here and not sent", async () => {
  await using server = fakeServer((peer) => behave(peer)); // maxMessage 1024
  const io = fakeIo({
    stdin: {
      readable: ReadableStream.from([
        enc.encode("x".repeat(1030) + "\n" + "y".repeat(5000) + "\nz".repeat(1) + "\n"),
      ]),
      isTerminal: false,
    },
  });
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli), 1);
  match(io.stderrText(), /Text of 1030 bytes exceeds the limit of 1024 bytes/);
  match(
    io.stderrText(),
    /A stdin line of more than \d+ bytes exceeds the limit of 1024 bytes; not sent/,
  );
  const said = server.peers[0].received.filter((m) => m.type === "say").map((m) => m.text);
  assertEquals(said, ["z"]);
});

Deno.test("chat-join: stdin a terminal but stdout redirected reads lines like a script", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const raw: boolean[] = [];
  const io = fakeIo({
    stdin: {
      readable: ReadableStream.from([enc.encode("typed\n")]),
      isTerminal: true,
      setRaw: (r) => void raw.push(r),
    },
  });
  assertEquals(await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli), 0);
  assertEquals(raw, []);
  match(io.stdoutText(), /<a> typed\n$/);
});

Deno.test("chat-join --trace dumps every read and write on stderr", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const io = fakeIo();
  const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "a", "--trace", "--send", "x"];
  assertEquals(await runCli(args, io, cli), 0);
  const err = io.stderrText();
  match(
    err,
    new RegExp(
      `write 31 bytes to 127\\.0\\.0\\.1:${server.port}\n00000000  00 00 00 1b 7b 22 74 79`,
    ),
  );
  match(err, /read \d+ bytes from 127\.0\.0\.1:\d+\n00000000 {2}00 00 00 /);
});

Deno.test("chat-join: a signal while waiting for the welcome gives up at once (exit 130)", async () => {
  await using server = fakeServer(async (peer) => {
    await peer.next(); // the hello, never answered
    await peer.next(10_000);
  });
  const t = fakeTerminal();
  const io = { ...t.io, stdin: { readable: ReadableStream.from([]), isTerminal: false } };
  const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "a", "--timeout", "30s"];
  const running = runCli(args, io, cli);
  await eventually(() => (server.peers[0]?.received.length ?? 0) >= 1, "the hello");
  t.signal("SIGTERM");
  assertEquals(await running, 130);
  match(t.screen(), /sockit: interrupted by SIGTERM while joining/);
});

Deno.test("chat-join: SIGINT while scripted says bye and exits 130", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const t = fakeTerminal();
  const stdin = controlledStdin();
  const io = { ...t.io, stdin: { readable: stdin.readable, isTerminal: false } };
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "a"], io, cli);
  stdin.push("one\n");
  await eventually(() => (server.peers[0]?.received.length ?? 0) >= 2, "the first message");
  t.signal("SIGINT");
  assertEquals(await running, 130);
  stdin.end();
  await eventually(() => server.peers[0].received.some((m) => m.type === "bye"), "bye");
});

// ---------------------------------------------------------------------------------------
// Interactive mode through a fake terminal

Deno.test("chat-join interactive: a message arriving mid-line goes above it; the line is kept and sent exactly", async () => {
  let serverPeer: FramedPeer | undefined;
  await using server = fakeServer((peer) => {
    serverPeer = peer;
    return behave(peer);
  });
  const t = fakeTerminal();
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "alice"], t.io, cli);
  await eventually(() => t.screen().includes("alice> "), "the prompt");
  t.stdin.push("half a ");
  await eventually(() => t.screen().endsWith("half a \x1b[K\r\x1b[14C"), "the typed text drawn");
  t.clear();
  serverPeer!.send({ type: "msg", from: "bob", text: "hi alice", ts: Date.UTC(2026, 0, 1, 12, 0) });
  await eventually(() => t.screen().includes("<bob> hi alice"), "bob's message");
  // One write: clear the input line, the message, a new line, the input line again.
  // deno-lint-ignore no-control-regex
  match(t.screen(), /^\r\x1b\[K\d\d:\d\d <bob> hi alice\r\n\ralice> half a \x1b\[K\r\x1b\[14C$/);
  t.stdin.push("line\x1b[D\x1b[D\x1b[D\x1b[D\x7f \r");
  // Looked up in what the server received (behave() is the one reading its frames).
  const said = () => serverPeer!.received.find((m) => m.type === "say");
  await eventually(() => said() !== undefined, "the message at the server");
  assertEquals(said()!.text, "half a line");
  await eventually(() => t.screen().includes("<alice> half a line"), "the ack");
  t.stdin.push("\x03"); // Ctrl-C
  assertEquals(await running, 0);
  assertEquals(t.raw, [true, false]);
  ok(serverPeer!.received.some((m) => m.type === "bye"));
});

Deno.test("chat-join interactive: asks the name (offering $USER), asks again when taken", async () => {
  await using server = fakeServer((peer) => behave(peer, { taken: ["tester"] }));
  const t = fakeTerminal();
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`], t.io, cli);
  await eventually(() => t.screen().includes("name [tester]: "), "the name prompt");
  t.stdin.push("\r"); // take the suggestion: it is taken
  await eventually(() => t.screen().includes('The name "tester" is taken'), "name taken");
  await eventually(() => t.screen().endsWith("name: \x1b[K\r\x1b[6C"), "the second prompt");
  t.stdin.push("bad name\r"); // refused locally
  await eventually(() => t.screen().includes("may only hold"), "the local check");
  t.stdin.push("\x15tester2\r");
  await eventually(() => t.screen().includes("tester2> "), "joined");
  t.stdin.push("/quit\r");
  assertEquals(await running, 0);
  const hellos = server.peers[0].received.filter((m) => m.type === "hello").map((m) => m.name);
  assertEquals(hellos, ["tester", "tester2"]);
  assertEquals(t.raw, [true, false]);
});

Deno.test("chat-join interactive: Ctrl-C at the name prompt leaves without connecting", async () => {
  const t = fakeTerminal();
  const running = runCli(["chat-join", "127.0.0.1:1"], t.io, cli);
  await eventually(() => t.screen().includes("name [tester]: "), "the name prompt");
  t.stdin.push("\x03");
  assertEquals(await running, 0);
  assertEquals(t.raw, [true, false]);
});

Deno.test("chat-join interactive: Ctrl-D on an empty line leaves; /commands and /help work", async () => {
  await using server = fakeServer((peer) => behave(peer));
  const t = fakeTerminal();
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "al"], t.io, cli);
  await eventually(() => t.screen().includes("al> "), "the prompt");
  t.stdin.push("/help\r");
  await eventually(() => t.screen().includes("/msg NAME TEXT"), "help");
  t.stdin.push("/nick ally\r");
  await eventually(() => t.screen().includes("ally> "), "the new prompt");
  t.stdin.push("/msg bob psst\r/me waves\r/who\r");
  await eventually(() => t.screen().includes("online (1): ally"), "who");
  t.stdin.push("x\x04"); // Ctrl-D on a non-empty line deletes, on an empty one leaves
  t.stdin.push("\x7f\x04");
  assertEquals(await running, 0);
  match(t.screen(), /\[dm to bob\] psst/);
  match(t.screen(), /\* ally waves/);
  assertEquals(t.raw, [true, false]);
});

Deno.test("chat-join interactive: the server's shutdown notice is shown, the terminal restored, exit 0", async () => {
  await using server = fakeServer(async (peer) => {
    await peer.next();
    peer.send({ type: "welcome", name: "al", users: ["al"], limits: WELCOME_LIMITS, ts: 0 });
    await new Promise((r) => setTimeout(r, 0));
    peer.send({ type: "shutdown", message: "server shutting down", ts: 0 });
  });
  const t = fakeTerminal();
  const code = await runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "al"], t.io, cli);
  assertEquals(code, 0);
  match(t.screen(), /!!! server: server shutting down/);
  assertEquals(t.raw, [true, false]);
});

Deno.test("chat-join interactive: a lost connection restores the terminal before the error (exit 4)", async () => {
  await using server = fakeServer((peer) => behave(peer, { stopAfter: 0 }));
  const t = fakeTerminal();
  const running = runCli(["chat-join", `127.0.0.1:${server.port}`, "--name", "al"], t.io, cli);
  await eventually(() => t.screen().includes("al> "), "the prompt");
  t.stdin.push("hi\r");
  assertEquals(await running, 4);
  assertEquals(t.raw, [true, false]);
  match(t.screen(), /sockit: read tcp .*connection closed by the server/);
});

// ---------------------------------------------------------------------------------------
// Integration: the real CLI against the real chat-serve

async function chatServer() {
  return await startSockit(["chat-serve", "--port", "0"]);
}

Deno.test("chat-join --send a --send b exits 0 once both are acknowledged; others get them exactly", async () => {
  await using server = await chatServer();
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    const r = await runSockit([
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "alice",
      "--send",
      "a",
      "--send",
      "b  with  spaces ✓",
    ]);
    assertEquals(r.code, 0, r.stderr);
    match(r.stdout, /^\d\d:\d\d <alice> a\n\d\d:\d\d <alice> b {2}with {2}spaces ✓\n$/);
    match(r.stderr, /joined as alice; online \(2\): /);
    const got = [];
    for (let i = 0; i < 2; i++) got.push(await bob.until((m) => m.type === "msg"));
    assertEquals(got.map((m) => [m.from, m.text, m.id]), [
      ["alice", "a", undefined],
      ["alice", "b  with  spaces ✓", undefined],
    ]);
    const left = await bob.until((m) => m.type === "leave");
    assertEquals([left.name, left.reason], ["alice", "quit"]);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join --send: stdout shows only its own acknowledged messages, not the history", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0", "--history", "5"]);
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    bob.send({ type: "say", text: "old news", id: "1" });
    await bob.until((m) => m.type === "msg" && m.id === "1"); // in the history now
    const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "alice"];
    const r = await runSockit([...args, "--send", "new"]);
    assertEquals(r.code, 0, r.stderr);
    match(r.stdout, /^\d\d:\d\d <alice> new\n$/);
    // --json is for scripts that want every event: the history is there.
    const j = await runSockit([...args.slice(0, 3), "carol", "--send", "x", "--json"]);
    assertEquals(j.code, 0, j.stderr);
    ok(j.stdout.includes('"text":"old news"'), j.stdout);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join --send: each line of a multi-line TEXT is one message, in order", async () => {
  await using server = await chatServer();
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    const r = await runSockit([
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "alice",
      "--send",
      "line1\nline2\r\n\nline3",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await bob.until((m) => m.type === "msg")).text);
    assertEquals(got, ["line1", "line2", "line3"]);
    match(r.stdout, /<alice> line1\n.*<alice> line2\n.*<alice> line3\n$/);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join --send: a signal before every message is acknowledged is exit 130", async () => {
  await using server = fakeServer((peer) => behave(peer, { ack: false }));
  const t = fakeTerminal();
  const io = { ...t.io, stdin: { readable: ReadableStream.from([]), isTerminal: false } };
  const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "a", "--send", "x"];
  const running = runCli([...args, "--timeout", "30s"], io, cli);
  await eventually(() => (server.peers[0]?.received.length ?? 0) >= 2, "the message");
  t.signal("SIGINT");
  assertEquals(await running, 130);
  match(t.screen(), /sockit: interrupted by SIGINT/);
  await eventually(() => server.peers[0].received.some((m) => m.type === "bye"), "bye");
});

Deno.test("chat-join scripted: stdin lines and /commands reach the room; exit 0 at EOF after acks", async () => {
  await using server = await chatServer();
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    const r = await runSockit(["chat-join", `127.0.0.1:${server.port}`, "--name", "scripter"], {
      stdin: ["first", "/me waves", "/msg bob psst", ...lines].join("\n") + "\n",
    });
    assertEquals(r.code, 0, r.stderr);
    const first = await bob.until((m) => m.type === "msg");
    assertEquals([first.from, first.text], ["scripter", "first"]);
    const action = await bob.until((m) => m.type === "msg");
    assertEquals([action.text, action.action], ["waves", true]);
    const dm = await bob.until((m) => m.type === "dm");
    assertEquals([dm.from, dm.to, dm.text], ["scripter", "bob", "psst"]);
    for (const line of lines) assertEquals((await bob.until((m) => m.type === "msg")).text, line);
    assertEquals((await bob.until((m) => m.type === "leave")).reason, "quit");
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join --json prints one JSON object per event", async () => {
  await using server = await chatServer();
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    const r = await runSockit(
      ["chat-join", `127.0.0.1:${server.port}`, "--name", "jay", "--json"],
      { stdin: "hi\n/who\n/msg nobody x\n" },
    );
    assertEquals(r.code, 1, r.stderr); // the dm to nobody was refused
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(events.map((e) => e.event), ["welcome", "msg", "who", "error"]);
    assertEquals(events[0].name, "jay");
    assertEquals(events[1].text, "hi");
    assertEquals(events[1].own, true);
    assertEquals(typeof events[1].ts, "number");
    assertEquals(events[2].users.sort(), ["bob", "jay"]);
    assertEquals([events[3].code, events[3].own], ["no_such_user", true]);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join: connection refused is exit 4", async () => {
  const port = await refusedPort();
  const r = await runSockit(["chat-join", `127.0.0.1:${port}`, "--name", "a", "--send", "x"]);
  assertEquals(r.code, 4);
  match(r.stderr, new RegExp(`^sockit: dial tcp 127\\.0\\.0\\.1:${port}: connection refused`));
});

Deno.test("chat-join: the server's shutdown notice is shown; a script cut short exits 4", async () => {
  await using server = await chatServer();
  const client = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "stayer",
      "--json",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const bob = await FramedPeer.connect(server.port, "bob");
  try {
    await bob.until((m) => m.type === "join" && m.name === "stayer", 15_000);
    assertEquals((await server.stop("SIGTERM")).code, 0);
    const { code, stdout, stderr } = await client.output();
    assertEquals(code, 4, dec.decode(stderr));
    const events = dec.decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
    const shutdown = events.find((e) => e.event === "shutdown");
    ok(shutdown && typeof shutdown.message === "string", JSON.stringify(events));
    match(dec.decode(stderr), /the server shut down .*before the end of stdin/);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join: the name taken on the real server is exit 1", async () => {
  await using server = await chatServer();
  const bob = await FramedPeer.connect(server.port, "Bob");
  try {
    const r = await runSockit([
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "bob",
      "--send",
      "x",
    ]);
    assertEquals(r.code, 1);
    match(r.stderr, /as "bob": .*taken/);
  } finally {
    await bob.close();
  }
});

Deno.test("chat-join --send: a bad frame right after the welcome is exit 6, not a silent 0", async () => {
  for (
    const after of [new Uint8Array([0xff, 0xff, 0xff, 0xff]), new TextEncoder().encode("garbage\n")]
  ) {
    await using server = fakeServer(async (peer) => {
      await peer.next(); // hello
      const welcome = lengthPrefixFrame(
        JSON.stringify({
          type: "welcome",
          name: "me",
          users: ["me"],
          limits: WELCOME_LIMITS,
          ts: 0,
        }),
      );
      await peer.conn.write(concat([welcome, after])); // one read on the client
      await peer.next(10_000).catch(() => {}); // until the client goes
    });
    const io = fakeIo();
    const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "me", "--send", "hello"];
    assertEquals(await runCli([...args, "--timeout", "5s"], io, cli), 6, io.stderrText());
    match(io.stderrText(), /^sockit: read tcp 127\.0\.0\.1:\d+: /m);
  }
});

Deno.test("chat-join: a welcome without a name or users is exit 6, not an empty join", async () => {
  const welcomes = [
    { type: "welcome" },
    { type: "welcome", name: "me" },
    { type: "welcome", name: "me", users: "me" },
    { type: "welcome", name: 7, users: ["me"] },
  ];
  for (const welcome of welcomes) {
    await using server = fakeServer(async (peer) => {
      await peer.next(); // hello
      peer.send(welcome as Json);
      await peer.next(10_000).catch(() => {});
    });
    const io = fakeIo();
    const args = ["chat-join", `127.0.0.1:${server.port}`, "--name", "me", "--send", "hi"];
    assertEquals(await runCli(args, io, cli), 6, `${JSON.stringify(welcome)}: ${io.stderrText()}`);
    match(io.stderrText(), /: a welcome without a name and users/);
  }
});
