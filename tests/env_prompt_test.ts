/**
 * On a terminal, reading an environment variable outside `--allow-env` makes Deno stop
 * and ask for permission instead of throwing; sockit run with the release binary's
 * permissions must never do that (a student's first `sockit echo --port 0` hung on a
 * prompt for SOCKIT_DENO_TASK). `script` gives the CLI a real terminal.
 */

import assert from "node:assert/strict";
import { LineReader, missing, sockitCommand } from "./helpers.ts";

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

Deno.test({
  name: "a server on a terminal, with the binary's permissions, starts without a prompt",
  ignore: missing("script"),
  async fn() {
    const { cmd, args } = sockitCommand(["echo", "--port", "0"]);
    const proc = new Deno.Command("script", {
      args: ["-qfec", [cmd, ...args].map(shellQuote).join(" "), "/dev/null"],
      stdin: "piped", // the terminal's keyboard, open and untouched
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const out = new LineReader(proc.stdout);
    try {
      const first = await out.until((line) => /listening on|requests|Allow\?/.test(line), 15_000);
      assert.match(first, /^listening on tcp 127\.0\.0\.1:\d+/, `seen: ${out.seen.join("\n")}`);
    } finally {
      proc.kill("SIGTERM"); // script ends the terminal's session, and sockit with it
      await proc.status;
      await out.cancel();
      await proc.stdin.close().catch(() => {});
    }
  },
});
