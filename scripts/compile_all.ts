/**
 * `deno task compile:all [TARGET ...]`: builds the sockit binary for every platform Deno
 * can compile for, into `dist/sockit-<target>[.exe]`, plus `dist/SHA256SUMS`.
 *
 * The flags come from deno.json's `compile` task, so they live in one place: this script
 * only swaps the output path and adds `--target`. What the flags are for:
 *
 * - `--unstable-net`: UDP (`Deno.listenDatagram`) is still behind the `net` flag; without
 *   it the binary's echo, daytime and time-fetch UDP modes fail at run time.
 * - `--allow-net`: every command listens or connects, to hosts and ports the user names,
 *   and resolves names (node:dns needs net, nothing more).
 * - `--allow-read`: the Web Workers of `echo --workers` and `race-demo` load their module
 *   through the module loader, which checks read permission (without it `deno run` fails:
 *   "Requires read access to .../commands/echo/worker.ts"; the binary's embedded files
 *   live at a path only known at run time, so it cannot be narrowed). The only files of
 *   the user's that are read are the ones named by `--password-file`.
 * - `--allow-write`: `chat-serve --log FILE` appends its transcript to a file the user
 *   names, so it cannot be narrowed to a path.
 * - `--allow-env=NO_COLOR,USER,LOGNAME,USERNAME,SOCKIT_CHAT_PASSWORD`: the only variables
 *   sockit reads (`NO_COLOR`; the login name chat-join defaults to; the chat room's
 *   password). A command that reads another one
 *   sees it unset (lib/io.ts) until it is added here.
 * - no `--allow-sys`: nothing needs it (the core count comes from
 *   `navigator.hardwareConcurrency`, which is free); the whole test suite passes with the
 *   CLI run without it.
 * - no `--allow-run`, `--allow-ffi`, `--allow-import`: never needed.
 * - `--include` for each Web Worker module: `new Worker(new URL(...))` is not a static
 *   import, so `deno compile` would leave the worker out of the binary.
 *
 * `deno compile` downloads a small runtime (denort) per target the first time; where that
 * download is unreachable each target fails, and this script says which and why.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import config from "../deno.json" with { type: "json" };

/** Every `--target` `deno compile` accepts (Deno 2.9: `deno compile --target bogus`). */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}. */
export type Target = typeof TARGETS[number];

/** The repository root, where the task's relative paths (workers, main.ts) start. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/**
 * The arguments of `deno compile` from deno.json's `compile` task, with the output set to
 * `output` and, when given, a `--target`. The task must read `deno compile ... --output
 * PATH ENTRY` (plain words, no quoting), which this checks.
 *
 * @throws {Error} when the task does not have that shape.
 *
 * @example
 * ```ts
 * compileArgs(config.tasks.compile, "dist/sockit-aarch64-apple-darwin", "aarch64-apple-darwin");
 * // ["compile", "--unstable-net", ..., "--target", "aarch64-apple-darwin",
 * //  "--output", "dist/sockit-aarch64-apple-darwin", "main.ts"]
 * ```
 */
export function compileArgs(task: string, output: string, target?: Target): string[] {
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile") {
    throw new Error(`deno.json's compile task must start with "deno compile": ${task}`);
  }
  if (/["'\\$]/.test(task)) throw new Error(`deno.json's compile task must not quote: ${task}`);
  const flags = words.slice(2, -1);
  const entry = words.at(-1)!;
  const at = flags.indexOf("--output");
  if (at < 0 || at + 1 >= flags.length) {
    throw new Error(`deno.json's compile task needs --output PATH: ${task}`);
  }
  flags.splice(at, 2);
  if (flags.some((f) => f === "--target" || f.startsWith("--target="))) {
    throw new Error(`deno.json's compile task must not fix a --target: ${task}`);
  }
  return [
    "compile",
    ...flags,
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    entry,
  ];
}

/**
 * Why a `deno compile` failed, when the reason is that the runtime it builds on could
 * not be downloaded (no internet, a proxy, DNS); undefined for any other failure.
 *
 * @example
 * ```ts
 * runtimeDownloadFailure("error: ...\n    0: Setting up base binary.\n    1: error sending request for url (https://dl.deno.land/...): dns error");
 * // "error sending request for url (https://dl.deno.land/...): dns error"
 * ```
 */
export function runtimeDownloadFailure(stderr: string): string | undefined {
  // deno's own text: "Setting up base binary." then the request error.
  const text = stripColors(stderr);
  if (!/Setting up base binary|denort/.test(text)) return undefined;
  const network =
    /error sending request|dns error|failed to lookup address|Connect|timed out|Network is unreachable|Connection refused|certificate/i;
  if (!network.test(text)) return undefined;
  const line =
    text.split("\n").map((l) => l.trim().replace(/^\d+: /, "")).find((l) =>
      /error sending request/.test(l)
    ) ?? text.split("\n").find((l) => network.test(l))!.trim();
  return line;
}

/** The result of building one target. */
export interface Built {
  target: Target;
  output: string;
  ok: boolean;
  /** For a failure: the one line that says why. */
  why?: string;
}

/** Builds one target with `deno compile` and the task's flags. */
export async function compileTarget(target: Target, outDir: string): Promise<Built> {
  const output = `${outDir}/sockit-${target}${target.includes("windows") ? ".exe" : ""}`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(config.tasks.compile, output, target),
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code === 0) return { target, output, ok: true };
  const text = new TextDecoder().decode(stderr);
  const download = runtimeDownloadFailure(text);
  const why = download
    ? `cannot download the Deno runtime for this target: ${download}`
    : stripColors(text).split("\n").find((l) => l.includes("error")) ??
      `deno compile exited with ${code}`;
  return { target, output, ok: false, why: why.trim() };
}

function stripColors(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !(TARGETS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`compile:all: unknown target ${unknown.join(", ")}; targets: ${TARGETS}`);
    return 2;
  }
  const targets = (args.length > 0 ? args : TARGETS) as Target[];
  const outDir = `${ROOT}dist`;
  await Deno.mkdir(outDir, { recursive: true });
  const results: Built[] = [];
  for (const target of targets) {
    const result = await compileTarget(target, outDir);
    console.log(
      `${result.ok ? "built " : "FAILED"}  ${target}${result.ok ? "" : `: ${result.why}`}`,
    );
    results.push(result);
  }
  const built = results.filter((r) => r.ok);
  if (built.length > 0) {
    const sums = await Promise.all(
      built.map(async (r) => `${await sha256(r.output)}  ${r.output.split("/").at(-1)}`),
    );
    await Deno.writeTextFile(`${outDir}/SHA256SUMS`, sums.join("\n") + "\n");
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) {
    console.log(`compile:all: ${built.length} binaries and SHA256SUMS in dist/`);
    return 0;
  }
  console.error(
    `compile:all: ${failed.length} of ${results.length} targets failed: ${
      failed.map((r) => r.target).join(", ")
    }`,
  );
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
