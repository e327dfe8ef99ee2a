/** The cluster's pure parts: `--cluster`/`--room` checks, stream events, backoff, beats. */

import assert from "node:assert/strict";
import { beatTimes } from "../commands/chat/cluster/heartbeat.ts";
import { backoff, startFailure } from "../commands/chat/cluster/link.ts";
import { streamCap } from "../commands/chat/cluster/room.ts";
import { compareIds, decodeEvent, encodeEvent } from "../commands/chat/cluster/stream.ts";
import { clusterTarget } from "../commands/chat/cluster/url.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("clusterTarget() builds the room's prefix and hides the password", () => {
  const t = clusterTarget("redis://me:secret@10.0.0.5:6380/2", "ops");
  assert.equal(t.prefix, "sockit:chat:ops:");
  assert.equal(t.address, "10.0.0.5:6380");
  assert.ok(!t.display.includes("secret"));
  assert.equal(clusterTarget("rediss://db.example", "lobby").address, "db.example:6379");
});

Deno.test("clusterTarget() refuses other schemes, bad databases and room names", () => {
  for (const [url, room] of [["http://h:1", "a"], ["redis://h:1/x", "a"], ["redis://h:1", "a b"]]) {
    assert.throws(() => clusterTarget(url, room), UsageError, `${url} ${room}`);
  }
});

Deno.test("decodeEvent() reads back what encodeEvent() wrote and skips foreign entries", () => {
  const event = { type: "msg", from: "a", text: "hi", ts: 5, node: "n1", conn: 3 } as const;
  assert.deepEqual(decodeEvent({ e: encodeEvent(event) }), event);
  assert.equal(decodeEvent({ e: "not json" }), undefined);
  assert.equal(decodeEvent({ e: '{"type":"evil","node":"n","ts":1}' }), undefined);
  assert.equal(decodeEvent({ other: "1" }), undefined);
  // The reaper (Lua) writes conn as a number or a string: both read as a number.
  const reaped = decodeEvent({
    e: '{"type":"leave","name":"b","reason":"node_lost","ts":1,"node":"n","conn":"7"}',
  });
  assert.equal(reaped?.conn, 7);
});

Deno.test("compareIds() orders stream ids by time, then sequence, as numbers", () => {
  assert.ok(compareIds("1700-2", "1700-10") < 0);
  assert.ok(compareIds("1701-0", "1700-99") > 0);
  assert.equal(compareIds("5-5", "5-5"), 0);
  assert.ok(compareIds("99999999999999-0", "100000000000000-0") < 0);
});

Deno.test("backoff() doubles from 100ms to at most 2s", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 30].map(backoff), [100, 200, 400, 800, 1600, 2000, 2000]);
});

Deno.test("beatTimes() notices a dead node within --node-timeout", () => {
  for (const timeout of [100, 1000, 10_000]) {
    const { ttl, every } = beatTimes(timeout);
    assert.ok(ttl + every <= timeout, `${timeout}: ${ttl} + ${every}`);
    assert.ok(every < ttl, "a live node beats before its heartbeat expires");
  }
  assert.equal(streamCap(20), 10_000);
  assert.equal(streamCap(10_000), 20_000);
});

Deno.test("startFailure() says why Redis could not be reached, in words", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
    code: "ECONNREFUSED",
  });
  assert.equal(startFailure(refused).text, "connection refused");
  assert.equal(startFailure(new Error("getaddrinfo ENOTFOUND nowhere.invalid")).resolve, true);
  const auth = startFailure(new Error("WRONGPASS invalid username-password pair. Or not"));
  assert.equal(auth.text, "authentication failed: WRONGPASS invalid username-password pair");
  assert.match(auth.hint, /USER:PASS@/);
});
