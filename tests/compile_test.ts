/**
 * `deno task compile`: the task's flags build a binary that works — `--version`, an echo
 * server with a Web Worker and an echo client talking to it, race-demo's workers. The
 * build runs once, with the task's own flags (from deno.json, via scripts/compile_all.ts)
 * and the output in a temporary folder.
 *
 * `deno compile` downloads the Deno runtime it builds on (denort) the first time; where
 * that download is unreachable (no internet), the binary test is skipped with the reason
 * printed. Any other build failure fails.
 */

import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { compileArgs, ROOT, runtimeDownloadFailure } from "../scripts/compile_all.ts";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LineReader, readN, writeAll } from "./helpers.ts";

const decoder = new TextDecoder();

const dir = await Deno.makeTempDir({ prefix: "sockit-compile-" });
const binary = `${dir}/sockit${Deno.build.os === "windows" ? ".exe" : ""}`;
const build = await new Deno.Command(Deno.execPath(), {
  args: compileArgs(config.tasks.compile, binary),
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
}).output();
const buildLog = decoder.decode(build.stderr);
const unreachable = build.success ? undefined : runtimeDownloadFailure(buildLog);
if (unreachable) {
  console.log(`skip: deno compile cannot download the Deno runtime it builds on: ${unreachable}`);
}
if (!build.success) await Deno.remove(dir, { recursive: true });

Deno.test("compile task: every Web Worker module is --included, and every include exists", async () => {
  const words = config.tasks.compile.split(/\s+/);
  const includes = words.flatMap((w, i) => (words[i - 1] === "--include" ? [w] : [])).sort();
  for (const path of includes) {
    assert.ok((await Deno.stat(`${ROOT}${path}`)).isFile, `--include ${path} is not a file`);
  }
  // Workers are loaded by URL at run time, so deno compile cannot see them by itself.
  const workers: string[] = [];
  for (const top of ["commands", "lib"]) {
    for await (const file of walk(`${ROOT}${top}`)) {
      const source = await Deno.readTextFile(file);
      for (
        const m of source.matchAll(/new Worker\(\s*new URL\(\s*"([^"]+)",\s*import\.meta\.url/g)
      ) {
        const path = fileURLToPath(new URL(m[1], pathToFileURL(file)));
        workers.push(path.slice(ROOT.length).replaceAll("\\", "/"));
      }
    }
  }
  assert.ok(workers.length > 0, "found no `new Worker(new URL(...))` to check");
  assert.deepEqual([...new Set(workers)].sort(), includes);
});

Deno.test("compile task: least permissions, the net unstable flag, an output in dist/", () => {
  const words = config.tasks.compile.split(/\s+/);
  assert.ok(words.includes("--unstable-net"), "UDP needs --unstable-net in the binary");
  const permissions = words.filter((w) => w.startsWith("--allow-")).map((w) => w.split("=")[0]);
  assert.deepEqual(permissions.sort(), [
    "--allow-env",
    "--allow-net",
    "--allow-read",
    "--allow-write",
  ]);
  assert.ok(!words.includes("--allow-all") && !words.includes("-A"));
  assert.ok(
    words.includes("--allow-env=NO_COLOR,USER,LOGNAME,USERNAME,SOCKIT_CHAT_PASSWORD"),
    "env is narrowed",
  );
  assert.equal(words[words.indexOf("--output") + 1], "dist/sockit");
});

Deno.test({
  name: "deno task compile: the binary runs --version, echo with --workers, race-demo",
  ignore: unreachable !== undefined,
  async fn(t) {
    assert.ok(build.success, `deno compile failed:\n${buildLog}`);
    try {
      await t.step("--version", async () => {
        const { code, stdout, stderr } = await run(["--version"]);
        assert.equal(code, 0, stderr);
        assert.match(stdout, new RegExp(`^sockit ${config.version.replaceAll(".", "\\.")} `));
      });

      await t.step("echo server with a worker thread, and the echo client", async () => {
        const server = new Deno.Command(binary, {
          args: ["echo", "--port", "0", "--workers", "2", "--json"],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const stdout = new LineReader(server.stdout);
        const stderr = new LineReader(server.stderr);
        try {
          const listening = JSON.parse((await stdout.next(15_000))!);
          assert.equal(listening.event, "listening", JSON.stringify(listening));
          const port: number = listening.port;
          const { code, stdout: out, stderr: err } = await run([
            "echo",
            "--to",
            `127.0.0.1:${port}`,
            "-c",
            "3",
            "-i",
            "0",
            "--size",
            "1000",
          ]);
          assert.equal(code, 0, `${out}\n${err}`);
          assert.match(out, /3 sent, 3 received, 0 mismatched, 0% loss/);
          // The kernel spreads connections over both listeners; one accepted by the
          // worker proves its module made it into the binary.
          const conns = await Promise.all(
            Array.from({ length: 20 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
          );
          try {
            for (const c of conns) {
              await writeAll(c, new Uint8Array([1]));
              assert.equal((await readN(c, 1))[0], 1);
            }
          } finally {
            for (const c of conns) c.close();
          }
          await stdout.until((l) => /"event":"connect".*"id":"w2\./.test(l));
        } finally {
          server.kill("SIGTERM");
          const status = await server.status;
          await stdout.cancel();
          await stderr.cancel();
          assert.equal(status.code, 0);
        }
      });

      const { stdout: help } = await run(["--help"]);
      await t.step({
        name: "race-demo --mode atomic (its workers)",
        ignore: !/^\s+race-demo\s/m.test(help),
        async fn() {
          const { code, stdout, stderr } = await run([
            "race-demo",
            "--mode",
            "atomic",
            "--iterations",
            "1000",
            "--trials",
            "1",
          ]);
          assert.equal(code, 0, `${stdout}\n${stderr}`);
          assert.match(stdout, /atomic/);
        },
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Runs the compiled binary to completion. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(binary, {
    args,
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

async function* walk(path: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(path)) {
    const full = `${path}/${entry.name}`;
    if (entry.isDirectory) yield* walk(full);
    else if (entry.name.endsWith(".ts")) yield full;
  }
}
