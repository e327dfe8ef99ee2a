/**
 * A chat session whose reading is held back by the room's pressure: it reads nothing
 * until the pressure is gone, and meanwhile keeps its connection marked active, so
 * `--idle-timeout` never drops a client for the server's own pause. In process, on a
 * fake connection whose reads the test feeds.
 */

import assert from "node:assert/strict";
import { Room } from "../commands/chat/room.ts";
import { Session } from "../commands/chat/session.ts";
import { createOutput } from "../lib/output.ts";
import type { Connection } from "../lib/server/mod.ts";
import { fakeIo } from "./helpers.ts";
import { testLimits } from "./chat_room_helpers.ts";

const encoder = new TextEncoder();

/** A connection whose reads return what the test gives them, one `give()` per read. */
function fakeConnection() {
  const given: Uint8Array[] = [];
  let waiting: ((n: number | null) => void) | undefined;
  let target: Uint8Array | undefined;
  let reads = 0;
  const state = { touches: 0, reads: () => reads };
  const deliver = () => {
    if (!waiting || given.length === 0) return;
    const bytes = given.shift()!;
    target!.set(bytes);
    const w = waiting;
    waiting = undefined;
    w(bytes.length);
  };
  const c = {
    id: 1,
    label: "1",
    peer: "127.0.0.1:1",
    bytesIn: 0,
    bytesOut: 0,
    closed: false,
    read(buf: Uint8Array) {
      reads++;
      target = buf;
      return new Promise<number | null>((resolve) => {
        waiting = resolve;
        deliver();
      });
    },
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    writeAll: () => Promise.resolve(),
    lingeringClose: () => Promise.resolve(),
    close() {
      waiting?.(null);
      waiting = undefined;
    },
    touch() {
      state.touches++;
    },
  } as unknown as Connection;
  return {
    c,
    state,
    give(text: string) {
      given.push(encoder.encode(text));
      deliver();
    },
  };
}

/** Waits until `ok()` holds, checking on each timer turn; fails after `ms`. */
async function until(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("chat session: held back by room pressure, it reads nothing and stays active until the pressure is gone", async () => {
  const limits = testLimits();
  const room = new Room({
    limits,
    out: createOutput(fakeIo()),
    now: () => 0,
    quiet: true,
    stallTimeout: 60_000,
  });
  const fake = fakeConnection();
  const session = new Session(fake.c, room, {
    framing: "auto",
    maxMessage: 1024,
    maxFrame: 5120,
    maxLine: 1280,
    maxQueue: 1 << 20,
    flushGrace: 100,
  });
  const done = session.run();
  fake.give("alice\n");
  await until(() => room.has(session), "alice joined");
  const full = {}; // stands for some member's full outbox
  room.pressure.set(full, true);
  fake.give("hello\n"); // handled; then the next read waits for the pressure
  await until(() => fake.state.touches >= 3, "touched while held");
  const readsWhileHeld = fake.state.reads();
  await until(() => fake.state.touches >= 6, "still touched while held");
  assert.equal(fake.state.reads(), readsWhileHeld, "no read while held");
  room.pressure.set(full, false);
  await until(() => fake.state.reads() > readsWhileHeld, "reading again");
  session.end();
  await done;
  room.shutdown([]); // stops the room's timers
});
