import assert from "node:assert/strict";
import { after, before } from "../lib/timer.ts";

/** Resolves when `n` of the returned callbacks have run, with the order they ran in. */
function recorder(n: number) {
  const ran: string[] = [];
  const { promise, resolve } = Promise.withResolvers<string[]>();
  const mark = (name: string) => () => {
    ran.push(name);
    if (ran.length === n) resolve(ran);
  };
  return { mark, done: promise };
}

Deno.test("timer: deadlines run once each, earliest first, whatever order they were set in", async () => {
  const { mark, done } = recorder(3);
  after(30, mark("30ms"));
  after(1, mark("1ms"));
  after(15, mark("15ms"));
  assert.deepEqual(await done, ["1ms", "15ms", "30ms"]);
});

Deno.test("timer: a cancelled deadline never runs, the others still do", async () => {
  const { mark, done } = recorder(2);
  const cancelled: string[] = [];
  const cancel = after(1, () => cancelled.push("cancelled"));
  after(5, mark("5ms"));
  cancel();
  after(20, mark("20ms"));
  assert.deepEqual(await done, ["5ms", "20ms"]);
  assert.deepEqual(cancelled, []);
});

Deno.test("before: the work's result when it comes first, undefined when the time does", async () => {
  assert.equal(await before(Promise.resolve(7), 1000), 7);
  const never = new Promise<number>(() => {});
  assert.equal(await before(never, 1), undefined);
  await assert.rejects(before(Promise.reject(new Error("boom")), 1000), /boom/);
});
