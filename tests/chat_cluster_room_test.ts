/**
 * A cluster node's room in process, on a redis-server of the test's own: the test
 * writes other nodes' events into the stream itself (and trims it), and reads what the
 * node's one client would be sent. For what a whole node does, see
 * `chat_cluster_test.ts`.
 */

import assert from "node:assert/strict";
import { joinCluster } from "../commands/chat/cluster/join.ts";
import { ClusterRoom } from "../commands/chat/cluster/room.ts";
import { type Link, openLink } from "../commands/chat/cluster/link.ts";
// deno-lint-ignore no-import-prefix
import { ErrorReply } from "npm:@redis/client@6.3.1";
import { clusterTarget } from "../commands/chat/cluster/url.ts";
import { Outbox } from "../commands/chat/outbox.ts";
import type { Member } from "../commands/chat/room.ts";
import { createOutput } from "../lib/output.ts";
import { fakeIo } from "./helpers.ts";
import { testLimits } from "./chat_room_helpers.ts";
import { noRedis, type RedisServer, startProxy, startRedis } from "./redis_helpers.ts";

const ignore = noRedis();
const KEY = "sockit:chat:lobby:events";

/** A line client of the room: what it is sent, line by line. */
function lineMember(id: number) {
  const got: string[] = []; // not yet taken by until()
  const all: string[] = [];
  let wake: (() => void) | undefined;
  const outbox = new Outbox({
    write(bytes: Uint8Array) {
      const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l !== "");
      got.push(...lines);
      all.push(...lines);
      wake?.();
      return Promise.resolve(bytes.length);
    },
  }, { limit: 1 << 20 });
  const member: Member = { name: "", dialect: "line", outbox, id, peer: "127.0.0.1:1", end() {} };
  return {
    member,
    /** Every line it was sent. */
    all,
    /** The next line it is sent that `match` accepts (a keep-alive timer meanwhile). */
    async until(match: (line: string) => boolean): Promise<string> {
      // The room's own timers are unref'd: this one keeps the test alive meanwhile.
      let late = false;
      const alive = setTimeout(() => (late = true, wake?.()), 20_000);
      try {
        for (;;) {
          const at = got.findIndex(match);
          if (at >= 0) return got.splice(0, at + 1).at(-1)!;
          if (late) throw new Error(`not sent within 20 s; sent: ${JSON.stringify(got)}`);
          await new Promise<void>((resolve) => wake = resolve);
        }
      } finally {
        clearTimeout(alive);
      }
    },
  };
}

/**
 * A node's room with `options` (behind a proxy of its own with `proxied`), alice joined
 * there, and a link of the test's own to the same Redis.
 */
async function nodeRoom(
  redis: RedisServer,
  options: { announceLimit?: number; proxied?: boolean } = {},
) {
  const proxy = options.proxied ? startProxy(redis.port) : undefined;
  const url = proxy?.url ?? redis.url;
  const room = await joinCluster({ cluster: url, room: "lobby", history: 0, nodeTimeout: 10_000 }, {
    limits: testLimits(),
    out: createOutput(fakeIo(), { json: false, noColor: true }),
    now: () => Date.now(),
    quiet: true,
    stallTimeout: 1000,
    announceLimit: options.announceLimit,
    summaryEveryMs: 0,
  });
  const link = await openLink(clusterTarget(redis.url, "lobby"), 10_000);
  const alice = lineMember(1);
  room.join(alice.member, "alice");
  await alice.until((l) => l.startsWith("*** welcome alice"));
  return {
    room,
    link,
    proxy: proxy!,
    alice,
    async [Symbol.asyncDispose]() {
      room.shutdown([alice.member]);
      await room.stop();
      await link.close();
      await proxy?.close();
    },
  };
}

/** Writes an event of another node into the room's stream, as its node would. */
function publish(link: Link, event: Record<string, unknown>): Promise<unknown> {
  return link.command(["XADD", KEY, "*", "e", JSON.stringify({ node: "n2", ts: 1, ...event })]);
}

Deno.test({
  name: "cluster room: another node's shutdown leaves are summarised above --announce-limit",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using node = await nodeRoom(redis, { announceLimit: 0 });
    const { alice } = node;
    await publish(node.link, { type: "join", name: "bob", conn: 7 });
    await alice.until((l) => l.endsWith("; 2 here") || l.includes("bob"));
    await publish(node.link, { type: "leave", name: "bob", reason: "shutdown", conn: 7 });
    // Counted like any other leave: one summary, never a line of its own.
    const told = await alice.until((l) => /left/.test(l) && !/ 0 left/.test(l));
    assert.equal(told, "*** +0 joined, 1 left; 1 here");
  },
});

Deno.test({
  name: "cluster room: back from an outage the stream's cap outlasted, its clients hear of the gap",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using node = await nodeRoom(redis, { proxied: true });
    const { alice, proxy } = node;
    /** Cuts the node off, lets the room say `count` things (then trims to `keep`), heals. */
    const outage = async (count: number, keep?: number) => {
      proxy.cut();
      await alice.until((l) => l.startsWith("!!! cluster_unavailable"));
      for (let i = 0; i < count; i++) {
        await publish(node.link, { type: "msg", from: "bob", text: `m${i}`, conn: 7 });
      }
      // The cap's trimming, done here at once rather than by 10,000 entries.
      if (keep !== undefined) await node.link.command(["XTRIM", KEY, "MAXLEN", String(keep)]);
      proxy.heal();
      await alice.until((l) => l === "*** the room is whole again");
    };
    // A short outage, nothing trimmed: no gap is claimed.
    await outage(1);
    const missing = () => alice.all.filter((l) => l.includes("some of it is missing here"));
    assert.deepEqual(missing(), []);
    assert.equal(node.room.clusterStats().gaps, 0);
    // The room says more than the stream keeps meanwhile: the gap is told, then that the
    // room is whole again.
    await outage(5, 1);
    assert.equal(missing().length, 1, JSON.stringify(alice.all));
    assert.ok(
      alice.all.indexOf(missing()[0]) < alice.all.lastIndexOf("*** the room is whole again"),
    );
    assert.equal(node.room.clusterStats().gaps, 1);
  },
});

Deno.test({
  name: "cluster room: back on a Redis that refuses the scripts at first, the link tries again",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using node = await nodeRoom(redis, { proxied: true });
    const { alice, proxy } = node;
    proxy.cut();
    await alice.until((l) => l.startsWith("!!! cluster_unavailable"));
    // The node's connections come back, but loading its scripts is refused (NOPERM).
    await node.link.command(["ACL", "SETUSER", "default", "-script"]);
    proxy.heal();
    // Redis's ACL log says when the node tried and was refused.
    for (
      let polls = 0;
      !JSON.stringify(await node.link.command(["ACL", "LOG"])).includes("script");
    ) {
      if (++polls > 2000) throw new Error("the node never tried to load its scripts");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await node.link.command(["ACL", "SETUSER", "default", "+script"]);
    await alice.until((l) => l === "*** the room is whole again");
  },
});

/** A gate that reads wait at: shut, then open, then shut again, as a test needs. */
function gate() {
  let open = Promise.withResolvers<void>();
  open.resolve();
  return {
    shut() {
      open = Promise.withResolvers<void>();
    },
    open() {
      open.resolve();
    },
    pass: () => open.promise,
  };
}

/**
 * `link`, but the replies to its `script` scripts are lost (as when the link goes down
 * between Redis's reply and its reading): each is run (unless `run` is false: lost on
 * the way there), then, once `lose` resolves, its caller gets `failure()`; `lost`
 * resolves after the caller was told. Only the first `times` are lost. What its reads
 * read waits at `reads`.
 */
function losingReplies(
  link: Link,
  script: "join" | "publish",
  { lose = () => Promise.resolve(), reads = gate(), run = true, failure, times = Infinity }: {
    lose?: () => Promise<unknown>;
    reads?: ReturnType<typeof gate>;
    run?: boolean;
    failure?: () => Error;
    times?: number;
  },
): Link & { lost: Promise<void> } {
  const { promise: lost, resolve: told } = Promise.withResolvers<void>();
  return {
    lost,
    get up() {
      return link.up;
    },
    get losses() {
      return link.losses;
    },
    async script(name, args) {
      if (name !== script || times-- <= 0) return await link.script(name, args);
      if (run) await link.script(name, args);
      await lose();
      // Told once its caller's handlers ran (they are microtasks).
      setTimeout(told, 0);
      throw failure?.() ?? new Error("Socket closed unexpectedly");
    },
    command: (args) => link.command(args),
    read: async (key, id, options) => {
      const entries = await link.read(key, id, options);
      await reads.pass();
      return entries;
    },
    whenUp: () => link.whenUp(),
    close: () => link.close(),
  };
}

/** A node's room on `link` (as `joinCluster` makes one), and a line client of it. */
async function roomOn(link: Link) {
  const room = await ClusterRoom.start({
    limits: testLimits(),
    out: createOutput(fakeIo(), { json: false, noColor: true }),
    now: () => Date.now(),
    quiet: true,
    stallTimeout: 1000,
    summaryEveryMs: 0,
    link,
    target: clusterTarget("redis://127.0.0.1:1", "lobby"),
    node: "n1",
    nodeTimeout: 10_000,
  });
  return {
    room,
    alice: lineMember(1),
    async [Symbol.asyncDispose]() {
      room.shutdown([...room.members.values()]);
      await room.stop();
      await link.close();
    },
  };
}

/** The room's stream: each entry's event as [type, name or sender, reason, text]. */
async function streamed(link: Link): Promise<unknown[][]> {
  const entries = await link.command(["XRANGE", KEY, "-", "+"]) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[1]))
    .map((e) => [e.type, e.name ?? e.from, e.reason, e.text]);
}

/** Polls until `done` holds (at most 10 s). */
async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let polls = 0; !(await done()); polls++) {
    if (polls > 2000) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error lines a member was sent. */
const errors = (member: { all: string[] }) => member.all.filter((l) => l.startsWith("!!!"));

/** A link to `redis`'s room "lobby". */
const linkTo = (redis: RedisServer) => openLink(clusterTarget(redis.url, "lobby"), 10_000);

Deno.test({
  name: "cluster room: a join read back before its reply was lost stays joined",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const welcomed = Promise.withResolvers<void>();
    const link = losingReplies(await linkTo(redis), "join", { lose: () => welcomed.promise });
    await using node = await roomOn(link);
    const { room, alice } = node;
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("*** welcome alice"));
    welcomed.resolve();
    await link.lost;
    // Still in the room, counted as published: nobody was told otherwise.
    assert.deepEqual(errors(alice), []);
    assert.ok(room.has(alice.member));
    assert.deepEqual([room.clusterStats().published, room.clusterStats().refused], [1, 0]);
    // What she says goes out.
    room.say(alice.member, "still here", {});
    await until(async () => (await streamed(link)).length === 2, "alice's message went out");
    assert.deepEqual(await streamed(link), [
      ["join", "alice", undefined, undefined],
      ["msg", "alice", undefined, "still here"],
    ]);
  },
});

Deno.test({
  name: "cluster room: a join whose reply was lost unseen is refused, and taken back once up",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const reads = gate();
    const link = losingReplies(await linkTo(redis), "join", { reads });
    await using node = await roomOn(link);
    const { room, alice } = node;
    reads.shut();
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("!!! cluster_unavailable"));
    assert.ok(!room.has(alice.member));
    // The join did enter the stream, so the others saw alice come. Back up, she leaves.
    room.linkUp();
    await until(async () => (await streamed(link)).length === 2, "alice's join taken back");
    assert.deepEqual(await streamed(link), [
      ["join", "alice", undefined, undefined],
      ["leave", "alice", "error", undefined],
    ]);
    assert.equal(await link.command(["EXISTS", "sockit:chat:lobby:name:alice"]), 0);
    // And when both are read back at last, the join is nobody's here.
    reads.open();
    await until(() => room.clusterStats().received === 2, "both read back");
    assert.deepEqual(alice.all.filter((l) => l.startsWith("*** welcome")), []);
  },
});

Deno.test({
  name: "cluster room: joining again after a refused join is one join, not the old one",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const reads = gate();
    const link = losingReplies(await linkTo(redis), "join", { reads, times: 1 });
    await using node = await roomOn(link);
    const { room, alice } = node;
    reads.shut();
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("!!! cluster_unavailable"));
    room.linkUp(); // the take-back goes out first
    assert.equal(room.join(alice.member, "alice"), undefined);
    await until(async () => (await streamed(link)).length === 3, "take-back and the new join");
    reads.open();
    await alice.until((l) => l.startsWith("*** welcome alice"));
    await until(() => room.clusterStats().received === 3, "all three read back");
    assert.ok(room.has(alice.member));
    assert.equal(alice.all.filter((l) => l.startsWith("*** welcome")).length, 1);
    assert.equal(
      await link.command(["GET", "sockit:chat:lobby:name:alice"]),
      "n1/1",
      "her name is held, by her",
    );
  },
});

Deno.test({
  name: "cluster room: a join Redis answers with an error is refused at once, nothing taken back",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const link = losingReplies(await linkTo(redis), "join", {
      run: false,
      failure: () => new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."),
      times: 1,
    });
    await using node = await roomOn(link);
    const { room, alice } = node;
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("!!! cluster_unavailable"));
    await link.lost;
    assert.equal(room.clusterStats().refused, 1);
    // She joins again; after a later outage, nothing of the refused join is taken back
    // (it would take her name now).
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("*** welcome alice"));
    room.linkUp();
    room.say(alice.member, "still here", {});
    // One connection, in order: anything the outage's end sent is in the stream first.
    await until(async () => (await streamed(link)).length >= 2, "her message went out");
    assert.deepEqual(await streamed(link), [
      ["join", "alice", undefined, undefined],
      ["msg", "alice", undefined, "still here"],
    ]);
    assert.ok(room.has(alice.member));
  },
});

Deno.test({
  name: "cluster room: a message read back before its reply was lost is not refused",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const readBack = Promise.withResolvers<void>();
    const link = losingReplies(await linkTo(redis), "publish", { lose: () => readBack.promise });
    await using node = await roomOn(link);
    const { room, alice } = node;
    room.join(alice.member, "alice");
    await alice.until((l) => l.startsWith("*** welcome alice"));
    room.say(alice.member, "hi", {});
    await until(() => room.clusterStats().received === 2, "alice's message read back");
    readBack.resolve();
    await link.lost;
    assert.deepEqual(errors(alice), []);
    assert.deepEqual([room.clusterStats().published, room.clusterStats().refused], [2, 0]);
  },
});

Deno.test({
  name:
    "cluster room: a message whose reply was lost unseen is refused, once up, only if it never ran",
  ignore,
  async fn() {
    for (const run of [true, false]) {
      await using redis = await startRedis();
      const reads = gate();
      const link = losingReplies(await linkTo(redis), "publish", { run, reads });
      await using node = await roomOn(link);
      const { room, alice } = node;
      room.join(alice.member, "alice");
      await alice.until((l) => l.startsWith("*** welcome alice"));
      // Not read back before it is settled: the settling alone must tell.
      reads.shut();
      room.say(alice.member, "hi", {});
      await link.lost;
      // Not known yet: not refused on a guess.
      assert.deepEqual(errors(alice), [], `run: ${run}`);
      room.linkUp();
      await until(() => {
        const { published, refused } = room.clusterStats();
        return published + refused === 2;
      }, "alice's message settled");
      const said = (await streamed(link)).filter(([type]) => type === "msg");
      if (run) {
        assert.deepEqual(said, [["msg", "alice", undefined, "hi"]]);
        assert.equal(room.clusterStats().refused, 0);
        assert.deepEqual(errors(alice), []);
      } else {
        assert.deepEqual(said, []);
        assert.equal(room.clusterStats().refused, 1);
        // Refused before the room is said to be whole again.
        await alice.until((l) => l === "*** the room is whole again");
        assert.match(errors(alice).join("\n"), /^!!! cluster_unavailable/);
      }
      reads.open();
    }
  },
});
