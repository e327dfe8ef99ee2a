/**
 * Keepalive: `ping`/`pong` on the server in every dialect, `chat-join --keepalive`
 * against `--idle-timeout` (a pinging client stays, one that does not is dropped), a
 * server that stops answering (exit 4, or re-join with `--reconnect`), and the unit of
 * the ping period.
 */

import assert from "node:assert/strict";
import { pingEvery } from "../commands/chat/keepalive.ts";
import { lengthPrefixDecoder, lengthPrefixFrame } from "../lib/framing.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { fakeTcpServer } from "./fake_servers.ts";
import { LineReader, sockitCommand, startSockit, writeAll } from "./helpers.ts";

Deno.test("pingEvery() pings at --keepalive, or at half the server's idle timeout if sooner", () => {
  assert.equal(pingEvery(30_000, 0), 30_000);
  assert.equal(pingEvery(30_000, undefined), 30_000);
  assert.equal(pingEvery(30_000, 10_000), 5000);
  assert.equal(pingEvery(200, 10_000), 200);
  assert.equal(pingEvery(0, 10_000), 0);
});

Deno.test("chat-serve: ping gets pong with its id in every dialect, even before hello", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0"]);
  await using early = await ChatClient.connect(server.port, "framed");
  await early.sendJson({ type: "ping", id: "k1" });
  assert.deepEqual(await early.json(), { type: "pong", id: "k1" });
  await using framed = await ChatClient.join(server.port, "framed", "f");
  await framed.sendJson({ type: "ping" });
  assert.deepEqual(await framed.json(), { type: "pong" });
  await using line = await ChatClient.join(server.port, "line", "l");
  await line.sendText("/ping");
  assert.equal(await line.next(), "*** pong");
  await line.sendText("/PING token-7");
  assert.equal(await line.next(), "*** pong token-7");
});

/** chat-join, scripted, with stdin held open until `close()`. */
function spawnJoin(args: string[]) {
  const { cmd, args: full } = sockitCommand(["chat-join", ...args]);
  const proc = new Deno.Command(cmd, {
    args: full,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = proc.stdin.getWriter();
  const stdout = new LineReader(proc.stdout);
  const stderr = new LineReader(proc.stderr);
  return {
    stdout,
    stderr,
    status: proc.status,
    write: (text: string) => stdin.write(new TextEncoder().encode(text)),
    /** Ends stdin (a script's end). */
    close: () => stdin.close(),
    async [Symbol.asyncDispose]() {
      try {
        proc.kill("SIGKILL");
      } catch { /* exited */ }
      await proc.status;
      await stdin.close().catch(() => {});
      await stdout.cancel();
      await stderr.cancel();
    },
  };
}

Deno.test("chat-join --keepalive keeps an idle client past --idle-timeout; --keepalive 0 does not", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0", "--idle-timeout", "1s"]);
  const address = `127.0.0.1:${server.port}`;
  // Joined in this order: pinging every 200 ms, pinging at the default (which the
  // server's 1 s idle timeout shortens to 500 ms), and never pinging.
  await using fast = spawnJoin([address, "--name", "fast", "--keepalive", "200ms", "--json"]);
  await fast.stdout.until((l) => JSON.parse(l).event === "welcome", 15_000);
  await using usual = spawnJoin([address, "--name", "usual", "--json"]);
  await usual.stdout.until((l) => JSON.parse(l).event === "welcome", 15_000);
  await using silent = spawnJoin([address, "--name", "silent", "--keepalive", "0", "--json"]);
  await silent.stdout.until((l) => JSON.parse(l).event === "welcome", 15_000);

  // The silent one, the last to join, is dropped for idling: by then the others have
  // been idle (but for their pings) longer than the timeout.
  const own = await silent.stdout.until((l) => JSON.parse(l).event === "leave", 15_000);
  assert.equal(JSON.parse(own).reason, "timeout");
  assert.equal((await silent.status).code, 4);

  await using probe = await ChatClient.join(server.port, "framed", "probe");
  await probe.sendJson({ type: "who" });
  assert.deepEqual((await probe.untilJson({ type: "who" })).users, ["fast", "usual", "probe"]);
  // The pongs to keepalive pings are not shown as events.
  await fast.write("still here\n");
  const said = JSON.parse(await fast.stdout.until((l) => JSON.parse(l).event === "msg"));
  assert.equal(said.text, "still here");
});

/** A framed server that welcomes each client and then never answers anything. */
function deafServer() {
  return fakeTcpServer(async (conn) => {
    const decoder = lengthPrefixDecoder({ maxLength: 1 << 20 });
    const buf = new Uint8Array(4096);
    let welcomed = false;
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      const frames: string[] = [];
      decoder.push(buf.subarray(0, n), (f) => frames.push(new TextDecoder().decode(f)));
      if (!welcomed && frames.length > 0) {
        welcomed = true;
        const name = JSON.parse(frames[0]).name;
        const welcome = { type: "welcome", name, users: [name], limits: {}, ts: Date.now() };
        await writeAll(conn, lengthPrefixFrame(JSON.stringify(welcome)));
      }
    }
  });
}

/** chat-join's arguments to ping a server at `port` every 100 ms, giving up after 300 ms. */
function pingFast(port: number): string[] {
  return [`127.0.0.1:${port}`, "--name", "a", "--keepalive", "100ms", "--timeout", "300ms"];
}

Deno.test("chat-join: a server that stops answering pings is lost after --timeout (exit 4)", async () => {
  await using server = deafServer();
  await using join = spawnJoin(pingFast(server.port));
  assert.equal((await join.status).code, 4);
  const err = await join.stderr.rest(5000);
  assert.match(err.join("\n"), /the server did not answer a ping within 300ms/);
});

Deno.test("chat-join --reconnect: a server that stops answering pings is re-joined", async () => {
  await using server = deafServer();
  await using join = spawnJoin([...pingFast(server.port), "--reconnect", "--json"]);
  const lost = JSON.parse(
    await join.stdout.until((l) => JSON.parse(l).event === "disconnected", 15_000),
  );
  assert.match(lost.reason, /did not answer a ping within 300ms/);
  await join.stdout.until((l) => JSON.parse(l).event === "reconnected", 15_000);
});

Deno.test("chat-join: a server that refuses ping (an older one) is alive, and not shown", async () => {
  let pings = 0;
  let sawPings!: () => void;
  const fourPings = new Promise<void>((resolve) => sawPings = resolve);
  await using server = fakeTcpServer(async (conn) => {
    const decoder = lengthPrefixDecoder({ maxLength: 1 << 20 });
    const buf = new Uint8Array(4096);
    const send = (m: unknown) => writeAll(conn, lengthPrefixFrame(JSON.stringify(m)));
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      const frames: Record<string, unknown>[] = [];
      decoder.push(buf.subarray(0, n), (f) => frames.push(JSON.parse(new TextDecoder().decode(f))));
      for (const m of frames) {
        if (m.type === "hello") {
          await send({ type: "welcome", name: m.name, users: [m.name], limits: {}, ts: 0 });
        } else if (m.type === "ping") {
          await send({ type: "error", code: "unknown_type", message: "Unknown", id: m.id });
          if (++pings === 4) sawPings();
        } else if (m.type === "say") {
          await send({ type: "msg", from: "a", text: m.text, ts: 0, id: m.id });
        } else if (m.type === "bye") return;
      }
    }
  });
  await using join = spawnJoin([...pingFast(server.port), "--json"]);
  await fourPings; // 400 ms of pings, past --timeout 300ms
  await join.write("hi\n");
  await join.close();
  assert.equal((await join.status).code, 0);
  const events = (await join.stdout.rest(5000)).map((l) => JSON.parse(l).event);
  assert.deepEqual(events, ["welcome", "msg"]);
});
