/** Unit tests of the batching stdout/stderr writer, against fake files and a manual turn. */

import assert from "node:assert/strict";
import {
  ATOMIC_WRITE_BYTES,
  createStdioWriter,
  DEFAULT_FLUSH_INTERVAL_MS,
  type SyncFile,
} from "../lib/stdio_writer.ts";

const decoder = new TextDecoder();

/** A file that records each write syscall's text, and can be made to break its pipe. */
function fakeFile(name: string, log: string[], options: { broken?: () => boolean } = {}) {
  const writes: string[] = [];
  const file: SyncFile = {
    writeSync(bytes) {
      if (options.broken?.()) throw new Deno.errors.BrokenPipe("broken pipe");
      const text = decoder.decode(bytes);
      writes.push(text);
      log.push(`${name}:${text}`);
      return bytes.length;
    },
  };
  return { file, writes };
}

/** A writer whose turns end only when the test says so. */
function manualWriter(options: { limit?: number } = {}) {
  let pending: (() => void) | undefined;
  let scheduled = 0;
  const writer = createStdioWriter({
    ...options,
    schedule: (flush) => {
      scheduled++;
      pending = flush;
    },
  });
  const endTurn = () => {
    const flush = pending;
    pending = undefined;
    flush?.();
  };
  return { writer, endTurn, scheduled: () => scheduled };
}

Deno.test("stdio writer: lines written in one turn leave in one write, at the turn's end", () => {
  const log: string[] = [];
  const err = fakeFile("err", log);
  const { writer, endTurn, scheduled } = manualWriter();
  const stream = writer.stream(err.file, () => {});
  for (let i = 1; i <= 100; i++) stream.write(`connect #${i}\n`);
  assert.deepStrictEqual(err.writes, [], "nothing before the turn ends");
  assert.equal(scheduled(), 1, "one flush scheduled for the whole batch");
  endTurn();
  assert.equal(err.writes.length, 1);
  assert.equal(
    err.writes[0],
    Array.from({ length: 100 }, (_, i) => `connect #${i + 1}\n`).join(""),
  );
  stream.write("next\n");
  assert.equal(scheduled(), 2, "a new batch schedules a new flush");
});

Deno.test("stdio writer: after a quiet spell at the turn's end, under load at most 10 ms late", () => {
  let clock = 1000;
  const delays: number[] = [];
  let pending: (() => void) | undefined;
  const writer = createStdioWriter({
    now: () => clock,
    schedule: (flush, ms) => {
      delays.push(ms);
      pending = flush;
    },
  });
  const err = writer.stream(fakeFile("err", []).file, () => {});
  err.write("first\n");
  pending!();
  clock += 3;
  err.write("soon after\n");
  pending!();
  clock += 500;
  err.write("after a pause\n");
  assert.deepStrictEqual(delays, [0, DEFAULT_FLUSH_INTERVAL_MS - 3, 0]);
  assert.equal(DEFAULT_FLUSH_INTERVAL_MS, 10);
});

Deno.test("stdio writer: order across stdout and stderr is kept, as a terminal shows it", () => {
  const log: string[] = [];
  const out = fakeFile("out", log);
  const err = fakeFile("err", log);
  const { writer, endTurn } = manualWriter();
  const stdout = writer.stream(out.file, () => {});
  const stderr = writer.stream(err.file, () => {});
  stdout.write("listening\n");
  stderr.write("connect #1\n");
  stderr.write("disconnect #1\n");
  stdout.write("summary\n");
  endTurn();
  assert.deepStrictEqual(log, [
    "out:listening\n",
    "err:connect #1\ndisconnect #1\n",
    "out:summary\n",
  ]);
});

Deno.test("stdio writer: writes stay whole and at most a pipe's atomic size when batched", () => {
  const log: string[] = [];
  const err = fakeFile("err", log);
  const { writer, endTurn } = manualWriter({ limit: 1 << 20 });
  const stream = writer.stream(err.file, () => {});
  const line = "x".repeat(99) + "\n";
  const big = "y".repeat(ATOMIC_WRITE_BYTES * 2) + "\n";
  for (let i = 0; i < 100; i++) stream.write(line);
  stream.write(big);
  // Two of these fit by characters, not by bytes (é is two bytes).
  const accented = "é".repeat(1500) + "\n";
  stream.write(accented);
  stream.write(accented);
  endTurn();
  assert.equal(err.writes.join(""), line.repeat(100) + big + accented + accented);
  for (const write of err.writes) {
    const bytes = new TextEncoder().encode(write).length;
    // A piece longer than the limit goes alone, as it did unbatched; no batch is longer.
    assert.ok(bytes <= ATOMIC_WRITE_BYTES || !write.slice(0, -1).includes("\n"), `${bytes}`);
    assert.ok(write.endsWith("\n"), "cut only between write() calls");
  }
  assert.ok(err.writes.length < 20, `${err.writes.length} writes for 103 lines`);
});

Deno.test("stdio writer: a queue past the limit is written at once, not at the turn's end", () => {
  const log: string[] = [];
  const err = fakeFile("err", log);
  const { writer } = manualWriter({ limit: 1000 });
  const stream = writer.stream(err.file, () => {});
  for (let i = 0; i < 20; i++) stream.write("z".repeat(99) + "\n");
  assert.ok(err.writes.length >= 1, "written before the turn ended");
  assert.ok(err.writes.join("").length >= 1000);
});

Deno.test("stdio writer: flush() writes everything queued now", () => {
  const log: string[] = [];
  const err = fakeFile("err", log);
  const { writer } = manualWriter();
  writer.stream(err.file, () => {}).write("last words\n");
  writer.flush();
  assert.deepStrictEqual(err.writes, ["last words\n"]);
  writer.flush();
  assert.deepStrictEqual(err.writes, ["last words\n"], "nothing twice");
});

Deno.test("stdio writer: a broken pipe is reported once, after the rest of the batch", () => {
  const log: string[] = [];
  const out = fakeFile("out", log, { broken: () => true });
  const err = fakeFile("err", log);
  const { writer, endTurn } = manualWriter();
  let closed = 0;
  const stdout = writer.stream(out.file, () => {
    closed++;
    assert.deepStrictEqual(log, ["err:after\n"], "the other stream was written first");
  });
  const stderr = writer.stream(err.file, () => {});
  stdout.write("event 1\n");
  stderr.write("after\n");
  endTurn();
  assert.equal(closed, 1);
  assert.equal(stdout.closed, true);
  stdout.write("event 2\n");
  stderr.write("still here\n");
  endTurn();
  assert.equal(closed, 1, "reported once");
  assert.deepStrictEqual(log, ["err:after\n", "err:still here\n"]);
});

Deno.test("stdio writer: what onClosed writes goes out in the same flush (it may be the last)", () => {
  const log: string[] = [];
  const out = fakeFile("out", log, { broken: () => true });
  const err = fakeFile("err", log);
  const { writer } = manualWriter();
  const stderr = writer.stream(err.file, () => {});
  const stdout = writer.stream(out.file, () => stderr.write("stdout closed\n"));
  stdout.write("summary\n");
  writer.flush(); // as the unload handler does at exit
  assert.deepStrictEqual(log, ["err:stdout closed\n"]);
});
