/** Unit tests of output: human vs --json NDJSON, stdout vs stderr, colors. */

import assert from "node:assert/strict";
import { createOutput, makePaint, useColor } from "../lib/output.ts";
import { fakeIo } from "./helpers.ts";

const ESC = "\x1b[";

/** A fake world whose stdout is (or is not) a terminal, with `NO_COLOR` maybe set. */
function world(options: { terminal?: boolean; noColorEnv?: string } = {}) {
  const io = fakeIo({ env: (name) => (name === "NO_COLOR" ? options.noColorEnv : undefined) });
  io.stdout = { write: io.stdout.write, isTerminal: options.terminal ?? false };
  return io;
}

Deno.test("useColor: only on a terminal, never with NO_COLOR or --no-color", () => {
  assert.equal(useColor({ isTerminal: true, noColor: false }), true);
  assert.equal(useColor({ isTerminal: true, noColor: false, noColorEnv: "" }), true);
  assert.equal(useColor({ isTerminal: false, noColor: false }), false);
  assert.equal(useColor({ isTerminal: true, noColor: true }), false);
  assert.equal(useColor({ isTerminal: true, noColor: false, noColorEnv: "1" }), false);
  assert.equal(useColor({ isTerminal: true, noColor: false, noColorEnv: "0" }), false);
});

Deno.test("createOutput: colors follow the terminal, NO_COLOR and --no-color", () => {
  assert.equal(createOutput(world({ terminal: true })).paint.enabled, true);
  assert.equal(createOutput(world({ terminal: false })).paint.enabled, false);
  assert.equal(createOutput(world({ terminal: true, noColorEnv: "1" })).paint.enabled, false);
  assert.equal(createOutput(world({ terminal: true }), { noColor: true }).paint.enabled, false);
  // JSON is for programs: never colored, even on a terminal.
  assert.equal(createOutput(world({ terminal: true }), { json: true }).paint.enabled, false);
});

Deno.test("createOutput: human mode prints results on stdout and logs and notes on stderr", () => {
  const io = world();
  const out = createOutput(io);
  assert.equal(out.json, false);
  out.result("listening", { transport: "tcp", port: 7 }, "listening on tcp 127.0.0.1:7");
  out.log("connect", { peer: "127.0.0.1:5" }, "connect #1 from 127.0.0.1:5");
  out.result("quiet", { n: 1 }); // no human text: nothing in human mode
  out.log("quiet", { n: 1 });
  out.note("sockit: a warning");
  out.note("already ends\n");
  assert.equal(io.stdoutText(), "listening on tcp 127.0.0.1:7\n");
  assert.equal(
    io.stderrText(),
    "connect #1 from 127.0.0.1:5\nsockit: a warning\nalready ends\n",
  );
});

Deno.test("createOutput: JSON mode writes one JSON object per line on stdout", () => {
  const io = world({ terminal: true });
  const out = createOutput(io, { json: true });
  out.result("listening", { transport: "tcp", host: "127.0.0.1", port: 40123 }, "human text");
  out.log("connect", { peer: "[::1]:5", text: "line\nbreak" }, "connect text");
  out.result("quiet", { n: 1 });
  out.note("trace dump on stderr");
  const lines = io.stdoutText().split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 3);
  const events = lines.map((l) => JSON.parse(l));
  assert.deepStrictEqual(events, [
    { event: "listening", transport: "tcp", host: "127.0.0.1", port: 40123 },
    { event: "connect", peer: "[::1]:5", text: "line\nbreak" },
    { event: "quiet", n: 1 },
  ]);
  assert(!io.stdoutText().includes(ESC));
  assert.equal(io.stderrText(), "trace dump on stderr\n");
});

Deno.test("makePaint: styles when enabled, plain text when not", () => {
  const on = makePaint(true);
  const off = makePaint(false);
  assert.equal(on.red("x"), "\x1b[31mx\x1b[0m");
  assert.equal(on.bold("x"), "\x1b[1mx\x1b[0m");
  for (const f of ["bold", "dim", "red", "green", "yellow", "cyan"] as const) {
    assert.equal(off[f]("text"), "text");
    assert(on[f]("text").startsWith(ESC) && on[f]("text").includes("text"));
  }
  assert.equal(off.byName("ada"), "ada");
  assert.equal(off.byName("ada", "<ada>"), "<ada>");
});

Deno.test("makePaint: byName is stable across calls and paints, and ignores case", () => {
  const a = makePaint(true);
  const b = makePaint(true);
  const names = ["ada", "grace", "linus", "ken", "dennis", "barbara", "margaret", "édith", "🙂"];
  for (const name of names) {
    assert.equal(a.byName(name), b.byName(name));
    assert.equal(a.byName(name), a.byName(name));
    assert.equal(a.byName(name.toUpperCase(), name), a.byName(name));
    assert(PALETTE.includes(sgrCode(a.byName(name))), a.byName(name));
  }
  // Names are spread over several colors, not all painted alike.
  const colors = new Set(names.map((n) => sgrCode(a.byName(n))));
  assert(colors.size >= 3, `only ${colors.size} colors`);
  // Pinned: a name keeps its color from one version to the next.
  assert.deepStrictEqual(["ada", "grace", "linus"].map((n) => sgrCode(a.byName(n))), PINNED);
});

const PALETTE = ["31", "32", "33", "34", "35", "36", "91", "92", "93", "94", "95", "96"];
const PINNED = ["92", "92", "31"];

/** The SGR parameter a painted text starts with: "31" for "\x1b[31m...". */
function sgrCode(painted: string): string {
  assert(painted.startsWith(ESC), JSON.stringify(painted));
  return painted.slice(ESC.length, painted.indexOf("m"));
}
