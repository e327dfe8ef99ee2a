/** Unit and property tests of durations: 250ms, 2s, 1.5s, 1m, bare seconds. */

import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDuration, formatElapsed, parseDuration } from "../lib/duration.ts";

Deno.test("parseDuration: the README's forms, in milliseconds", () => {
  const cases: [string, number][] = [
    ["250ms", 250],
    ["2s", 2000],
    ["1.5s", 1500],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["2", 2000],
    ["0.25", 250],
    [".5s", 500],
    ["0", 0],
    ["0ms", 0],
    [" 3s ", 3000],
    ["1.005s", 1005],
    ["0.5ms", 0.5],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration: anything else is undefined", () => {
  for (
    const text of ["", "soon", "-1s", "1.5.s", "1e3", "2 s", "5sec", "s", "1d", "NaN", "Infinity"]
  ) {
    assert.equal(parseDuration(text), undefined, text);
  }
});

Deno.test("formatDuration: the largest unit that keeps the number short", () => {
  assert.equal(formatDuration(0), "0");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(1000), "1s");
  assert.equal(formatDuration(1500), "1.5s");
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(120_000), "2m");
});

Deno.test("formatDuration: parseDuration reads back every whole millisecond count", () => {
  fc.assert(
    fc.property(fc.nat({ max: 10 * 24 * 3_600_000 }), (ms) => {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }),
    { numRuns: 1000 },
  );
  for (const ms of [1005, 1015, 4350, 9007, 60_001, 1_234_567]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
  }
});

Deno.test("formatDuration: millisecond fractions to three places round-trip", () => {
  fc.assert(
    fc.property(fc.nat({ max: 999_999 }), (micro) => {
      const ms = micro / 1000;
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }),
    { numRuns: 500 },
  );
});

Deno.test("formatElapsed: precision that suits the size", () => {
  assert.equal(formatElapsed(0.08312), "0.083ms");
  assert.equal(formatElapsed(12.5), "12.5ms");
  assert.equal(formatElapsed(123.45), "123.5ms");
  assert.equal(formatElapsed(30012), "30.012s");
  assert.equal(formatElapsed(-2.5), "-2.5ms");
});
