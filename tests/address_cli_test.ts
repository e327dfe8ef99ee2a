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
    // Never handed to the system resolver, which reads a leading 0 as octal (010 is 8).
    [
      "echo --to a dotted quad with a leading zero",
      ["echo", "--to", "127.0.0.010:7", "-c", "1"],
      /leading zero \(octal or decimal\?\): write 127\.0\.0\.10/,
    ],
    ["time-fetch an octet over 255", ["time-fetch", "127.0.0.256"], /256 is over 255/],
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

Deno.test("a server's --host or --allow with a leading zero is a usage error, not octal", async () => {
  for (
    const [args, expected] of [
      [["echo", "--port", "0", "--host", "127.0.0.01"], /^sockit: --host "127\.0\.0\.01": /],
      [["daytime", "--port", "0", "--allow", "010.0.0.0/8"], /^sockit: --allow: "010\.0\.0\.0\/8"/],
    ] as const
  ) {
    const { code, stdout, stderr } = await runSockit([...args]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "", "it must not listen");
    assert.match(stderr, expected);
    assert.match(stderr, /leading zero/);
  }
});
