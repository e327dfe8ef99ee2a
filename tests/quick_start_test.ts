/**
 * The README's quick start: `./sockit` runs sockit from the checkout with the pinned Deno
 * and the release binary's permissions, and one Ctrl-C (SIGINT to the whole process
 * group, as a terminal sends it) stops a server gracefully.
 */

import assert from "node:assert/strict";
import {
  isRunFlag,
  LineReader,
  missing,
  ROOT,
  runTool,
  SOCKIT_PERMISSIONS,
  SOCKIT_RUN_FLAGS,
} from "./helpers.ts";

const SCRIPT = `${ROOT}sockit`;
const PINNED = `${ROOT}.tools/node_modules/.bin/deno`;

/** Whether the pinned Deno is installed (.ci/run installs it); the test never installs it. */
function noPinnedDeno(): boolean {
  try {
    Deno.statSync(PINNED);
    return false;
  } catch {
    console.log("skip: the pinned Deno is not in .tools/ (.ci/run installs it)");
    return true;
  }
}

Deno.test({
  name: "./sockit: the release binary's permissions, no more, no fewer, and the run flags",
  ignore: noPinnedDeno(),
  fn: async () => {
    // The script reads them from deno.json's compile task: trace what it runs.
    const { code, stderr } = await runTool("bash", ["-x", SCRIPT, "--version"]);
    assert.equal(code, 0, stderr);
    const run = stderr.split("\n").find((l) => l.startsWith("+ exec ")) ?? stderr;
    const given = run.split(/\s+/).filter((w) => w.startsWith("--allow-"));
    assert.deepEqual(given.sort(), [...SOCKIT_PERMISSIONS].sort(), run);
    const flags = run.split(/\s+/).filter(isRunFlag);
    assert.deepEqual(flags, SOCKIT_RUN_FLAGS, run);
  },
});

Deno.test({
  name: "./sockit: one Ctrl-C to the process group stops a server gracefully",
  ignore: noPinnedDeno() || missing("setsid", "kill"),
  fn: async () => {
    // setsid: the server leads its own process group, as a shell job does, so the
    // signal goes to the group the way a terminal sends it.
    const proc = new Deno.Command("setsid", {
      args: [SCRIPT, "echo", "--port", "0"],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const stdout = new LineReader(proc.stdout);
    const stderr = new LineReader(proc.stderr);
    try {
      assert.match((await stdout.next()) ?? "", /^listening on tcp 127\.0\.0\.1:\d+$/);
      const kill = await new Deno.Command("kill", { args: ["-INT", "--", `-${proc.pid}`] })
        .output();
      assert.equal(kill.code, 0);
      const status = await proc.status;
      assert.equal(status.code, 0, `stderr: ${JSON.stringify(stderr.seen)}`);
      const summary = [...stdout.seen, ...await stdout.rest()];
      assert.ok(summary.some((l) => /^echo: stopped after /.test(l)), JSON.stringify(summary));
    } finally {
      await stdout.cancel();
      await stderr.cancel();
      try {
        proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  },
});
