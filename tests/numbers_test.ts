/** Unit tests of how numbers and text are laid out for people: rounding, counts, rates, wrapping. */

import assert from "node:assert/strict";
import { counted, formatAmount, formatCount, formatRate, round } from "../lib/numbers.ts";
import { wrap } from "../lib/wrap.ts";

Deno.test("round() keeps the asked decimal places", () => {
  assert.equal(round(0.083123, 3), 0.083);
  assert.equal(round(2 / 3, 2), 0.67);
  assert.equal(round(12.5, 0), 13);
  assert.equal(round(-1.2345, 3), -1.234);
});

Deno.test("formatCount() and formatRate() read the same in every locale", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(1_234_567), "1,234,567");
  assert.equal(formatCount(-1234.9), "-1,234");
  assert.equal(formatRate(327_912_000), "327.9M");
  assert.equal(formatRate(2_200_000_000), "2.2G");
  assert.equal(formatRate(1500), "1.5k");
  assert.equal(formatRate(12), "12");
});

Deno.test("wrap() breaks at spaces within the width; a longer word stands alone", () => {
  assert.deepEqual(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
  assert.deepEqual(wrap("a verylongword b", 5), ["a", "verylongword", "b"]);
  assert.deepEqual(wrap("fits", 10), ["fits"]);
  assert.deepEqual(wrap("", 10), []);
  for (const line of wrap("lorem ipsum dolor sit amet consectetur adipiscing elit", 12)) {
    assert.ok(line.length <= 12, line);
  }
});

Deno.test("counted: the noun is plural unless the count is 1", () => {
  assert.equal(counted(1, "client"), "1 client");
  assert.equal(counted(0, "client"), "0 clients");
  assert.equal(counted(2, "reply", "replies"), "2 replies");
});

Deno.test("formatAmount() is exact below 1 KiB, else one decimal of the largest unit", () => {
  assert.equal(formatAmount(0), "0 bytes");
  assert.equal(formatAmount(1), "1 byte");
  assert.equal(formatAmount(1023), "1023 bytes");
  assert.equal(formatAmount(65_536), "64KiB");
  assert.equal(formatAmount(3 * 1024 ** 2), "3MiB");
  assert.equal(formatAmount(799_457_280), "762.4MiB"); // was "780720KiB"
  assert.equal(formatAmount(5 * 1024 ** 3 + 1), "5GiB");
});
