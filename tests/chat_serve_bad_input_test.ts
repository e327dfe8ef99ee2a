/**
 * `chat-serve` against hostile and broken clients, one kind per test. Each test runs
 * its own server with two healthy clients (alice on a line, bob framed); after the bad
 * input the server must still be up and alice and bob still chatting both ways, and a
 * newcomer must still get in.
 */

import assert from "node:assert/strict";
import { assertChatting, ChatClient } from "./chat_serve_clients.ts";
import { concat } from "../commands/chat/outbox.ts";
import { lengthPrefixFrame } from "../lib/framing.ts";
import { pause } from "../lib/pause.ts";
import { missing, startSockit } from "./helpers.ts";

const encoder = new TextEncoder();

/** Runs `bad` against a fresh server, then checks that everyone else is unharmed. */
async function survives(
  args: string[],
  bad: (port: number, alice: ChatClient, bob: ChatClient, pid: number) => Promise<void>,
): Promise<void> {
  await using server = await startSockit(["chat-serve", "--port", "0", ...args]);
  await using alice = await ChatClient.join(server.port, "line", "alice");
  await using bob = await ChatClient.join(server.port, "framed", "bob");
  await alice.until((t) => t === "*** bob joined");
  await bad(server.port, alice, bob, server.proc.pid);
  await assertChatting(alice, "alice", bob);
  await assertChatting(bob, "bob", alice);
  await using carol = await ChatClient.join(server.port, "line", "carol");
  await assertChatting(carol, "carol", bob);
}

/** Never aborted: the pacing pauses of the trickling client always run their course. */
const PACING = new AbortController().signal;

/** The resident set size of process `pid` in bytes (Linux), or undefined. */
async function rss(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

Deno.test("chat-serve bad input: a 10 MiB line without a newline is refused once, never buffered", async () => {
  await survives([], async (port, alice, bob, pid) => {
    await using mallory = await ChatClient.join(port, "line", "mallory");
    await alice.until((t) => t === "*** mallory joined");
    const before = await rss(pid);
    const chunk = new Uint8Array(64 * 1024).fill(0x78); // "x"
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await mallory.write(chunk);
    assert.match((await mallory.next())!, /^!!! too_long: Line of more than \d+ bytes/);
    const after = await rss(pid);
    if (before !== undefined && after !== undefined) {
      // The 10 MiB went by in 64 KiB reads and were dropped: the process did not grow by them.
      assert.ok(after - before < 8 * 1024 * 1024, `RSS grew by ${after - before} bytes`);
    }
    // The rest of the long line is skipped up to its newline; the next line is a message.
    await mallory.write(encoder.encode("still the long line\nback to normal\n"));
    assert.equal((await bob.untilJson({ type: "msg", from: "mallory" })).text, "back to normal");
    assert.equal(await alice.next(), "mallory: back to normal");
    assert.equal(mallory.seen.filter((t) => t.includes("too_long")).length, 1);
  });
});

Deno.test("chat-serve bad input: an oversize message gets too_long and nothing else is lost", async () => {
  await survives(["--max-message", "1KiB"], async (port, alice, bob) => {
    await using mallory = await ChatClient.join(port, "framed", "mallory");
    await alice.until((t) => t === "*** mallory joined");
    // Over the frame limit (skipped unread), then over the text limit, then fine: all in one write.
    const huge = encoder.encode(JSON.stringify({ type: "say", text: "y".repeat(100_000) }));
    const frames = [
      huge,
      encoder.encode(JSON.stringify({ type: "say", text: "z".repeat(2000), id: "t2" })),
      encoder.encode(JSON.stringify({ type: "say", text: "fits", id: "t3" })),
    ];
    await mallory.write(concat(frames.map((f) => lengthPrefixFrame(f))));
    const first = await mallory.json();
    assert.deepEqual([first.type, first.code], ["error", "too_long"]);
    const second = await mallory.json();
    assert.deepEqual([second.code, second.id], ["too_long", "t2"]);
    assert.equal((await mallory.json()).id, "t3");
    assert.equal(await alice.next(), "mallory: fits");
    assert.equal((await bob.untilJson({ type: "msg", from: "mallory" })).text, "fits");

    // A line over the limit, then a normal line in the same write.
    await alice.write(encoder.encode("w".repeat(3000) + "\nshort\n"));
    assert.match((await alice.next())!, /^!!! too_long: /);
    assert.equal((await bob.untilJson({ type: "msg", from: "alice" })).text, "short");
  });
});

Deno.test("chat-serve bad input: invalid UTF-8 arrives as U+FFFD", async () => {
  await survives([], async (port, alice, bob) => {
    await using mallory = await ChatClient.join(port, "line", "mallory");
    await alice.until((t) => t === "*** mallory joined");
    await mallory.write(new Uint8Array([0x68, 0xff, 0xfe, 0x69, 0xc3, 0x0a])); // "h\xff\xfei\xc3\n"
    assert.equal(
      (await bob.untilJson({ type: "msg", from: "mallory" })).text,
      "h\ufffd\ufffdi\ufffd",
    );
    assert.equal(await alice.next(), "mallory: h\ufffd\ufffdi\ufffd");

    await using framed = await ChatClient.join(port, "framed", "framed");
    await alice.until((t) => t === "*** framed joined");
    // An invalid lead byte inside the JSON string.
    const json = concat([
      encoder.encode('{"type":"say","text":"a'),
      new Uint8Array([0xc0]),
      encoder.encode('"}'),
    ]);
    await framed.write(lengthPrefixFrame(json));
    assert.equal(await alice.next(), "framed: a\ufffd");

    // A name that is not valid UTF-8 is an invalid name, not a crash.
    await using nameless = await ChatClient.connect(port, "line");
    await nameless.write(new Uint8Array([0xff, 0xfe, 0x0a]));
    assert.match((await nameless.next())!, /^!!! name_invalid: /);
  });
});

Deno.test("chat-serve bad input: a 4 GB length header gets bad_frame and only that client is closed", async () => {
  await survives([], async (port, alice) => {
    await using mallory = await ChatClient.join(port, "framed", "mallory");
    await alice.until((t) => t === "*** mallory joined");
    await mallory.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7b, 0x22]));
    const err = await mallory.untilJson({ type: "error" });
    assert.equal(err.code, "bad_frame");
    assert.match(String(err.message), /4294967295/);
    assert.deepEqual(await mallory.rest(), []);
    assert.equal(await alice.next(), "*** mallory left (error)");
  });
});

Deno.test("chat-serve bad input: zero-length frames are answered with bad_json", async () => {
  await survives([], async (port, alice) => {
    await using mallory = await ChatClient.connect(port, "framed");
    await mallory.write(new Uint8Array(12)); // three empty frames before hello
    for (let i = 0; i < 3; i++) assert.equal((await mallory.json()).code, "bad_json");
    await mallory.sendJson({ type: "hello", name: "mallory" });
    assert.equal((await mallory.json()).type, "welcome");
    await mallory.write(new Uint8Array(8));
    for (let i = 0; i < 2; i++) assert.equal((await mallory.json()).code, "bad_json");
    await mallory.sendJson({ type: "say", text: "after nothing" });
    assert.equal(await alice.until((t) => t.startsWith("mallory:")), "mallory: after nothing");
  });
});

Deno.test("chat-serve bad input: JSON that is not an object gets bad_json", async () => {
  await survives([], async (port, alice) => {
    await using mallory = await ChatClient.join(port, "framed", "mallory");
    for (const text of ["[1,2]", '"say"', "42", "null", "true", "{not json", "\u00ff"]) {
      await mallory.sendText(text);
      const err = await mallory.untilJson({ type: "error" });
      assert.equal(err.code, "bad_json", `for ${text}`);
    }
    await mallory.sendJson({ type: "say", text: "objects only" });
    assert.equal(await alice.until((t) => t.startsWith("mallory:")), "mallory: objects only");
  });
});

Deno.test("chat-serve bad input: unknown types and wrong fields get their error codes", async () => {
  await survives([], async (port, alice) => {
    await using mallory = await ChatClient.join(port, "framed", "mallory");
    const cases: [unknown, string][] = [
      [{ type: "dance" }, "unknown_type"],
      [{ type: "dance", id: "u1" }, "unknown_type"],
      [{}, "bad_request"],
      [{ type: 42 }, "bad_request"],
      [{ type: "say" }, "bad_request"],
      [{ type: "say", text: 5 }, "bad_request"],
      [{ type: "say", text: "   " }, "bad_request"],
      [{ type: "say", text: "x", id: 7 }, "bad_request"],
      [{ type: "say", text: "x", id: "i".repeat(65) }, "bad_request"],
      [{ type: "dm", text: "x" }, "bad_request"],
      [{ type: "nick" }, "bad_request"],
      [{ type: "nick", name: "no spaces" }, "name_invalid"],
    ];
    for (const [message, code] of cases) {
      await mallory.sendJson(message);
      const err = await mallory.untilJson({ type: "error" });
      assert.equal(err.code, code, `for ${JSON.stringify(message)}`);
    }
    assert.equal(
      (await (mallory.sendJson({ type: "dance", id: "u9" }), mallory.untilJson({ type: "error" })))
        .id,
      "u9",
    );
    await mallory.sendJson({ type: "say", text: "known type", extra: { ignored: true } });
    assert.equal(await alice.until((t) => t.startsWith("mallory:")), "mallory: known type");
  });
});

Deno.test("chat-serve bad input: a client that sends one byte at a time is assembled", async () => {
  await survives([], async (port, alice, bob) => {
    const trickle = async (client: ChatClient, bytes: Uint8Array) => {
      for (const b of bytes) {
        await client.write(new Uint8Array([b]));
        await pause(1, PACING); // deliberate pacing: each byte goes out as its own segment
      }
    };
    await using slowFramed = await ChatClient.connect(port, "framed");
    const hello = encoder.encode(JSON.stringify({ type: "hello", name: "dripf" }));
    const say = encoder.encode(JSON.stringify({ type: "say", text: "drip, drop", id: "d" }));
    await trickle(slowFramed, lengthPrefixFrame(hello));
    assert.equal((await slowFramed.json()).type, "welcome");
    await trickle(slowFramed, lengthPrefixFrame(say));
    assert.equal((await slowFramed.untilJson({ type: "msg" })).id, "d");
    assert.equal(await alice.until((t) => t.startsWith("dripf:")), "dripf: drip, drop");

    await using slowLine = await ChatClient.connect(port, "line");
    await trickle(slowLine, encoder.encode("dripl\r\nh\u00e9llo\r\n"));
    assert.equal((await bob.untilJson({ type: "msg", from: "dripl" })).text, "h\u00e9llo");
  });
});

const RESET_CLIENT = `
import json, socket, struct, sys
port, dialect = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
if dialect == "framed":
    hello = json.dumps({"type": "hello", "name": "resetter"}).encode()
    s.sendall(struct.pack(">I", len(hello)) + hello)
else:
    s.sendall(b"resetter\\n")
s.recv(4)  # part of the welcome: the rest stays unread
if dialect == "framed":
    s.sendall(struct.pack(">I", 100) + b'{"type":"say","te')  # 17 of 100 bytes
else:
    s.sendall(b"half a li")  # no newline
# Linger 0: close() sends a reset (RST) instead of a FIN.
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("reset")
`;

Deno.test({
  name:
    "chat-serve bad input: a client reset mid-frame leaves as disconnect, its half frame dropped",
  ignore: missing("python3"),
  async fn() {
    await survives([], async (port, alice, bob) => {
      for (const dialect of ["framed", "line"]) {
        const out = await new Deno.Command("python3", {
          args: ["-c", RESET_CLIENT, String(port), dialect],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(
          new TextDecoder().decode(out.stdout).trim(),
          "reset",
          new TextDecoder().decode(out.stderr),
        );
        await alice.until((t) => t === "*** resetter joined");
        assert.equal(await alice.next(), "*** resetter left (disconnect)");
        const leave = await bob.untilJson({ type: "leave", name: "resetter" });
        assert.equal(leave.reason, "disconnect");
      }
      assert.ok(!alice.seen.some((t) => t.includes("half a li")));
    });
  },
});

Deno.test("chat-serve bad input: 2,000 connections opened and dropped, 100 at a time", async () => {
  await survives(["--quiet"], async (port, alice) => {
    const total = 2000;
    const parallel = 100;
    let next = 0;
    const hello = (i: number) => {
      return lengthPrefixFrame(JSON.stringify({ type: "hello", name: `f${i}` }));
    };
    const one = async (i: number) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        switch (i % 4) {
          case 0: // connect and go
            break;
          case 1: // join on a line and go
            await conn.write(encoder.encode(`l${i}\n`));
            break;
          case 2: // half a framed header and go
            await conn.write(new Uint8Array([0, 0]));
            break;
          case 3: // join framed and go
            await conn.write(hello(i));
            break;
        }
      } finally {
        conn.close();
      }
    };
    const deadline = Date.now() + 60_000;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < total && Date.now() < deadline) await one(next++);
    }));
    assert.equal(next, total, "all connections were made in time");
    // Every one of them is gone again: ask until the room holds only alice and bob.
    let users = "";
    while (Date.now() < deadline) {
      await alice.sendText("/who");
      users = await alice.until((t) => t.startsWith("*** users:"));
      if (users === "*** users: alice, bob") break;
    }
    assert.equal(users, "*** users: alice, bob");
  });
});
