/**
 * Start-up: how long `sockit --version`, `sockit echo --help` and a one-probe
 * `sockit echo --to` take from source, against `deno run` of an empty file with the same
 * run flags and permissions (the runtime's own start), and the same for the compiled binary against an
 * empty compiled program when `dist/sockit` exists (`deno task compile`). The README
 * promises "little more than the runtime's own start"; the goal is at most 1.5×. The
 * one-probe case is also shown against `deno run` of a bare probe doing the same network
 * work (connect, one round trip, close): what sockit adds to the work itself.
 *
 * The cases take turns, round after round, so load from elsewhere on the machine falls on
 * all of them alike; the figure is the median of `ROUNDS` runs.
 *
 * @module
 */

import { median, printTable, ratio, startSockitServer } from "./harness.ts";
import { ROOT, SOCKIT_PERMISSIONS, SOCKIT_RUN_FLAGS, sockitCommand } from "../tests/helpers.ts";

const ROUNDS = Number(Deno.env.get("STARTUP_ROUNDS") ?? 30);
const GOAL = 1.5;

interface Case {
  name: string;
  cmd: string;
  args: string[];
  /** The case this one is compared with. */
  baseline?: string;
  /** A bare program doing the same work, compared with too. */
  work?: string;
}

async function timeOnce(c: Case): Promise<number> {
  const began = performance.now();
  const { code } = await new Deno.Command(c.cmd, {
    args: c.args,
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).output();
  const took = performance.now() - began;
  if (code !== 0) throw new Error(`${c.name} exited with ${code}`);
  return took;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const tmp = await Deno.makeTempDir({ prefix: "sockit_startup_" });
const empty = `${tmp}/empty.ts`;
await Deno.writeTextFile(empty, "");
// The same round trip as `echo --to -c 1`, with nothing else: connect, write, read it
// back, close.
const probe = `${tmp}/probe.ts`;
await Deno.writeTextFile(
  probe,
  `const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(Deno.args[0]) });
const sent = crypto.getRandomValues(new Uint8Array(64));
await conn.write(sent);
const buf = new Uint8Array(1024);
for (let got = 0; got < sent.length;) got += (await conn.read(buf)) ?? sent.length;
conn.close();
`,
);
const server = await startSockitServer("sockit echo", ["echo", "--port", "0", "--quiet"]);
try {
  const run = (args: string[]) => sockitCommand(args);
  const source = "deno run empty.ts";
  const cases: Case[] = [
    {
      name: source,
      cmd: Deno.execPath(),
      args: ["run", "--quiet", ...SOCKIT_RUN_FLAGS, ...SOCKIT_PERMISSIONS, empty],
    },
    {
      name: "deno run probe.ts",
      cmd: Deno.execPath(),
      args: ["run", "--quiet", ...SOCKIT_RUN_FLAGS, ...SOCKIT_PERMISSIONS, probe, `${server.port}`],
      baseline: source,
    },
    { name: "sockit --version", ...run(["--version"]), baseline: source },
    { name: "sockit echo --help", ...run(["echo", "--help"]), baseline: source },
    {
      name: "sockit echo --to -c 1",
      ...run(["echo", "--to", `127.0.0.1:${server.port}`, "-c", "1"]),
      baseline: source,
      work: "deno run probe.ts",
    },
  ];
  const binary = `${ROOT}dist/sockit`;
  if (await exists(binary)) {
    const emptyBinary = `${tmp}/empty`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--quiet", "--output", emptyBinary, empty],
      stdout: "null",
      stderr: "null",
    }).output();
    const compiled = "empty compiled program";
    if (built.code === 0) cases.push({ name: compiled, cmd: emptyBinary, args: [] });
    const against = built.code === 0 ? compiled : undefined;
    cases.push(
      { name: "dist/sockit --version", cmd: binary, args: ["--version"], baseline: against },
      { name: "dist/sockit echo --help", cmd: binary, args: ["echo", "--help"], baseline: against },
      {
        name: "dist/sockit echo --to -c 1",
        cmd: binary,
        args: ["echo", "--to", `127.0.0.1:${server.port}`, "-c", "1"],
        baseline: against,
      },
    );
  } else {
    console.log("dist/sockit not built (deno task compile): measuring from source only");
  }

  for (const c of cases) await timeOnce(c); // warm the module cache
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) times.get(c.name)!.push(await timeOnce(c));
  }
  const medians = new Map([...times].map(([name, t]) => [name, median(t)]));
  const rows = cases.map((c) => {
    const ms = medians.get(c.name)!;
    const base = c.baseline ? medians.get(c.baseline) : undefined;
    const work = c.work ? medians.get(c.work) : undefined;
    // The runtime's own cases are yardsticks, not under the goal.
    const measured = base !== undefined && !c.name.startsWith("deno ");
    const verdict = !measured ? "" : ms / base <= GOAL ? "ok" : `over ${GOAL}×`;
    return [
      c.name,
      ms.toFixed(1),
      Math.min(...times.get(c.name)!).toFixed(1),
      base === undefined ? "" : ratio(ms, base),
      work === undefined ? "" : ratio(ms, work),
      verdict,
    ];
  });
  console.log(`start-up, median of ${ROUNDS} runs each, taking turns (goal: at most ${GOAL}×)`);
  printTable(["case", "median ms", "min ms", "vs runtime", "vs same work", ""], rows);
} finally {
  await server.stop();
  await Deno.remove(tmp, { recursive: true });
}
