/**
 * `chat-serve --rate N/DUR`: a client over the rate is read more slowly, never loses a
 * message, and is told `rate_limited` once per burst — in each dialect. Plus unit tests
 * of the rate parser and the token bucket.
 */

import assert from "node:assert/strict";
import { concat } from "../commands/chat/outbox.ts";
import { parseRate, TokenBucket } from "../commands/chat/rate.ts";
import { lengthPrefixFrame } from "../lib/framing.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { runSockit, startSockit } from "./helpers.ts";

const encoder = new TextEncoder();

function serve(...args: string[]) {
  return startSockit(["chat-serve", "--port", "0", ...args]);
}

Deno.test("parseRate() reads N/DUR with the duration parser; a bare unit is one of it", () => {
  assert.deepEqual(parseRate("20/s"), { count: 20, perMs: 1000, text: "20/s" });
  assert.deepEqual(parseRate("600/m"), { count: 600, perMs: 60_000, text: "600/m" });
  assert.deepEqual(parseRate("5/2s"), { count: 5, perMs: 2000, text: "5/2s" });
  assert.deepEqual(parseRate("10/250ms"), { count: 10, perMs: 250, text: "10/250ms" });
  for (const bad of ["", "20", "/s", "0/s", "5/0s", "5/x", "-1/s", "1.5/s", "5/s/s"]) {
    assert.equal(parseRate(bad), undefined, bad);
  }
});

Deno.test("TokenBucket allows a burst of N, then one per period/N, and refills to N", () => {
  const bucket = new TokenBucket({ count: 5, perMs: 1000, text: "5/s" }, 0);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(0), 0);
  assert.equal(bucket.take(0), 200);
  assert.equal(bucket.take(100), 100);
  assert.equal(bucket.take(200), 0);
  assert.equal(bucket.full(200), false);
  assert.equal(bucket.full(5000), true);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(5000), 0);
  assert.equal(bucket.take(5000), 200);
});

Deno.test("chat-serve --rate: a bad rate is a usage error naming the flag", async () => {
  const r = await runSockit(["chat-serve", "--port", "0", "--rate", "fast"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rate: "fast" is not a rate/);
});

Deno.test("chat-serve --rate 5/s: 50 lines at once all arrive, in order, paced; told once", async () => {
  await using server = await serve("--rate", "5/s");
  await using watcher = await ChatClient.join(server.port, "framed", "watcher");
  await using flood = await ChatClient.join(server.port, "line", "flood");
  await watcher.untilJson({ type: "join", name: "flood" });
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
  await flood.write(encoder.encode(lines.map((l) => l + "\n").join("")));

  const got: Record<string, unknown>[] = [];
  while (got.length < lines.length) got.push(await watcher.untilJson({ type: "msg" }, 20_000));
  assert.deepEqual(got.map((m) => m.text), lines);
  // Five go at once, then one every 200 ms: the 50th is handled 45 tokens (9 s) later.
  // Timers only fire late, so this lower bound holds however loaded the machine is.
  const spread = (got[49].ts as number) - (got[0].ts as number);
  assert.ok(spread >= 9000 - 5, `50 messages at 5/s were spread over only ${spread} ms`);
  console.log(`50 lines at --rate 5/s: first to last ${spread} ms apart`);

  await flood.sendText("/ping");
  const told: string[] = [];
  for (;;) {
    const text = await flood.next();
    if (text === "*** pong") break;
    told.push(text ?? "(closed)");
  }
  assert.equal(told.length, 1, JSON.stringify(told));
  assert.match(told[0], /^!!! rate_limited: You are sending more than 5 messages per 1s/);
});

Deno.test("chat-serve --rate: a framed sender gets every ack in order and one rate_limited", async () => {
  await using server = await serve("--rate", "10/100ms");
  await using watcher = await ChatClient.join(server.port, "line", "watcher");
  await using bot = await ChatClient.join(server.port, "framed", "bot");
  await watcher.until((t) => t === "*** bot joined");
  const frames = Array.from(
    { length: 30 },
    (_, i) => lengthPrefixFrame(JSON.stringify({ type: "say", text: `m${i}`, id: `c${i}` })),
  );
  await bot.write(concat(frames)); // all at once

  const acks: string[] = [];
  const errors: Record<string, unknown>[] = [];
  while (acks.length < frames.length) {
    const m = await bot.json();
    if (m.type === "msg") acks.push(m.id as string);
    else if (m.type === "error") errors.push(m);
  }
  assert.deepEqual(acks, frames.map((_, i) => `c${i}`));
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].code, "rate_limited");
  assert.equal(errors[0].id, undefined, "not tied to a message: none was refused");
  for (let i = 0; i < frames.length; i++) assert.equal(await watcher.next(), `bot: m${i}`);
});

Deno.test("chat-serve --rate with --framing ascii8: one rate_limited frame, nothing lost", async () => {
  await using server = await serve("--framing", "ascii8", "--rate", "3/100ms");
  await using watcher = await ChatClient.join(server.port, "ascii8", "watcher");
  await using lab = await ChatClient.join(server.port, "ascii8", "lab");
  assert.equal(await watcher.next(), "*** lab joined");
  for (let i = 0; i < 12; i++) await lab.sendText(`n${i}`);
  for (let i = 0; i < 12; i++) assert.equal(await watcher.next(), `lab: n${i}`);
  await lab.sendText("/ping");
  assert.match((await lab.next())!, /^!!! rate_limited: /);
  assert.equal(await lab.next(), "*** pong");
});

Deno.test("chat-join against --rate: paced acks are not overdue, rate_limited is no refusal", async () => {
  await using server = await serve("--rate", "2/200ms");
  // 16 messages at one per 100 ms after a burst of 2: the last is acknowledged about
  // 1.4 s after it was sent, past --timeout 1s, but never 1 s after the previous ack.
  const sends = Array.from({ length: 16 }, (_, i) => ["--send", `s${i}`]).flat();
  const r = await runSockit([
    "chat-join",
    `127.0.0.1:${server.port}`,
    "--name",
    "paced",
    "--timeout",
    "1s",
    "--json",
    ...sends,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(
    events.filter((e) => e.event === "msg").map((e) => e.text),
    Array.from({ length: 16 }, (_, i) => `s${i}`),
  );
  const limited = events.filter((e) => e.event === "error");
  assert.equal(limited.length, 1, JSON.stringify(limited));
  assert.equal(limited[0].code, "rate_limited");
});

Deno.test("chat-serve --rate: a client whose messages wait is not idle (--idle-timeout)", async () => {
  // 12 lines at 4/s wait about 2 s, twice the idle timeout, in the server; each one
  // handled counts as traffic.
  await using server = await serve("--rate", "4/s", "--idle-timeout", "1s");
  await using watcher = await ChatClient.join(server.port, "line", "watcher");
  await using flood = await ChatClient.join(server.port, "line", "flood");
  assert.equal(await watcher.next(), "*** flood joined");
  const lines = Array.from({ length: 12 }, (_, i) => `w${i}`);
  await flood.write(encoder.encode(lines.map((l) => l + "\n").join("")));
  for (const line of lines) {
    const got = await watcher.until((t) => /^(\*\*\* )?flood/.test(t));
    assert.equal(got, `flood: ${line}`);
    await watcher.sendText("/ping"); // the watcher keeps itself alive
  }
});
