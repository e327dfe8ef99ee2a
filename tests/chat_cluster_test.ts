/**
 * `chat-serve --cluster`: several nodes on one Redis of the test's own form one room.
 * Every test starts its own redis-server on a free loopback port and its own nodes;
 * each waits for events (a line, a frame, an exit), never for time.
 */

import assert from "node:assert/strict";
import { ChatClient } from "./chat_serve_clients.ts";
import { refusedPort, type RunningSockit, runSockit, startSockit, within } from "./helpers.ts";
import { noRedis, startProxy, startRedis } from "./redis_helpers.ts";

const ignore = noRedis();

function node(url: string, ...args: string[]): Promise<RunningSockit> {
  return startSockit(["chat-serve", "--port", "0", "--cluster", url, ...args]);
}

/** Reads frames of `client` until every one of `texts` was in one it has seen. */
async function seenAll(client: ChatClient, texts: string[]): Promise<void> {
  while (!texts.every((text) => client.seen.some((t) => t.includes(text)))) {
    if (await client.next(20_000) === null) throw new Error(`closed before ${texts}`);
  }
}

/** Reads frames of `client` until `count` of them match; returns those. */
async function collect(
  client: ChatClient,
  count: number,
  match: (text: string) => boolean,
): Promise<string[]> {
  const got: string[] = [];
  while (got.length < count) got.push(await client.until(match, 20_000));
  return got;
}

Deno.test({
  name: "cluster: 3 nodes, 3 dialects: every message reaches every other client once, in order",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using a = await node(redis.url);
    await using b = await node(redis.url);
    await using c = await node(redis.url, "--framing", "ascii8");
    const sender = await ChatClient.join(a.port, "framed", "sender");
    const lineA = await ChatClient.join(a.port, "line", "linea");
    const framedB = await ChatClient.join(b.port, "framed", "framedb");
    const lineB = await ChatClient.join(b.port, "line", "lineb");
    const asciiC = await ChatClient.join(c.port, "ascii8", "asciic");
    const everyone = [sender, lineA, framedB, lineB, asciiC];
    // Wait until everyone has seen the last join, so nobody misses a message below.
    for (const client of [sender, lineA, framedB, lineB]) {
      await client.until((t) => t.includes("asciic"));
    }
    const N = 200;
    for (let i = 0; i < N; i++) await sender.sendJson({ type: "say", text: `m${i}`, id: `${i}` });
    for (const client of [lineA, framedB, lineB, asciiC]) {
      const got = await collect(client, N, (t) => /\bm\d+\b/.test(t));
      const order = got.map((t) => Number(/\bm(\d+)\b/.exec(t)![1]));
      assert.deepEqual(order, [...Array(N).keys()], `${client.dialect} got them out of order`);
    }
    const acks = await collect(sender, N, (t) => /"text":"m\d+"/.test(t));
    assert.deepEqual(acks.map((t) => JSON.parse(t).id), [...Array(N).keys()].map(String));

    // Each client says one thing; each other client gets it exactly once: once all have
    // arrived, an "end" from the sender comes after anything that could still be on the way.
    const names = ["sender", "linea", "framedb", "lineb", "asciic"];
    for (const [i, client] of everyone.entries()) {
      if (client.dialect === "framed") {
        await client.sendJson({ type: "say", text: `from-${names[i]}` });
      } else await client.sendText(`from-${names[i]}`);
    }
    for (const [i, client] of everyone.entries()) {
      const others = names.filter((_, j) => j !== i).map((name) => `from-${name}`);
      await seenAll(client, others);
    }
    await sender.sendJson({ type: "say", text: "end", id: "end" });
    for (const [i, client] of everyone.entries()) {
      await client.until((t) => /\bend\b/.test(t));
      for (const [j, name] of names.entries()) {
        const times = client.seen.filter((t) => t.includes(`from-${name}`)).length;
        // A framed sender gets its own message back once, as the acknowledgement.
        const expected = i !== j ? 1 : client.dialect === "framed" ? 1 : 0;
        assert.equal(times, expected, `${names[i]} saw from-${name} ${times} times`);
      }
    }
    for (const client of everyone) await client.close();
  },
});

Deno.test({
  name: "cluster: names, /who, /msg, /nick, /me and --history span the nodes; rooms stay apart",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const log = await Deno.makeTempFile({ suffix: ".jsonl" });
    await using a = await node(redis.url);
    await using b = await node(redis.url, "--log", log);
    const alice = await ChatClient.join(a.port, "framed", "alice");
    // Taken on A, refused on B, also after NFKC and case folding (fullwidth Ａ, capitals).
    const bob = await ChatClient.connect(b.port, "framed");
    for (const name of ["alice", "ALICE", "\uff21lice"]) {
      await bob.sendJson({ type: "hello", name });
      const reply = await bob.json();
      assert.equal(reply.code, "name_taken", `${name}: ${JSON.stringify(reply)}`);
    }
    await bob.sendJson({ type: "hello", name: "bob" });
    assert.equal((await bob.json()).type, "welcome");
    await alice.untilJson({ type: "join", name: "bob" });

    await bob.sendJson({ type: "who" });
    assert.deepEqual((await bob.untilJson({ type: "who" })).users, ["alice", "bob"]);
    await alice.sendJson({ type: "dm", to: "BOB", text: "psst", id: "d1" });
    const dm = await bob.untilJson({ type: "dm" });
    assert.equal(dm.text, "psst");
    assert.equal(dm.id, undefined);
    assert.equal((await alice.untilJson({ type: "dm" })).id, "d1");
    await bob.sendJson({ type: "me", text: "waves" });
    const action = await alice.untilJson({ type: "msg", from: "bob" });
    assert.equal(action.action, true);
    await bob.sendJson({ type: "nick", name: "robert" });
    await alice.untilJson({ type: "nick", from: "bob", to: "robert" });
    await bob.untilJson({ type: "nick", from: "bob", to: "robert" });
    // The old name is free again everywhere, the new one is not.
    const carol = await ChatClient.connect(a.port, "line");
    await carol.sendText("Robert");
    assert.match((await carol.next())!, /^!!! name_taken/);
    await carol.sendText("bob");
    assert.match((await carol.next())!, /^\*\*\* welcome bob; 3 users here: alice, robert, bob/);

    // History from the stream, on a node that was not there when it was said.
    for (const text of ["one", "two", "three"]) await alice.sendJson({ type: "say", text });
    await bob.untilJson({ type: "msg", text: "three" });
    // --log on one node logs the whole room.
    const logged = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(logged.some((r) => r.type === "msg" && r.from === "alice" && r.text === "three"));
    assert.ok(logged.some((r) => r.type === "join" && r.name === "alice"));
    await Deno.remove(log);
    await using late = await node(redis.url, "--history", "2");
    const dave = await ChatClient.connect(late.port, "line");
    await dave.sendText("dave");
    assert.match((await dave.next())!, /^\*\*\* welcome dave; 4 users here/);
    assert.equal(await dave.next(), "[history] alice: two");
    assert.equal(await dave.next(), "[history] alice: three");
    // Someone the late node found already there leaves: it hears of it.
    await carol.sendText("/quit");
    await dave.until((t) => t === "*** bob left (quit)");
    await dave.sendText("/who");
    await dave.until((t) => t === "*** users: alice, robert, dave");

    // Another room on the same Redis hears nothing of this one.
    await using other = await node(redis.url, "--room", "other");
    const eve = await ChatClient.join(other.port, "framed", "alice"); // a free name there
    await alice.sendJson({ type: "say", text: "lobby only" });
    await bob.untilJson({ type: "msg", text: "lobby only" });
    await eve.sendJson({ type: "who" });
    assert.deepEqual((await eve.untilJson({ type: "who" })).users, ["alice"]);
    assert.ok(!eve.seen.some((t) => t.includes("lobby only")));
    for (const client of [alice, bob, carol, dave, eve]) await client.close();
  },
});

Deno.test({
  name: "cluster: kill -9 of a node: its people leave as node_lost, their names are free",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using a = await node(redis.url, "--node-timeout", "3s");
    await using b = await node(redis.url, "--node-timeout", "3s");
    const alice = await ChatClient.join(a.port, "framed", "alice");
    await ChatClient.join(b.port, "line", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    const killed = Date.now();
    b.proc.kill("SIGKILL");
    await b.proc.status;
    const leave = await alice.untilJson({ type: "leave", name: "bob" }, 20_000);
    console.log(`node_lost seen ${Date.now() - killed}ms after kill -9 (--node-timeout 3s)`);
    assert.equal(leave.reason, "node_lost");
    assert.equal(alice.seen.filter((t) => t.includes('"leave"')).length, 1);
    const again = await ChatClient.join(a.port, "line", "bob");
    await again.close();
    await alice.close();
  },
});

Deno.test({
  name: "cluster: two nodes notice a dead one together: each of its people leaves once",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using a = await node(redis.url, "--node-timeout", "1s");
    await using b = await node(redis.url, "--node-timeout", "1s");
    await using c = await node(redis.url, "--node-timeout", "1s");
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    for (const name of ["carol", "dan"]) await ChatClient.join(c.port, "line", name);
    await alice.untilJson({ type: "join", name: "dan" });
    await bob.untilJson({ type: "join", name: "dan" });
    c.proc.kill("SIGKILL");
    await c.proc.status;
    for (const client of [alice, bob]) {
      for (const name of ["carol", "dan"]) {
        assert.equal((await client.untilJson({ type: "leave", name })).reason, "node_lost");
      }
    }
    // Both reapers have beaten several times by the time this comes back through the
    // stream on both nodes (a beat is every quarter of the timeout).
    for (let i = 0; i < 3; i++) {
      await alice.sendJson({ type: "say", text: `after${i}`, id: `${i}` });
      await bob.untilJson({ type: "msg", text: `after${i}` });
      await new Promise((resolve) => setTimeout(resolve, 250)); // a beat's period, not a sync
    }
    for (const client of [alice, bob]) {
      const leaves = client.seen.filter((t) => t.includes('"leave"'));
      assert.equal(leaves.length, 2, JSON.stringify(leaves));
    }
    await alice.close();
    await bob.close();
  },
});

Deno.test({
  name: "cluster: SIGTERM of a node: its people leave as shutdown, it exits 0",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using a = await node(redis.url);
    const b = await node(redis.url, "--json");
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    const signalled = Date.now();
    const status = await b.stop("SIGTERM");
    console.log(`node exited ${status.code} ${Date.now() - signalled}ms after SIGTERM`);
    assert.equal(status.code, 0);
    const leave = await alice.untilJson({ type: "leave", name: "bob" });
    assert.equal(leave.reason, "shutdown");
    assert.equal((await bob.untilJson({ type: "shutdown" })).type, "shutdown");
    const summary = JSON.parse((await b.stdout.rest()).at(-1)!);
    assert.equal(typeof summary.node, "string");
    assert.equal(summary.nodesSeen, 2);
    assert.ok(summary.received >= 2);
    // bob's name was released on the way out (not left to expire with --node-timeout).
    const again = await ChatClient.join(a.port, "line", "bob");
    await again.close();
    await b[Symbol.asyncDispose]();
    await alice.close();
    await bob.close();
  },
});

Deno.test({
  name: "cluster: a node cut off from Redis refuses, then delivers what it missed, in order, once",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using proxy = startProxy(redis.port);
    await using a = await node(redis.url);
    await using b = await node(proxy.url);
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    const carl = await ChatClient.join(b.port, "line", "carl");
    await alice.untilJson({ type: "join", name: "carl" });
    proxy.cut();
    assert.equal((await bob.untilJson({ type: "error" })).code, "cluster_unavailable");
    await carl.until((t) => t.startsWith("!!! cluster_unavailable"));
    await bob.sendJson({ type: "say", text: "lost?", id: "b1" });
    const refused = await bob.untilJson({ type: "error", id: "b1" });
    assert.equal(refused.code, "cluster_unavailable");
    // The others keep talking meanwhile.
    for (let i = 0; i < 20; i++) {
      await alice.sendJson({ type: "say", text: `while${i}`, id: `${i}` });
    }
    await alice.untilJson({ type: "msg", id: "19" });
    // The outage lasts 3 s (the scenario, not a wait for something): the node's
    // reconnection attempts fail meanwhile and back off.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    proxy.heal();
    const got = await collect(bob, 20, (t) => t.includes('"while'));
    assert.deepEqual(
      got.map((t) => JSON.parse(t).text),
      [...Array(20).keys()].map((i) => `while${i}`),
    );
    await seenAll(bob, ['"code":"cluster_restored"']);
    await bob.sendJson({ type: "say", text: "back", id: "b2" });
    await alice.untilJson({ type: "msg", text: "back" });
    await carl.until((t) => t === "bob: back");
    assert.equal(carl.seen.filter((t) => t.startsWith("alice: while")).length, 20);
    assert.ok(!alice.seen.some((t) => t.includes("lost?")));
    for (const client of [alice, bob, carl]) await client.close();
  },
});

Deno.test({
  name: "cluster: a node cut off past --node-timeout gets its people back when it returns",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using proxy = startProxy(redis.port);
    await using a = await node(redis.url, "--node-timeout", "1s");
    await using b = await node(proxy.url, "--node-timeout", "1s");
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    proxy.cut();
    assert.equal((await alice.untilJson({ type: "leave", name: "bob" })).reason, "node_lost");
    proxy.heal();
    await alice.untilJson({ type: "join", name: "bob" }, 20_000);
    await seenAll(bob, ['"code":"cluster_restored"']);
    await bob.sendJson({ type: "say", text: "I never left", id: "b1" });
    await alice.untilJson({ type: "msg", text: "I never left" });
    // bob's own node never told him he left.
    assert.ok(!bob.seen.some((t) => t.includes('"leave"')), JSON.stringify(bob.seen));
    for (const client of [alice, bob]) await client.close();
  },
});

Deno.test({
  name: "cluster: Redis killed and restarted empty: no client dropped, messages flow again",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using a = await node(redis.url);
    await using b = await node(redis.url);
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    await redis.kill();
    await alice.untilJson({ type: "error", code: "cluster_unavailable" });
    await bob.untilJson({ type: "error", code: "cluster_unavailable" });
    const restarted = Date.now();
    await redis.restart();
    await seenAll(alice, ['"code":"cluster_restored"']);
    await seenAll(bob, ['"code":"cluster_restored"']);
    await alice.sendJson({ type: "say", text: "still here?", id: "a1" });
    await bob.untilJson({ type: "msg", text: "still here?" });
    console.log(`messages flowed again ${Date.now() - restarted}ms after redis-server restarted`);
    // Names were claimed again: bob's is still his.
    const mallory = await ChatClient.connect(a.port, "framed");
    await mallory.sendJson({ type: "hello", name: "bob" });
    assert.equal((await mallory.json()).code, "name_taken");
    for (const client of [alice, bob, mallory]) await client.close();
  },
});

/** How many nodes of room `lobby` have a heartbeat key now. */
async function heartbeats(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // EXISTS of each: KEYS alone would list a key expired during a pause, not yet swept.
    const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do " +
      "n = n + redis.call('EXISTS', k) end return n";
    const command = ["EVAL", script, "0", "sockit:chat:lobby:node:*"];
    const resp = `*${command.length}\r\n` +
      command.map((c) => `$${new TextEncoder().encode(c).length}\r\n${c}\r\n`).join("");
    await conn.write(new TextEncoder().encode(resp));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return Number(/^:(\d+)/.exec(new TextDecoder().decode(buf.subarray(0, n ?? 0)))?.[1]);
  } finally {
    conn.close();
  }
}

Deno.test({
  name:
    "cluster: Redis paused past the heartbeats' life: no live node is taken for dead, names held",
  ignore,
  async fn() {
    await using redis = await startRedis();
    // Heartbeats live 600 ms and claims 1 s, refreshed every 250 ms: a 1.2 s pause outlives both.
    await using a = await node(redis.url, "--node-timeout", "1s");
    await using b = await node(redis.url, "--node-timeout", "1s");
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "framed", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    Deno.kill(redis.pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 1200)); // the fault itself: a 1.2 s stall
    } finally {
      Deno.kill(redis.pid, "SIGCONT");
    }
    // Both heartbeats ran out in the pause; wait until both nodes have beaten again: a
    // reap, if any, is in the stream by then.
    let beats = 0;
    for (let i = 0; i < 200 && beats < 2; i++) {
      beats = await heartbeats(redis.port);
      if (beats < 2) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(beats, 2, "both nodes beat again after the pause");
    await alice.sendJson({ type: "say", text: "after-a", id: "a1" });
    await bob.sendJson({ type: "say", text: "after-b", id: "b1" });
    await bob.until((t) => t.includes("after-a"));
    await alice.until((t) => t.includes("after-b"));
    for (const client of [alice, bob]) {
      const odd = client.seen.filter((t) => /node_lost|not_joined|"leave"/.test(t));
      assert.deepEqual(odd, [], "a pause of Redis is not a node's death");
    }
    await alice.close();
    await bob.close();
  },
});

Deno.test({
  name: "cluster: a password in the URL authenticates; a wrong one is exit 4 with one line",
  ignore,
  async fn() {
    await using redis = await startRedis({ args: ["--requirepass", "s3cret"] });
    const url = `redis://:s3cret@127.0.0.1:${redis.port}`;
    await using a = await node(url);
    const alice = await ChatClient.join(a.port, "framed", "alice");
    await alice.close();
    const wrong = `redis://:nope@127.0.0.1:${redis.port}`;
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", "--cluster", wrong]);
    assert.equal(code, 4, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.ok(!stderr.includes("nope"), `the password is not shown: ${stderr}`);
  },
});

Deno.test({
  name: "cluster: a Redis that refuses the node's scripts is exit 4 with one line",
  ignore,
  async fn() {
    await using redis = await startRedis({ args: ["--rename-command", "EVALSHA", ""] });
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", "--cluster", redis.url]);
    assert.equal(code, 4, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^sockit: join room lobby on redis 127\.0\.0\.1:\d+: ERR unknown command/);
  },
});

Deno.test({
  name: "cluster: Redis out of reach at start is exit 4 with one line",
  async fn() {
    const port = await refusedPort();
    const { code, stderr } = await runSockit([
      "chat-serve",
      "--port",
      "0",
      "--cluster",
      `redis://127.0.0.1:${port}`,
    ]);
    assert.equal(code, 4, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^sockit: connect redis 127\.0\.0\.1:\d+: /);
  },
});

Deno.test({
  name: "cluster: a peer that accepts and never answers is exit 4 with one line, not a hang",
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn); // and never a byte back
    })();
    try {
      const url = `redis://127.0.0.1:${listener.addr.port}`;
      const started = runSockit(["chat-serve", "--port", "0", "--cluster", url]);
      // Without a deadline on the whole start, this never ended.
      const { code, stderr } = await within(started, "chat-serve's start", 30_000);
      assert.equal(code, 4, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^sockit: connect redis 127\.0\.0\.1:\d+: no answer in time/);
    } finally {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of held) conn.close();
    }
  },
});

Deno.test("cluster: a bad --cluster or --room is a usage error", async () => {
  for (const args of [["--cluster", "http://x:1"], ["--cluster", "redis://h:1", "--room", "a b"]]) {
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", ...args]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--(cluster|room)/);
  }
});

Deno.test("cluster: --room or --node-timeout without --cluster is a usage error", async () => {
  for (const [flag, value] of [["--room", "ops"], ["--node-timeout", "3s"]]) {
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", flag, value]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`${flag} needs --cluster redis://HOST:PORT`));
  }
});
