/**
 * Integration tests of `sockit chat-serve`: the real CLI over loopback, with raw line
 * and framed clients, `nc` and `ncat`: chatting across dialects, commands, names,
 * acknowledgements, history, the log, limits, the idle timeout and SIGTERM.
 */

import assert from "node:assert/strict";
import { assertChatting, ChatClient } from "./chat_serve_clients.ts";
import { LineReader, missing, startSockit } from "./helpers.ts";

const encoder = new TextEncoder();

function serve(...args: string[]) {
  return startSockit(["chat-serve", "--port", "0", ...args]);
}

Deno.test("chat-serve: line and framed clients chat with each other on one port", async () => {
  await using server = await serve();
  await using alice = await ChatClient.join(server.port, "line", "alice");
  await using bob = await ChatClient.join(server.port, "framed", "bob");
  assert.equal(await alice.next(), "*** bob joined");

  await alice.sendText("hello bob");
  const got = await bob.json();
  assert.equal(got.type, "msg");
  assert.equal(got.from, "alice");
  assert.equal(got.text, "hello bob");
  assert.equal(typeof got.ts, "number");
  assert.equal(got.id, undefined, "only the sender's copy carries the id");

  await bob.sendJson({ type: "say", text: "hi alice", id: "c1" });
  const ack = await bob.json();
  assert.deepEqual([ack.type, ack.from, ack.text, ack.id], ["msg", "bob", "hi alice", "c1"]);
  assert.equal(await alice.next(), "bob: hi alice");
});

Deno.test("chat-serve: welcome lists everyone in join order and the limits", async () => {
  await using server = await serve("--max-message", "1KiB", "--max-clients", "7");
  await using alice = await ChatClient.join(server.port, "line", "alice");
  await using bob = await ChatClient.connect(server.port, "framed");
  await bob.sendJson({ type: "hello", name: "bob" });
  const welcome = await bob.json();
  assert.equal(welcome.type, "welcome");
  assert.equal(welcome.name, "bob");
  assert.deepEqual(welcome.users, ["alice", "bob"]);
  const limits = welcome.limits as Record<string, number>;
  assert.equal(limits.maxMessage, 1024);
  assert.equal(limits.maxClients, 7);
  assert.equal(typeof limits.maxQueue, "number");
  await assertChatting(alice, "alice", bob);
});

Deno.test("chat-serve: /me, /msg, /who, /nick, /help and /quit in the line dialect", async () => {
  await using server = await serve();
  await using alice = await ChatClient.join(server.port, "line", "alice");
  await using bob = await ChatClient.join(server.port, "line", "bob");
  await using carol = await ChatClient.join(server.port, "framed", "carol");
  await alice.until((t) => t === "*** carol joined");
  await bob.until((t) => t === "*** carol joined");

  await alice.sendText("/me waves");
  assert.equal(await bob.next(), "* alice waves");
  const action = await carol.json();
  assert.deepEqual([action.type, action.from, action.text, action.action], [
    "msg",
    "alice",
    "waves",
    true,
  ]);

  await alice.sendText("/msg BOB psst");
  assert.equal(await alice.next(), "[dm to bob] psst");
  assert.equal(await bob.next(), "[dm from alice] psst");

  await alice.sendText("/msg nobody hi");
  assert.match((await alice.next())!, /^!!! no_such_user: /);

  await alice.sendText("/who");
  assert.equal(await alice.next(), "*** users: alice, bob, carol");

  await alice.sendText("/nick alicia");
  assert.equal(await alice.next(), "*** alice is now alicia");
  assert.equal(await bob.next(), "*** alice is now alicia");
  const nick = await carol.json();
  assert.deepEqual([nick.type, nick.from, nick.to], ["nick", "alice", "alicia"]);

  await alice.sendText("/help");
  const help = (await alice.next())!;
  for (const cmd of ["/nick", "/who", "/me", "/msg", "/quit", "/help"]) {
    assert.ok(help.includes(cmd), `help mentions ${cmd}: ${help}`);
  }

  await alice.sendText("/dance");
  assert.match((await alice.next())!, /^!!! unknown_type: /);

  await alice.sendText("//not a command");
  assert.equal(await bob.next(), "alicia: /not a command");

  await alice.sendText("/quit");
  assert.deepEqual(await alice.rest(), [], "the server closes after /quit");
  assert.equal(await bob.next(), "*** alicia left (quit)");
  const leave = await carol.untilJson({ type: "leave" });
  assert.deepEqual([leave.name, leave.reason], ["alicia", "quit"]);
});

Deno.test("chat-serve: framed me, dm, nick, who, help and bye, with acknowledgements", async () => {
  await using server = await serve();
  await using alice = await ChatClient.join(server.port, "framed", "alice");
  await using bob = await ChatClient.join(server.port, "framed", "bob");
  await alice.untilJson({ type: "join", name: "bob" });

  await alice.sendJson({ type: "me", text: "waves", id: "m1" });
  assert.deepEqual(await alice.json().then((m) => [m.type, m.action, m.id]), ["msg", true, "m1"]);
  assert.deepEqual(await bob.json().then((m) => [m.type, m.action, m.id]), [
    "msg",
    true,
    undefined,
  ]);

  await alice.sendJson({ type: "dm", to: "Bob", text: "psst", id: "d1" });
  const copy = await alice.json();
  assert.deepEqual([copy.type, copy.from, copy.to, copy.text, copy.id], [
    "dm",
    "alice",
    "bob",
    "psst",
    "d1",
  ]);
  const dm = await bob.json();
  assert.deepEqual([dm.type, dm.from, dm.text, dm.id], ["dm", "alice", "psst", undefined]);

  await alice.sendJson({ type: "dm", to: "zed", text: "hi", id: "d2" });
  const missingUser = await alice.json();
  assert.deepEqual([missingUser.type, missingUser.code, missingUser.id], [
    "error",
    "no_such_user",
    "d2",
  ]);
  // The unknown name is quoted back cleaned and cut short: no C1 control (U+009B is CSI
  // on some terminals), not a megabyte of name.
  await alice.sendJson({ type: "dm", to: "\u009b2J" + "z".repeat(5000), text: "hi", id: "d3" });
  const badName = await alice.json();
  assert.equal(badName.code, "no_such_user");
  assert.ok(!/[\u0080-\u009f]/.test(String(badName.message)), String(badName.message));
  assert.ok(String(badName.message).length < 200, `${String(badName.message).length} chars`);

  await alice.sendJson({ type: "who" });
  assert.deepEqual(await alice.json(), { type: "who", users: ["alice", "bob"] });

  await alice.sendJson({ type: "help" });
  const help = await alice.json();
  assert.equal(help.type, "help");
  assert.ok(Array.isArray(help.lines) && help.lines.length >= 6);

  await bob.sendJson({ type: "nick", name: "robert" });
  for (const c of [alice, bob]) {
    const m = await c.json();
    assert.deepEqual([m.type, m.from, m.to], ["nick", "bob", "robert"]);
  }

  await bob.sendJson({ type: "bye" });
  assert.deepEqual(await bob.rest(), []);
  const leave = await alice.json();
  assert.deepEqual([leave.type, leave.name, leave.reason], ["leave", "robert", "quit"]);
});

Deno.test("chat-serve: a framed client must say hello first; errors carry the id", async () => {
  await using server = await serve();
  await using c = await ChatClient.connect(server.port, "framed");
  await c.sendJson({ type: "say", text: "too early", id: "x1" });
  const err = await c.json();
  assert.deepEqual([err.type, err.code, err.id], ["error", "not_joined", "x1"]);
  assert.equal(typeof err.message, "string");
  await c.sendJson({ type: "hello", name: "late" });
  assert.equal((await c.json()).type, "welcome");
  await c.sendJson({ type: "hello", name: "again" });
  assert.equal((await c.json()).code, "bad_request");
});

Deno.test("chat-serve: names are unique ignoring case; a taken or invalid name can be retried", async () => {
  await using server = await serve();
  await using alice = await ChatClient.join(server.port, "line", "alice");

  await using dup = await ChatClient.connect(server.port, "line");
  await dup.sendText("ALICE");
  assert.match((await dup.next())!, /^!!! name_taken: /);
  for (const bad of ["two words", "x".repeat(33), "semi;colon", "esc\x1bape"]) {
    await dup.sendText(bad);
    assert.match((await dup.next())!, /^!!! name_invalid: /, `rejects ${JSON.stringify(bad)}`);
  }
  await dup.sendText("Ünïcødé_1.2-3");
  assert.match((await dup.next())!, /^\*\*\* welcome Ünïcødé_1\.2-3;/);

  await using framed = await ChatClient.connect(server.port, "framed");
  await framed.sendJson({ type: "hello", name: "Alice" });
  assert.equal((await framed.json()).code, "name_taken");
  await framed.sendJson({ type: "hello", name: "" });
  assert.equal((await framed.json()).code, "name_invalid");
  await framed.sendJson({ type: "hello", name: "x".repeat(32) });
  assert.equal((await framed.json()).type, "welcome");

  // Renaming onto a taken name fails; changing one's own case is fine.
  await framed.sendJson({ type: "nick", name: "aLiCe" });
  assert.equal((await framed.untilJson({ type: "error" })).code, "name_taken");
  await alice.sendText("/nick ALICE");
  await alice.until((t) => t === "*** alice is now ALICE");
  await assertChatting(alice, "ALICE", dup);
});

Deno.test("chat-serve: ANSI escapes and control characters never reach another client", async () => {
  await using server = await serve();
  await using mallory = await ChatClient.join(server.port, "line", "mallory");
  await using line = await ChatClient.join(server.port, "line", "victim");
  await using framed = await ChatClient.join(server.port, "framed", "framed");
  await line.until((t) => t === "*** framed joined");
  // ESC sequences (clear screen, colors, OSC title), BEL, backspace, CR, C1 CSI, tab kept.
  await mallory.write(
    encoder.encode("a\x1b[2J\x1b[31mred\x1b]0;pwned\x07\bb\rc\u009b1m\td\n"),
  );
  const got = await line.until((t) => t.startsWith("mallory: "));
  assert.equal(got, "mallory: a[2J[31mred]0;pwnedbc1m\td");
  const m = await framed.untilJson({ type: "msg" });
  assert.equal(m.text, "a[2J[31mred]0;pwnedbc1m\td");
  // A framed sender's escapes (JSON \u001b) are removed the same way.
  await framed.sendJson({ type: "say", text: "\u001b[5mblink\u0085" });
  assert.equal(await line.until((t) => t.startsWith("framed: ")), "framed: [5mblink");
  for (const text of line.seen) {
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(text), JSON.stringify(text));
  }
});

Deno.test("chat-serve: --history replays the last N messages to a newcomer", async () => {
  await using server = await serve("--history", "2");
  await using alice = await ChatClient.join(server.port, "line", "alice");
  for (const text of ["one", "two", "/me three"]) await alice.sendText(text);
  await alice.sendText("/who"); // the answer proves the three were handled
  await alice.until((t) => t.startsWith("*** users"));

  await using bob = await ChatClient.connect(server.port, "framed");
  await bob.sendJson({ type: "hello", name: "bob" });
  assert.equal((await bob.json()).type, "welcome");
  const first = await bob.json();
  const second = await bob.json();
  assert.deepEqual([first.text, first.history, second.text, second.history, second.action], [
    "two",
    true,
    "three",
    true,
    true,
  ]);

  await using carol = await ChatClient.connect(server.port, "line");
  await carol.sendText("carol");
  assert.match((await carol.next())!, /^\*\*\* welcome carol;/);
  assert.equal(await carol.next(), "[history] alice: two");
  assert.equal(await carol.next(), "[history] * alice three");
  await assertChatting(bob, "bob", carol);
});

Deno.test("chat-serve: --history replays only what fits in half of --max-queue, so the newcomer stays", async () => {
  await using server = await serve("--history", "100", "--max-queue", "64KiB");
  await using alice = await ChatClient.join(server.port, "line", "alice");
  const texts = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(4000, "x"));
  for (const text of texts) await alice.sendText(text);
  await alice.sendText("/who"); // the answer proves all ten were handled
  await alice.until((t) => t.startsWith("*** users"));

  await using bob = await ChatClient.connect(server.port, "framed");
  await bob.sendJson({ type: "hello", name: "bob" });
  assert.equal((await bob.json()).type, "welcome");
  // Each 4000-byte message counts as at most ~12 KiB of a 32 KiB budget: the newest two.
  const first = await bob.json();
  const second = await bob.json();
  assert.deepEqual([first.text, first.history, second.text, second.history], [
    texts[8],
    true,
    texts[9],
    true,
  ]);
  await assertChatting(bob, "bob", alice);
});

Deno.test("chat-serve: --log appends a JSONL transcript, one line per event", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/chat.jsonl`;
  try {
    await Deno.writeTextFile(log, '{"type":"earlier"}\n');
    {
      await using server = await serve("--log", log);
      await using alice = await ChatClient.join(server.port, "line", "alice");
      await using bob = await ChatClient.join(server.port, "framed", "bob");
      await alice.sendText("hello");
      await bob.untilJson({ type: "msg", text: "hello" });
      await bob.sendJson({ type: "dm", to: "alice", text: "secret" });
      await alice.until((t) => t.includes("secret"));
      await alice.sendText("/nick alicia");
      await bob.untilJson({ type: "nick" });
      await alice.sendText("/quit");
      await bob.untilJson({ type: "leave" });
      // Flushed per message: the file is complete while the server still runs.
      const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.type), [
        "earlier",
        "join",
        "join",
        "msg",
        "dm",
        "nick",
        "leave",
      ]);
      assert.deepEqual([lines[3].from, lines[3].text], ["alice", "hello"]);
      assert.equal(lines[4].text, undefined, "private text stays out of the log");
      assert.equal(lines[6].reason, "quit");
      assert.ok(lines.slice(1).every((l) => typeof l.ts === "number"));
      assert.equal((await server.stop()).code, 0);
    }
    const after = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(after.at(-1), {
      ...after.at(-1),
      type: "leave",
      name: "bob",
      reason: "shutdown",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat-serve: lines sent in one write are each a message, commands and blanks among them", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/chat.jsonl`;
  try {
    await using server = await serve("--history", "2", "--log", log, "--max-message", "20");
    await using alice = await ChatClient.join(server.port, "line", "alice");
    await using bob = await ChatClient.join(server.port, "framed", "bob");
    await using carol = await ChatClient.join(server.port, "line", "carol");
    await alice.until((t) => t === "*** carol joined");
    await bob.untilJson({ type: "join", name: "carol" });
    const many = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const burst = [...many, "//slash", "", " \t", "x".repeat(21), "/me waves", "last"];
    await alice.write(encoder.encode(burst.join("\n") + "\n"));
    const said = [...many, "/slash"];
    for (const text of said) assert.equal(await carol.next(), `alice: ${text}`);
    assert.equal(await carol.next(), "* alice waves");
    assert.equal(await carol.next(), "alice: last");
    for (const text of [...said, "waves", "last"]) {
      const got = await bob.json();
      assert.deepEqual([got.type, got.from, got.text], ["msg", "alice", text]);
    }
    assert.match((await alice.until((t) => t.startsWith("!!!")))!, /^!!! too_long:/);

    await using dave = await ChatClient.connect(server.port, "line");
    await dave.sendText("dave");
    assert.match((await dave.next())!, /^\*\*\* welcome dave;/);
    assert.equal(await dave.next(), "[history] * alice waves");
    assert.equal(await dave.next(), "[history] alice: last");
    const logged = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l))
      .filter((l) => l.type === "msg").map((l) => l.text);
    assert.deepEqual(logged, [...said, "waves", "last"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat-serve: SIGTERM tells every client, then exits 0 within 2 s", async () => {
  await using server = await serve("--json");
  const clients = [
    await ChatClient.join(server.port, "line", "l1"),
    await ChatClient.join(server.port, "framed", "f1"),
    await ChatClient.join(server.port, "line", "l2"),
    await ChatClient.join(server.port, "framed", "f2"),
  ];
  await using pending = await ChatClient.connect(server.port, "framed");
  // Not joined, and in the middle of a frame when the signal comes.
  await pending.sendJson({ type: "who" });
  assert.equal((await pending.json()).code, "not_joined");
  await pending.write(new Uint8Array([0, 0]));
  try {
    await assertChatting(clients[0], "l1", clients[3]);
    const started = performance.now();
    const status = await server.stop("SIGTERM");
    const took = performance.now() - started;
    assert.equal(status.code, 0);
    assert.ok(took < 2000, `exited after ${took.toFixed(0)} ms`);
    for (const c of clients) {
      const rest = await c.rest();
      const last = rest.at(-1);
      if (c.dialect === "line") assert.equal(last, "*** server shutting down");
      else assert.equal(JSON.parse(last!).type, "shutdown");
    }
    assert.equal(JSON.parse((await pending.rest()).at(-1)!).type, "shutdown");
    const events = (await server.stdout.rest()).map((l) => JSON.parse(l));
    assert.equal(events.filter((e) => e.event === "leave" && e.reason === "shutdown").length, 4);
    assert.equal(events.at(-1).event, "summary");
  } finally {
    for (const c of clients) await c.close();
  }
});

Deno.test("chat-serve: --json prints join, nick and leave events on stdout", async () => {
  await using server = await serve("--json");
  await using alice = await ChatClient.join(server.port, "line", "alice");
  await alice.sendText("/nick al");
  await alice.next();
  await alice.sendText("/quit");
  await alice.rest();
  const wanted = ["join", "nick", "leave"];
  const events: Record<string, unknown>[] = [];
  while (events.length < wanted.length) {
    const e = JSON.parse((await server.stdout.next())!);
    if (wanted.includes(e.event)) events.push(e);
  }
  assert.deepEqual(events.map((e) => e.event), wanted);
  assert.equal(events[0].name, "alice");
  assert.deepEqual([events[1].from, events[1].to], ["alice", "al"]);
  assert.deepEqual([events[2].name, events[2].reason], ["al", "quit"]);
});

Deno.test("chat-serve: --max-clients turns the next one away with server_full", async () => {
  await using server = await serve("--max-clients", "2");
  await using a = await ChatClient.join(server.port, "line", "a");
  await using b = await ChatClient.join(server.port, "framed", "b");
  await using c = await ChatClient.connect(server.port, "framed");
  await c.sendJson({ type: "hello", name: "c" });
  assert.equal((await c.json()).code, "server_full");
  assert.deepEqual(await c.rest(), []);
  await using d = await ChatClient.connect(server.port, "line");
  await d.sendText("d");
  assert.match((await d.next())!, /^!!! server_full: /);
  await assertChatting(a, "a", b);
});

Deno.test("chat-serve: --max-conns turns a connection away in its own dialect", async () => {
  await using server = await serve("--max-conns", "1");
  await using a = await ChatClient.join(server.port, "line", "a");
  await using framed = await ChatClient.connect(server.port, "framed");
  await framed.sendJson({ type: "hello", name: "f" });
  const err = await framed.json();
  assert.deepEqual([err.type, err.code], ["error", "server_full"]);
  await using line = await ChatClient.connect(server.port, "line");
  await line.sendText("l");
  assert.match((await line.next())!, /^!!! server_full: /);
  await a.sendText("/who");
  assert.equal(await a.next(), "*** users: a");
});

Deno.test("chat-serve: --idle-timeout drops a silent client and announces timeout", async () => {
  await using server = await serve("--idle-timeout", "400ms");
  await using quiet = await ChatClient.join(server.port, "framed", "quiet");
  await using watcher = await ChatClient.join(server.port, "line", "watcher");
  // The silent client is told, then closed; the others see its leave.
  const own = await quiet.untilJson({ type: "leave" });
  assert.deepEqual([own.name, own.reason], ["quiet", "timeout"]);
  assert.deepEqual(await quiet.rest(), []);
  await watcher.until((t) => t === "*** quiet left (timeout)");
});

Deno.test("chat-serve: a line client's last line without a newline still counts", async () => {
  await using server = await serve();
  await using bob = await ChatClient.join(server.port, "framed", "bob");
  await using alice = await ChatClient.connect(server.port, "line");
  await alice.write(encoder.encode("alice\r\nbye now"));
  await alice.conn.closeWrite();
  assert.equal((await bob.untilJson({ type: "msg" })).text, "bye now");
  const leave = await bob.untilJson({ type: "leave" });
  assert.deepEqual([leave.name, leave.reason], ["alice", "disconnect"]);
});

/** Runs a line-oriented tool as a chat client: stdin in, stdout lines out. */
function spawnTool(cmd: string, args: string[]) {
  const proc = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "null" })
    .spawn();
  const writer = proc.stdin.getWriter();
  return {
    proc,
    out: new LineReader(proc.stdout),
    send: (line: string) => writer.write(encoder.encode(line + "\n")),
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      try {
        proc.kill("SIGKILL");
      } catch { /* exited */ }
      await proc.status;
      await this.out.cancel();
    },
  };
}

for (
  const [tool, args] of [
    ["nc", ["-q", "0"]],
    ["ncat", []],
  ] as const
) {
  Deno.test({
    name: `chat-serve: ${tool} is a line client`,
    ignore: missing(tool),
    async fn() {
      await using server = await serve();
      await using framed = await ChatClient.join(server.port, "framed", "framed");
      await using client = spawnTool(tool, [...args, "127.0.0.1", String(server.port)]);
      await client.send(`${tool}user`);
      assert.match((await client.out.next())!, new RegExp(`^\\*\\*\\* welcome ${tool}user;`));
      await framed.untilJson({ type: "join", name: `${tool}user` });
      await client.send("hello from a tool");
      assert.equal((await framed.untilJson({ type: "msg" })).text, "hello from a tool");
      await framed.sendJson({ type: "say", text: "hello tool" });
      assert.equal(await client.out.next(), "framed: hello tool");
      await client.send("/quit");
      assert.equal(
        (await framed.untilJson({ type: "leave" })).reason,
        "quit",
      );
    },
  });
}
