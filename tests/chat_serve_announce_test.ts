/**
 * `chat-serve --announce-limit N`: joins and leaves are announced one by one up to N
 * people, summarised above it; and the summary's timing, with a fake timer.
 */

import assert from "node:assert/strict";
import { Announcer } from "../commands/chat/announce.ts";
import type { Outbox } from "../commands/chat/outbox.ts";
import { formatText } from "../commands/chat/protocol.ts";
import { type Member, Room } from "../commands/chat/room.ts";
import { createOutput } from "../lib/output.ts";
import { fakeIo } from "./helpers.ts";
import { testLimits } from "./chat_room_helpers.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { startSockit } from "./helpers.ts";

Deno.test("Announcer: the first summary goes at once, later ones at most once per period", () => {
  let now = 0;
  const timers: { fn: () => void; at: number }[] = [];
  const sent: [number, number][] = [];
  const announcer = new Announcer({
    limit: 2,
    everyMs: 10_000,
    now: () => now,
    later: (fn, ms) => {
      const timer = { fn, at: now + ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
    publish: (joined, left) => sent.push([joined, left]),
  });
  const run = () => {
    const due = timers.filter((t) => t.at <= now);
    for (const t of due) timers.splice(timers.indexOf(t), 1), t.fn();
  };
  assert.equal(announcer.individually(2), true);
  assert.equal(announcer.individually(3), false);
  announcer.joined();
  announcer.joined();
  assert.deepEqual(timers.map((t) => t.at), [0], "one timer, due at once");
  run();
  assert.deepEqual(sent, [[2, 0]]);
  now = 1000;
  announcer.joined();
  announcer.left();
  assert.deepEqual(timers.map((t) => t.at), [10_000], "not before the period is over");
  now = 9_999;
  run();
  assert.equal(sent.length, 1);
  now = 10_000;
  run();
  assert.deepEqual(sent, [[2, 0], [1, 1]]);
  announcer.left();
  announcer.stop();
  assert.equal(timers.length, 0, "stop() cancels the pending summary");
});

Deno.test("formatText(summary) uses a thousands separator", () => {
  assert.equal(
    formatText({ type: "summary", joined: 12, left: 3, here: 5210, ts: 0 }),
    "*** +12 joined, 3 left; 5,210 here",
  );
});

Deno.test("chat-serve --announce-limit 5: 8 clients; the last joins come as a summary", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0", "--announce-limit", "5"]);
  await using line = await ChatClient.join(server.port, "line", "c1");
  await using framed = await ChatClient.join(server.port, "framed", "c2");
  await line.until((t) => t === "*** c2 joined");
  const others: ChatClient[] = [];
  try {
    for (let i = 3; i <= 8; i++) {
      others.push(await ChatClient.join(server.port, i % 2 ? "line" : "framed", `c${i}`));
    }
    // Everything before the answer to /who came first: c3-c5 one by one, then no join
    // line for c6-c8, and a summary (of c6, with c7 and c8 too if they came together).
    await line.sendText("/who");
    const seen: string[] = [];
    for (;;) {
      const text = (await line.next())!;
      if (text.startsWith("*** users:")) break;
      seen.push(text);
    }
    assert.deepEqual(seen.slice(0, 3), ["*** c3 joined", "*** c4 joined", "*** c5 joined"]);
    assert.ok(!seen.some((t) => /c[678] joined/.test(t)), JSON.stringify(seen));
    const summary = seen.find((t) => t.startsWith("*** +")) ??
      await line.until((t) => t.startsWith("*** +"));
    assert.match(summary, /^\*\*\* \+[1-3] joined, 0 left; [6-8] here$/);

    const framedSummary = await framed.untilJson({ type: "summary" });
    assert.equal(typeof framedSummary.joined, "number");
    assert.equal(framedSummary.left, 0);
    assert.equal(typeof framedSummary.ts, "number");
  } finally {
    for (const c of others) await c.close();
  }
});

/** A line member that keeps what it is sent, for in-process room tests. */
function fakeMember(id: number): Member & { got: string[]; next(): Promise<string> } {
  const got: string[] = [];
  let wake: (() => void) | undefined;
  const outbox = {
    send(bytes: Uint8Array) {
      got.push(...new TextDecoder().decode(bytes).split("\n").filter((l) => l !== ""));
      wake?.();
      return true;
    },
  } as unknown as Outbox;
  return {
    name: "",
    dialect: "line",
    outbox,
    id,
    peer: "127.0.0.1:1",
    end() {},
    got,
    async next() {
      while (got.length === 0) await new Promise<void>((resolve) => wake = resolve);
      return got.shift()!;
    },
  };
}

Deno.test("Room: joins and leaves in a room over the limit are counted, not announced", async () => {
  const io = fakeIo();
  const room = new Room({
    limits: testLimits(),
    out: createOutput(io, { json: false, noColor: true }),
    now: () => 0,
    quiet: true,
    stallTimeout: 1000,
    announceLimit: 2,
    summaryEveryMs: 0,
  });
  const [a, b, c] = [fakeMember(1), fakeMember(2), fakeMember(3)];
  room.join(a, "a");
  room.join(b, "b");
  room.flush();
  assert.match(await a.next(), /^\*\*\* welcome a/);
  assert.equal(await a.next(), "*** b joined"); // 2 here: at the limit
  room.join(c, "c"); // 3 here: counted
  room.leave(c, "quit"); // 3 here before it: counted
  room.leave(b, "quit"); // 2 here before it: announced
  room.flush();
  assert.equal(await a.next(), "*** b left (quit)");
  const alive = setTimeout(() => {}, 10_000); // the summary's timer is unref'd
  try {
    assert.equal(await a.next(), "*** +1 joined, 1 left; 1 here");
  } finally {
    clearTimeout(alive);
  }
  room.shutdown([a]);
});
