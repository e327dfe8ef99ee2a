/**
 * Start-up stays light (issue 10): what `sockit --version` and `sockit CMD --help` load
 * is main.ts's static import graph — the CLI, the flag machinery and each command's meta
 * module. A static import of a command's code, the server runtime, the client side or a
 * `node:` module (node:dns, node:tls: each brings part of the Node layer, milliseconds
 * at every start) would undo that; this test names the import chain that does. That is
 * what runs; what `deno run` reads is all of main.ts's graph, dynamic imports included,
 * unless sockit's run flag `--unstable-lazy-dynamic-imports` is given (the last test).
 * Measure the effect with `deno task bench startup`.
 */

import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { loadMeta } from "../lib/command.ts";
import { commands } from "../main.ts";
import { ROOT, SOCKIT_RUN_FLAGS } from "./helpers.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier: string }; isDynamic?: boolean }[];
}

/** Every module `entry` imports statically, with the chain that reaches it. */
async function staticGraph(entry = "main.ts"): Promise<
  { reached: Map<string, string[]>; modules: Map<string, InfoModule> }
> {
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  const info = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map<string, InfoModule>(
    (info.modules as InfoModule[]).map((m) => [m.specifier, m]),
  );
  const root = info.roots[0] as string;
  const reached = new Map<string, string[]>([[root, [root]]]);
  const queue = [root];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const dep of modules.get(at)?.dependencies ?? []) {
      const to = dep.code?.specifier;
      if (!to || dep.isDynamic || reached.has(to)) continue;
      reached.set(to, [...reached.get(at)!, to]);
      queue.push(to);
    }
  }
  return { reached, modules };
}

const short = (chain: string[]) => chain.map((s) => s.replace(`file://${ROOT}`, "")).join(" -> ");

Deno.test("start-up: main.ts imports no command code, runtime or node: module statically", async () => {
  const { reached, modules } = await staticGraph();
  const heavy = [...reached.entries()].filter(([specifier]) => {
    const path = specifier.replace(`file://${ROOT}`, "");
    if (specifier.startsWith("node:")) return true;
    // A command's meta module, or a leaf it takes constants from (race-demo's MODES).
    const leaf = (modules.get(specifier)?.dependencies ?? []).length === 0;
    if (path.startsWith("commands/")) return !/(^|\/|_)meta\.ts$/.test(path) && !leaf;
    // The address parsers too: only a command that dials or listens needs them.
    return /^lib\/(server\/(?!flags\.ts)|net\.ts|tls\.ts|tls_insecure\.ts|output\.ts|daytime_format\.ts|time\.ts|address\.ts|cidr\.ts)/
      .test(path);
  });
  assert.deepEqual(heavy.map(([, chain]) => short(chain)), []);
});

Deno.test("start-up: main.ts imports no command's module, meta included", async () => {
  const { reached } = await staticGraph();
  const command = [...reached.entries()].filter(([specifier]) =>
    specifier.startsWith(`file://${ROOT}commands/`)
  );
  assert.deepEqual(command.map(([, chain]) => short(chain)), []);
});

Deno.test("start-up: main.ts's table names and sums up each command as its meta does", async () => {
  for (const entry of commands) {
    const meta = await loadMeta(entry);
    assert.deepEqual([entry.name, entry.summary], [meta.name, meta.summary]);
  }
});

Deno.test("start-up: a one-probe echo --to loads no node: module (node:tls only for --insecure)", async () => {
  const { reached } = await staticGraph("commands/echo/mod.ts");
  const node = [...reached.entries()].filter(([specifier]) => specifier.startsWith("node:"));
  assert.deepEqual(node.map(([, chain]) => short(chain)), []);
});

Deno.test("start-up: every command's code is still in the graph, imported when it runs", async () => {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const all = (JSON.parse(new TextDecoder().decode(stdout)).modules as InfoModule[])
    .map((m) => m.specifier.replace(`file://${ROOT}`, ""));
  // What deno compile embeds is this graph, dynamic imports included.
  for (
    const code of [
      "commands/daytime.ts",
      "commands/time_fetch/mod.ts",
      "commands/echo/mod.ts",
      "commands/echo/serve.ts",
      "commands/chat/serve.ts",
      "commands/chat/join.ts",
      "commands/race_demo/mod.ts",
      "lib/completions.ts",
      "lib/man_page.ts",
    ]
  ) {
    assert.ok(all.includes(code), code);
  }
});

Deno.test("start-up: echo --to loads no server runtime (commands/echo/serve.ts is lazy)", async () => {
  const { reached } = await staticGraph("commands/echo/mod.ts");
  const server = [...reached.entries()].filter(([specifier]) => {
    const path = specifier.replace(`file://${ROOT}`, "");
    return /^(lib\/server\/(?!flags\.ts)|commands\/echo\/(server|serve|worker)\.ts)/.test(path);
  });
  assert.deepEqual(server.map(([, chain]) => short(chain)), []);
});

Deno.test("start-up: a one-probe echo --to loads no TLS, trace or pause code (--tls, --trace, -c N)", async () => {
  const { reached } = await staticGraph("commands/echo/mod.ts");
  const optional = [...reached.entries()].filter(([specifier]) =>
    /^lib\/(tls|tls_insecure|trace|pause)\.ts$/.test(specifier.replace(`file://${ROOT}`, ""))
  );
  assert.deepEqual(optional.map(([, chain]) => short(chain)), []);
});

Deno.test("start-up: a one-probe echo --to sets no Node timer (lib/timer.ts instead)", async () => {
  // Deno 2.9's global setTimeout is Node's: its first call loads part of the Node layer.
  for (const path of ["lib/net.ts", "commands/echo/client.ts"]) {
    const code = await Deno.readTextFile(`${ROOT}${path}`);
    assert.doesNotMatch(code, /\bsetTimeout\(/, path);
  }
  // Nor through lib/pause.ts, which still does: the client side waits on lib/timer.ts
  // (a UDP probe's first round trip measured the Node layer's loading, ~10 ms).
  const net = await Deno.readTextFile(`${ROOT}lib/net.ts`);
  assert.doesNotMatch(net, /["']\.\/pause\.ts["']/);
});

Deno.test("start-up: deno run reads a command's modules when it runs, deno compile embeds all", () => {
  // Deno reads and analyses every module a literal import() names before main.ts runs,
  // unless --unstable-lazy-dynamic-imports (measured: about 5 ms of every start). deno
  // compile builds its graph the same way: with the flag on its command line or in
  // deno.json's unstable list, the binary holds no command's code.
  assert.ok(SOCKIT_RUN_FLAGS.includes("--unstable-lazy-dynamic-imports"));
  assert.ok(!config.unstable.includes("lazy-dynamic-imports"));
  assert.doesNotMatch(config.tasks.compile, /lazy-dynamic-imports/);
});

Deno.test("start-up: sockit runs, compiled or not, with V8 compiling every function eagerly", () => {
  // V8 compiles a function when it is first called, and Deno stores a module's code
  // cache when the module is compiled: so without --no-lazy every start compiles again
  // each function it calls (echo --to: the flag parser, the dialer, the output), and
  // with it they all come from the cache. Measured on `echo --to -c 1` (medians of 25):
  // 14.5 -> 11.7 ms from the start of JavaScript to exit. The Node layer's own modules
  // (node:dns, node:tls), which have no code cache, compile 2-3 ms slower with it.
  // V8 rejects a code cache made under other flags, so everything that shares the
  // cache takes the same flag: the tests too, or every test process would thrash it.
  const flag = "--v8-flags=--no-lazy";
  assert.ok(SOCKIT_RUN_FLAGS.includes(flag));
  assert.ok(config.tasks.compile.split(/\s+/).includes(flag));
  assert.ok(config.tasks.test.split(/\s+/).includes(flag));
});
