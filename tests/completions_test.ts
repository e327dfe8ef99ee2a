/**
 * `sockit completions bash|zsh|fish` and `sockit man`, checked in the real programs: each
 * script is loaded into its shell and asked for completions as Tab would ask; the man
 * page is rendered by groff and man-db with every warning on. Every flag of every command
 * must complete, since the scripts are generated from the same flag data as `--help`.
 */

import assert from "node:assert/strict";
import { completionScript } from "../lib/completions.ts";
import { defineMeta, loadMeta } from "../lib/command.ts";
import { flagName } from "../lib/flags.ts";
import { commands } from "../main.ts";
import { bashComplete, fishComplete, zshComplete } from "./completion_helpers.ts";
import { missing, runSockit, runTool } from "./helpers.ts";

/** Every command's long flags, as the command line spells them, --help included. */
const everyFlag = (await Promise.all(commands.map(loadMeta))).map((c) => ({
  name: c.name,
  flags: [...Object.keys(c.flags).map((k) => `--${flagName(k)}`), "--help"],
}));

async function script(shell: string): Promise<string> {
  const { code, stdout, stderr } = await runSockit(["completions", shell]);
  assert.equal(code, 0, stderr);
  return stdout;
}

/** A folder with the scripts installed where each shell looks, and a file to complete. */
async function installed() {
  const dir = await Deno.makeTempDir({ prefix: "sockit-completions-" });
  await Deno.writeTextFile(`${dir}/_sockit`, await script("zsh"));
  await Deno.writeTextFile(`${dir}/sockit.fish`, await script("fish"));
  await Deno.writeTextFile(`${dir}/transcript.jsonl`, "");
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const sorted = (words: string[]) => [...new Set(words)].sort();

Deno.test({
  name: "completions bash: commands, flags, enum choices and files, in bash itself",
  ignore: missing("bash"),
  fn: async () => {
    const bash = await script("bash");
    assert.deepEqual(await bashComplete(bash, "sockit ec"), ["echo"]);
    assert.deepEqual(sorted(await bashComplete(bash, "sockit echo --tr")), [
      "--trace",
      "--transport",
    ]);
    assert.deepEqual(await bashComplete(bash, "sockit echo --transport "), ["tcp", "udp", "both"]);
    assert.deepEqual(await bashComplete(bash, "sockit echo -c "), [], "a number: no guesses");
    assert.deepEqual(await bashComplete(bash, "sockit help da"), ["daytime"]);
    assert.deepEqual(await bashComplete(bash, "sockit completions f"), ["fish"]);
    await using dir = await installed();
    assert.deepEqual(await bashComplete(bash, `sockit chat-serve --log ${dir.dir}/tr`), [
      `${dir.dir}/transcript.jsonl`,
    ]);
    for (const { name, flags } of everyFlag) {
      assert.deepEqual(
        sorted((await bashComplete(bash, `sockit ${name} --`)).filter((w) => w.startsWith("--"))),
        sorted(flags),
        name,
      );
    }
  },
});

Deno.test({
  name: "completions zsh: commands, flags, enum choices and files, in zsh's compsys",
  ignore: missing("zsh"),
  fn: async () => {
    await using dir = await installed();
    const ask = (line: string) => zshComplete(dir.dir, line);
    assert.ok((await ask("sockit ec")).includes("echo"));
    assert.deepEqual(sorted(await ask("sockit echo --tr")), ["--trace", "--transport"]);
    assert.deepEqual(sorted(await ask("sockit echo --transport ")), ["both", "tcp", "udp"]);
    assert.ok((await ask(`sockit chat-serve --log ${dir.dir}/tr`)).includes("transcript.jsonl"));
    for (const { name, flags } of everyFlag) {
      const offered = (await ask(`sockit ${name} --`)).filter((w) => w.startsWith("--"));
      assert.deepEqual(sorted(offered), sorted(flags), name);
    }
  },
});

Deno.test({
  name: "completions fish: commands, flags, enum choices and files, with complete -C",
  ignore: missing("fish"),
  fn: async () => {
    await using dir = await installed();
    const ask = (line: string) => fishComplete(`${dir.dir}/sockit.fish`, line);
    assert.deepEqual(await ask("sockit ec"), ["echo"]);
    assert.deepEqual(sorted(await ask("sockit echo --tr")), ["--trace", "--transport"]);
    assert.deepEqual(sorted(await ask("sockit echo --transport ")), ["both", "tcp", "udp"]);
    assert.deepEqual(await ask(`sockit chat-serve --log ${dir.dir}/tr`), [
      `${dir.dir}/transcript.jsonl`,
    ]);
    assert.deepEqual(await ask("sockit echo --transport=u"), ["--transport=udp"]);
    for (const { name, flags } of everyFlag) {
      assert.deepEqual(sorted(await ask(`sockit ${name} --`)), sorted(flags), name);
    }
  },
});

Deno.test({
  name: "completions: a flag declared with defineFlags completes with no other change",
  ignore: missing("bash"),
  fn: async () => {
    const probe = defineMeta({
      name: "probe",
      summary: "a test command",
      usage: ["[flags]"],
      examples: [],
      flags: {
        certFile: { type: "string", valueName: "FILE", help: "a file" },
        color: { type: "enum", choices: ["red", "green"], help: "a colour" },
      },
    });
    const bash = completionScript("bash", [probe]);
    assert.deepEqual(sorted(await bashComplete(bash, "sockit probe --c")), [
      "--cert-file",
      "--color",
    ]);
    assert.deepEqual(await bashComplete(bash, "sockit probe --color "), ["red", "green"]);
  },
});

Deno.test("completions: an unknown or missing shell is a usage error naming the choices", async () => {
  for (const args of [["completions"], ["completions", "tcsh"]]) {
    const { code, stdout, stderr } = await runSockit(args);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^sockit: completions.*bash, zsh or fish/);
  }
});

Deno.test({
  name: "man: groff renders the page with every warning on and says nothing",
  ignore: missing("groff"),
  fn: async () => {
    const { code, stdout } = await runSockit(["man"]);
    assert.equal(code, 0);
    const groff = await runTool("groff", ["-man", "-ww", "-z"], { stdin: stdout });
    assert.equal(groff.stderr, "");
    assert.equal(groff.code, 0);
    // The check can fail: a page with a mistake in it does warn.
    const broken = await runTool("groff", ["-man", "-ww", "-z"], { stdin: stdout + ".XX\n" });
    assert.notEqual(broken.stderr, "");
  },
});

Deno.test({
  name: "man: man -l shows every command and every flag, without warnings",
  ignore: missing("man", "groff"),
  fn: async () => {
    const page = (await runSockit(["man"])).stdout;
    const dir = await Deno.makeTempDir({ prefix: "sockit-man-" });
    try {
      await Deno.writeTextFile(`${dir}/sockit.1`, page);
      const proc = await new Deno.Command("man", {
        args: ["-l", "--warnings=all", `${dir}/sockit.1`],
        env: { MANWIDTH: "80", MAN_KEEP_FORMATTING: "", PAGER: "cat", MANPAGER: "cat" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      // Overstrike bold (x BS x) if man formats for a terminal anyway.
      // deno-lint-ignore no-control-regex
      const text = new TextDecoder().decode(proc.stdout).replace(/.\x08/g, "");
      assert.equal(new TextDecoder().decode(proc.stderr), "");
      assert.equal(proc.code, 0);
      assert.match(text, /^SOCKIT\(1\)/);
      for (const section of ["NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"]) {
        assert.match(text, new RegExp(`^${section}$`, "m"));
      }
      for (const { name, flags } of everyFlag) {
        assert.match(text, new RegExp(`^   ${name}$`, "m"), name);
        for (const flag of flags) assert.ok(text.includes(flag), `${name} ${flag}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
