/** Malformed addresses on the command line are usage errors (exit 2) that name the fix. */

import assert from "node:assert/strict";
import { runSockit } from "./helpers.ts";

for (
  const [what, args, expected] of [
    [
      "echo --to an IPv6 address with a port",
      ["echo", "--to", "::1:38425", "-c", "1"],
      /\[::1\]:38425/,
    ],
    ["chat-join an IPv6 address with a port", [
      "chat-join",
      "::1:38425",
      "--name",
      "a",
      "--send",
      "x",
    ], /\[::1\]:38425/],
    ["time-fetch an IPv6 address with a port", ["time-fetch", "::1:38425"], /\[::1\]:38425/],
    ["echo --to port 0", ["echo", "--to", "127.0.0.1:0", "-c", "1"], /port 0 cannot be dialled/],
  ] as const
) {
  Deno.test(`${what} is a usage error naming the address`, async () => {
    const { code, stdout, stderr } = await runSockit([...args]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^sockit: address "[^"]+": /);
    assert.match(stderr, expected);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  });
}
