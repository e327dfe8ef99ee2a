/**
 * `chat-serve --framing ascii8` with clients written the way the classic socket labs
 * write them: Python, `socket`, a receiving thread, an 8-byte header made with
 * `f"{len(data):<8}"`, the name as the first message.
 */

import assert from "node:assert/strict";
import { ascii8Frame } from "../lib/framing.ts";
import { assertChatting, ChatClient } from "./chat_serve_clients.ts";
import { LineReader, missing, startSockit } from "./helpers.ts";

const encoder = new TextEncoder();

/** A lab chat client: name from argv, stdin lines out, every frame in printed as a line. */
const LAB_CLIENT = `
import socket
import sys
import threading

HEADER = 8

def send(sock, text):
    data = text.encode("utf-8")
    sock.sendall(f"{len(data):<{HEADER}}".encode("utf-8") + data)

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf

def receive(sock):
    while True:
        header = recv_exact(sock, HEADER)
        if header is None:
            break
        length = int(header.decode("utf-8").strip())
        data = recv_exact(sock, length)
        if data is None:
            break
        print(data.decode("utf-8"), flush=True)
    print("[closed]", flush=True)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("127.0.0.1", int(sys.argv[1])))
send(sock, sys.argv[2])
receiver = threading.Thread(target=receive, args=(sock,))
receiver.start()
for line in sys.stdin:
    send(sock, line.rstrip("\\n"))
receiver.join()
`;

function labClient(port: number, name: string) {
  const proc = new Deno.Command("python3", {
    args: ["-u", "-c", LAB_CLIENT, String(port), name],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = proc.stdin.getWriter();
  const out = new LineReader(proc.stdout);
  const err = new LineReader(proc.stderr);
  return {
    out,
    send: (text: string) => writer.write(encoder.encode(text + "\n")),
    /** Ends stdin, as Ctrl-D would: the client then only waits for the server to close. */
    endInput: () => writer.close().catch(() => {}),
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      try {
        proc.kill("SIGKILL");
      } catch { /* exited */ }
      await proc.status;
      await out.cancel();
      await err.cancel();
    },
  };
}

Deno.test({
  name: "chat-serve --framing ascii8: Python lab clients chat with each other and a raw client",
  ignore: missing("python3"),
  async fn() {
    await using server = await startSockit(["chat-serve", "--port", "0", "--framing", "ascii8"]);
    await using alice = labClient(server.port, "pyalice");
    assert.match((await alice.out.next())!, /^\*\*\* welcome pyalice; 1 user here/);
    await using bob = labClient(server.port, "pybob");
    assert.match((await bob.out.next())!, /^\*\*\* welcome pybob; 2 users here: pyalice, pybob/);
    assert.equal(await alice.out.next(), "*** pybob joined");
    await using raw = await ChatClient.join(server.port, "ascii8", "raw8");
    await alice.out.until((l) => l === "*** raw8 joined");

    await alice.send("hello from python, ünïcode too");
    assert.equal(await bob.out.next(), "*** raw8 joined");
    assert.equal(await bob.out.next(), "pyalice: hello from python, ünïcode too");
    assert.equal(await raw.next(), "pyalice: hello from python, ünïcode too");

    await bob.send("/me waves");
    assert.equal(await alice.out.next(), "* pybob waves");
    await bob.send("/msg pyalice psst");
    assert.equal(await bob.out.next(), "[dm to pyalice] psst");
    assert.equal(await alice.out.next(), "[dm from pybob] psst");
    await raw.sendText("/who");
    assert.equal(
      await raw.until((t) => t.startsWith("*** users")),
      "*** users: pyalice, pybob, raw8",
    );

    await raw.sendText("from deno");
    assert.equal(await alice.out.until((l) => l.startsWith("raw8")), "raw8: from deno");

    await alice.send("/quit");
    assert.equal(await alice.out.next(), "[closed]");
    assert.equal(await bob.out.until((l) => l.includes("left")), "*** pyalice left (quit)");

    // SIGTERM: the lab client is told, then sees the close.
    await bob.endInput();
    assert.equal((await server.stop()).code, 0);
    assert.deepEqual(await bob.out.rest(), ["*** server shutting down", "[closed]"]);
  },
});

Deno.test("chat-serve --framing ascii8: empty, oversize and malformed frames", async () => {
  await using server = await startSockit([
    "chat-serve",
    "--port",
    "0",
    "--framing",
    "ascii8",
    "--max-message",
    "100",
  ]);
  await using alice = await ChatClient.join(server.port, "ascii8", "alice");
  await using bob = await ChatClient.join(server.port, "ascii8", "bob");
  await alice.until((t) => t === "*** bob joined");

  // Empty frames are nothing to say; an oversize one is refused and skipped unread; the
  // frame after it, in the same write, is a message.
  await bob.write(
    new Uint8Array([
      ...ascii8Frame(""),
      ...ascii8Frame("x".repeat(5000)),
      ...encoder.encode("4       "), // a right-padded header
      ...encoder.encode("next"),
      ...encoder.encode("       2"), // a left-padded one, as some clients write it
      ...encoder.encode("ok"),
    ]),
  );
  assert.match((await bob.next())!, /^!!! too_long: Frame of 5000 bytes exceeds the limit of 356/);
  assert.equal(await alice.next(), "bob: next");
  assert.equal(await alice.next(), "bob: ok");

  // A header that is not a length: bad_frame, and that client is closed.
  await using mallory = await ChatClient.join(server.port, "ascii8", "mallory");
  await alice.until((t) => t === "*** mallory joined");
  await mallory.write(encoder.encode("hello!!!world"));
  assert.match((await mallory.next())!, /^!!! bad_frame: /);
  assert.deepEqual(await mallory.rest(), []);
  assert.equal(await alice.next(), "*** mallory left (error)");
  await assertChatting(alice, "alice", bob);
});
