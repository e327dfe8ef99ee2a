/**
 * docs/LEARN.md runs: every marked block of the walkthrough is run the way a student
 * would, in terminals of its own, and what the page shows must be what the program
 * prints — so the page fails CI the moment it drifts. The markers are described in
 * tests/learn_doc.ts. Sections run at the same time, each in its own directory, with
 * servers on `--port 0`; a section whose peers (nc, python3) are missing is skipped with
 * the reason printed. `LEARN_DOC_SHOW=1` prints every terminal's whole output, for
 * writing the page.
 */

import assert from "node:assert/strict";
import {
  couldStillMatch,
  extractSteps,
  matchesAll,
  matchPrefix,
  type Section,
  type Shown,
  type Step,
  substitutePorts,
} from "./learn_doc.ts";
import { dirname } from "node:path";
import { hasTool, ROOT, SOCKIT_PERMISSIONS, SOCKIT_RUN_FLAGS, sockitCommand } from "./helpers.ts";

const PAGE = "docs/LEARN.md";
/** Longest wait for one step: a broken page fails with what it saw instead of hanging. */
const STEP_TIMEOUT_MS = 10_000;
/** Commands the page uses that every machine has, or that the terminals are given. */
const EVERYWHERE = new Set([
  "sockit",
  "deno",
  "export",
  "printf",
  "echo",
  "cat",
  "grep",
  "head",
  "tail",
  "sort",
  "cd",
  "sh",
  "bash",
]);

/** A terminal of the walkthrough: one process, its output as lines, its keyboard. */
interface Terminal {
  name: string;
  proc: Deno.ChildProcess;
  lines: string[];
  /** How many lines earlier steps already matched. */
  seen: number;
  ended: boolean;
  keyboard: WritableStreamDefaultWriter<Uint8Array>;
  /** Resolves at the next line or the end of output. */
  changed: () => Promise<void>;
}

const encoder = new TextEncoder();

/** A directory with a `sockit` on PATH that runs this checkout the way the tests do. */
async function sockitOnPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "learn_bin_" });
  const { cmd, args } = sockitCommand([]);
  const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  await Deno.writeTextFile(`${dir}/sockit`, `#!/bin/sh\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  await Deno.chmod(dir, 0o755); // for the steps run as a normal user
  return dir;
}

/**
 * A terminal's environment: sockit and deno on PATH, Python's output unbuffered as on a
 * terminal, and `deno install --global` kept inside the test's own directory.
 */
function shellEnv(bin: string): Record<string, string> {
  const deno = dirname(Deno.execPath());
  return {
    PATH: `${bin}:${deno}:${Deno.env.get("PATH") ?? ""}`,
    DENO_INSTALL_ROOT: `${bin}/installed`,
    PYTHONUNBUFFERED: "1",
    NO_COLOR: "1",
  };
}

/** Programs the commands of `steps` start, as the first word of each pipeline part. */
function programsOf(steps: Step[]): string[] {
  const programs = new Set<string>();
  for (const step of steps) {
    if (step.kind !== "run" && step.kind !== "cmd") continue;
    // Quoted text is data (a Python program, a printf format), not commands.
    const unquoted = step.command.replace(/'[^']*'|"[^"]*"/g, "''");
    for (const line of unquoted.split("\n")) {
      for (const part of line.replace(/#.*/, "").split(/\||&&|;|\(|\)/)) {
        const word = part.trim().split(/\s+/)[0];
        if (word && !/^[A-Z_]+=/.test(word)) programs.add(word);
      }
    }
  }
  return [...programs].filter((p) => !EVERYWHERE.has(p));
}

function where(line: number): string {
  return `${PAGE}:${line}`;
}

function mismatch(what: string, shown: Shown, actual: string[]): Error {
  return new Error(
    `${where(shown.line)}: ${what} is not what the page shows\n` +
      `--- the page shows${shown.loose ? " (loose)" : ""}:\n${shown.lines.join("\n")}\n` +
      `--- the program printed:\n${actual.join("\n")}\n---`,
  );
}

function startTerminal(name: string, command: string, cwd: string, bin: string): Terminal {
  const proc = new Deno.Command("bash", {
    // exec: the terminal's process is the program itself, so Ctrl-C reaches it by PID.
    args: ["-c", `exec 2>&1\nexec ${command}`],
    cwd,
    env: shellEnv(bin),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let wake = () => {};
  let next = new Promise<void>((r) => wake = r);
  const term: Terminal = {
    name,
    proc,
    lines: [],
    seen: 0,
    ended: false,
    keyboard: proc.stdin.getWriter(),
    changed: () => next,
  };
  const notify = () => {
    const woken = wake;
    next = new Promise<void>((r) => wake = r);
    woken();
  };
  (async () => {
    let partial = "";
    for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      term.lines.push(...parts);
      if (parts.length > 0) notify();
    }
    if (partial) term.lines.push(partial);
    term.ended = true;
    notify();
  })();
  return term;
}

/** Waits until `test` is true of the terminal, or fails after the step timeout. */
async function waitFor<T>(
  term: Terminal,
  test: () => T | undefined,
  failure: () => Error,
): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const found = test();
    if (found !== undefined) return found;
    const left = deadline - Date.now();
    if (term.ended || left <= 0) throw failure();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([term.changed(), new Promise((r) => timer = setTimeout(r, left))]);
    clearTimeout(timer);
  }
}

/** The user a step marked `unprivileged` runs as when the tests run as root. */
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

/**
 * Why a step marked `unprivileged` cannot run here, or `undefined` when it can: as root
 * it needs setpriv, and a user "nobody" who can run deno and read the checkout.
 */
function whyNotUnprivileged(bin: string): string | undefined {
  if (Deno.uid() !== 0) return undefined;
  if (!hasTool("setpriv")) return "running as root and setpriv is missing";
  const { success } = new Deno.Command(NOBODY[0], {
    args: [
      ...NOBODY.slice(1),
      "sh",
      "-c",
      'test -x "$1/sockit" && test -r "$2" && test -x "$3"',
      "sh",
      bin,
      `${ROOT}main.ts`,
      Deno.execPath(),
    ],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return success ? undefined : `user "nobody" cannot run deno or read ${ROOT}main.ts`;
}

async function runCommand(
  command: string,
  cwd: string,
  bin: string,
  unprivileged = false,
): Promise<{ code: number; lines: string[] }> {
  const asNobody = unprivileged && Deno.uid() === 0;
  const shell = ["bash", "-c", `exec 2>&1\n${command}`];
  const [program, ...args] = asNobody ? [...NOBODY, ...shell] : shell;
  const proc = new Deno.Command(program, {
    args,
    cwd,
    env: shellEnv(bin),
    // A terminal's keyboard: open, never typed on (nc waits on it as it would on yours).
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  }).spawn();
  const [text, { code }] = await Promise.all([
    new Response(proc.stdout).text(),
    proc.status,
  ]);
  await proc.stdin.close().catch(() => {});
  return { code, lines: text.split("\n") };
}

/** Runs one section's steps in order; every terminal it started is ended by PID. */
async function runSection(section: Section, bin: string): Promise<void> {
  const cwd = await Deno.makeTempDir({ prefix: "learn_" });
  const terminals = new Map<string, Terminal>();
  const ports = new Map<number, number>();
  const sub = (text: string) => substitutePorts(text, ports);
  const terminal = (name: string, line: number) => {
    const term = terminals.get(name);
    if (!term) throw new Error(`${where(line)}: no terminal "${name}" is running`);
    return term;
  };
  try {
    for (const step of section.steps) {
      switch (step.kind) {
        case "run": {
          if (/[|;&<>]/.test(step.command)) {
            throw new Error(`${where(step.line)}: "run" takes one simple command`);
          }
          const shownPort = /--port (\d+)/.exec(step.command)?.[1];
          const command = shownPort && shownPort !== "0"
            ? step.command.replace(`--port ${shownPort}`, "--port 0")
            : sub(step.command);
          const term = startTerminal(step.name, command, cwd, bin);
          terminals.set(step.name, term);
          if (shownPort && shownPort !== "0") {
            const port = await waitFor(
              term,
              () => {
                for (const l of term.lines) {
                  const m = /^listening on \w+ \S+:(\d+)$/.exec(l);
                  if (m) return Number(m[1]);
                }
              },
              () => new Error(`${where(step.line)}: no "listening on" line: ${term.lines}`),
            );
            ports.set(Number(shownPort), port);
          }
          break;
        }
        case "cmd": {
          const cannot = step.unprivileged ? whyNotUnprivileged(bin) : undefined;
          if (cannot) {
            console.log(`skip: ${where(step.line)}: ${cannot}`);
            break;
          }
          const { code, lines } = await runCommand(
            sub(step.command),
            step.checkout ? ROOT : cwd,
            bin,
            step.unprivileged,
          );
          if (step.output) {
            const shown = { ...step.output, lines: step.output.lines.map(sub) };
            if (!matchesAll(shown, lines)) throw mismatch("the output", step.output, lines);
          }
          if (code !== step.exit) {
            throw new Error(
              `${where(step.line)}: exit ${code}, the page expects ${step.exit}\n${
                lines.join("\n")
              }`,
            );
          }
          break;
        }
        case "expect": {
          const term = terminal(step.name, step.line);
          const shown = { ...step.shown, lines: step.shown.lines.map(sub) };
          const count = await waitFor(
            term,
            () => {
              const lines = term.lines.slice(term.seen);
              const n = matchPrefix(shown, lines);
              if (n === undefined && !couldStillMatch(shown, lines)) {
                throw mismatch(`terminal "${step.name}"`, step.shown, lines);
              }
              return n;
            },
            () => mismatch(`terminal "${step.name}"`, step.shown, term.lines.slice(term.seen)),
          );
          term.seen += count;
          break;
        }
        case "type":
          await terminal(step.name, step.line).keyboard.write(
            encoder.encode(sub(step.text) + "\n"),
          );
          break;
        case "file":
          await Deno.writeTextFile(`${cwd}/${step.path}`, sub(step.text) + "\n");
          break;
        case "ctrl-c":
          terminal(step.name, step.line).proc.kill("SIGINT");
          break;
        case "ctrl-d":
          await terminal(step.name, step.line).keyboard.close();
          break;
        case "ended": {
          const term = terminal(step.name, step.line);
          const { code } = await waitFor(
            term,
            () => term.ended ? true : undefined,
            () => new Error(`${where(step.line)}: terminal "${step.name}" did not exit`),
          ).then(() => term.proc.status);
          if (code !== step.exit) {
            throw new Error(`${where(step.line)}: "${step.name}" exited ${code}, not ${step.exit}`);
          }
          break;
        }
      }
    }
  } finally {
    if (Deno.env.get("LEARN_DOC_SHOW")) {
      for (const term of terminals.values()) {
        console.log(`--- ${section.title}: terminal "${term.name}"\n${term.lines.join("\n")}`);
      }
    }
    for (const term of terminals.values()) {
      try {
        term.proc.kill("SIGKILL");
      } catch { /* already exited */ }
      await term.proc.status;
      await term.keyboard.close().catch(() => {});
    }
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("learn_doc: a marker names its block, an unknown one is an error", () => {
  const page = [
    "## 1. one",
    "<!-- test: run server -->",
    "```sh",
    "sockit echo --port 7007",
    "```",
    "<!-- test: cmd exit=1 -->",
    "```sh",
    "nc 127.0.0.1 7007",
    "```",
    "<!-- test: output loose -->",
    "```",
    "took 3ms",
    "```",
    "<!-- test: ctrl-c server -->",
  ].join("\n");
  const [section] = extractSteps(page);
  assert.deepEqual(section.steps.map((s) => s.kind), ["run", "cmd", "ctrl-c"]);
  const cmd = section.steps[1];
  assert.ok(cmd.kind === "cmd" && cmd.exit === 1 && cmd.output?.loose);
  assert.throws(() => extractSteps("## a\n<!-- test: dance -->"), /line 2: unknown test marker/);
});

Deno.test("learn_doc: … and loose numbers match what varies, nothing else", () => {
  const shown = (lines: string[], loose = false) => ({ line: 1, lines, loose });
  assert.ok(matchesAll(shown(["from 127.0.0.1:…", "…", "end"]), ["from 127.0.0.1:5", "end"]));
  assert.ok(matchesAll(shown(["time=0.2ms, offset +1.5"], true), ["time=13.07ms, offset -0.25"]));
  assert.ok(!matchesAll(shown(["3 sent"], false), ["2 sent"]));
  assert.ok(!matchesAll(shown(["3 sent"], true), ["3 lost"]));
  assert.ok(matchesAll(shown(["  1   200,000     0"], true), ["  1   200,000  1,234"]));
  assert.ok(!matchesAll(shown(["a"]), ["a", "b"]));
  assert.equal(matchPrefix(shown(["a", "…", "c"]), ["a", "b", "c", "d"]), 3);
  assert.equal(matchPrefix(shown(["a", "c"]), ["a", "b"]), undefined);
  assert.ok(couldStillMatch(shown(["a", "…", "c"]), ["a", "x", "y"]));
  assert.ok(!couldStillMatch(shown(["a", "c"]), ["a", "b"]));
  assert.equal(
    substitutePorts("127.0.0.1:7007 17007 7007", new Map([[7007, 4]])),
    "127.0.0.1:4 17007 4",
  );
});

Deno.test("learn_doc: a section needs the programs its commands start, not their quoted text", () => {
  const [section] = extractSteps([
    "## 4",
    "<!-- test: cmd -->",
    "```sh",
    "printf 'a | b\\n' | nc -N 127.0.0.1 7011",
    `python3 -c 'print("x; y")' && sockit --version`,
    "```",
  ].join("\n"));
  assert.deepEqual(programsOf(section.steps), ["nc", "python3"]);
});

Deno.test("docs/LEARN.md installs sockit with the release binary's permissions and run flags", async () => {
  const steps = extractSteps(await Deno.readTextFile(`${ROOT}${PAGE}`)).flatMap((s) => s.steps);
  const installs = steps.filter((s) => s.kind === "cmd" && s.command.includes("deno install"));
  assert.ok(installs.length > 0, `${PAGE} has no deno install step`);
  for (const step of installs) {
    if (step.kind !== "cmd") continue;
    const words = step.command.split(/\s+/);
    const given = words.filter((arg) => arg.startsWith("--allow-"));
    assert.deepEqual(given.sort(), [...SOCKIT_PERMISSIONS].sort(), where(step.line));
    for (const flag of SOCKIT_RUN_FLAGS) assert.ok(words.includes(flag), where(step.line));
  }
});

Deno.test("docs/LEARN.md: every marked step runs and shows what the page shows", async () => {
  const sections = extractSteps(await Deno.readTextFile(`${ROOT}${PAGE}`));
  assert.ok(sections.length >= 9, `${PAGE} has ${sections.length} runnable sections`);
  const bin = await sockitOnPath();
  try {
    const results = await Promise.all(sections.map(async (section) => {
      const absent = programsOf(section.steps).filter((p) => !hasTool(p));
      if (absent.length > 0) {
        return `skip: "${section.title}": ${absent.join(", ")} not installed (.ci/run installs it)`;
      }
      const began = performance.now();
      try {
        await runSection(section, bin);
        return `ok: "${section.title}" (${Math.round(performance.now() - began)}ms)`;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }));
    for (const r of results) if (typeof r === "string") console.log(r);
    const failed = results.filter((r) => r instanceof Error);
    if (failed.length > 0) throw new Error(failed.map((e) => e.message).join("\n\n"));
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
