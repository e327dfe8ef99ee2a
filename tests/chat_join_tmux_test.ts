/**
 * chat-join driven in tmux like a person: a real terminal of fixed size, real keys
 * (tmux sends the escape sequences a terminal would), a message from another client
 * arriving while a line is half typed. The sent text must be exact and the screen must
 * show both lines intact, and the terminal must be usable again afterwards.
 *
 * The other client is a second `chat-join` (scripted, `--json`), so both ends are the
 * real CLI against the real `chat-serve`.
 */

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { ChatClient } from "./chat_serve_clients.ts";
import { LineReader, missing, runTool, sockitCommand, startSockit } from "./helpers.ts";

const enc = new TextEncoder();

/** Quotes `arg` for sh. */
function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A tmux server of its own (its own socket), so nothing else's sessions are touched. */
class Tmux {
  readonly socket = `sockit-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;

  async run(...args: string[]): Promise<string> {
    const r = await runTool("tmux", ["-L", this.socket, "-f", "/dev/null", ...args]);
    if (r.code !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
    return new TextDecoder().decode(r.stdout);
  }

  /** Runs `script` in a 100x30 pane that stays after it exits; returns the pane's pid. */
  async start(script: string): Promise<number> {
    await this.run(
      "new-session",
      "-d",
      "-x",
      "100",
      "-y",
      "30",
      "-s",
      "chat",
      `sh -c ${shellQuote(script)}`,
      ";",
      "set-option",
      "-t",
      "chat",
      "remain-on-exit",
      "on",
    );
    return Number((await this.run("display-message", "-p", "-t", "chat", "#{pane_pid}")).trim());
  }

  pane(): Promise<string> {
    return this.run("capture-pane", "-p", "-t", "chat");
  }

  /** Polls the screen (bounded) until `check` holds: waiting for an event, not sleeping. */
  async waitFor(
    check: (screen: string) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.pane();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`no ${what} on the screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  keys(...keys: string[]): Promise<string> {
    return this.run("send-keys", "-t", "chat", ...keys);
  }

  /** Types `text` literally (no key-name lookup). */
  type(text: string): Promise<string> {
    return this.run("send-keys", "-t", "chat", "-l", text);
  }

  async kill(): Promise<void> {
    await runTool("tmux", ["-L", this.socket, "kill-server"]).catch(() => {});
  }
}

/** Lines of the screen without trailing blanks. */
function screenLines(screen: string): string[] {
  return screen.split("\n").map((l) => l.trimEnd());
}

Deno.test({
  name: "chat-join in tmux: a message arriving mid-line never garbles it; the text sent is exact",
  ignore: missing("tmux"),
  async fn() {
    await using server = await startSockit(["chat-serve", "--port", "0"]);
    const address = `127.0.0.1:${server.port}`;

    // bob: a second client, scripted, reporting every event as JSON.
    const bobCommand = sockitCommand(["chat-join", address, "--name", "bob", "--json"]);
    const bob = new Deno.Command(bobCommand.cmd, {
      args: bobCommand.args,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const bobIn = bob.stdin.getWriter();
    const bobOut = new LineReader(bob.stdout);
    const bobEvents = async (match: (e: Record<string, unknown>) => boolean) =>
      JSON.parse(await bobOut.until((line) => match(JSON.parse(line)), 15_000));

    // alice: chat-join on a 100x30 terminal; after it exits, the shell reports its exit
    // code and whether the terminal is back in canonical mode with echo.
    const tmux = new Tmux();
    const alice = sockitCommand(["chat-join", address, "--name", "alice"]);
    const script = [alice.cmd, ...alice.args].map(shellQuote).join(" ") +
      `; echo "EXIT=$?"; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo DONE`;
    let alicePid: number | undefined;
    try {
      await bobEvents((e) => e.event === "welcome");
      alicePid = await tmux.start(script);
      await tmux.waitFor((s) => screenLines(s).includes("alice>"), "prompt");
      await bobEvents((e) => e.event === "join" && e.name === "alice");

      // Half a line, with a correction through real arrow keys and Backspace.
      await tmux.type("half a lX");
      await tmux.keys("Left", "Right", "BSpace");
      await tmux.type("i");
      await tmux.waitFor((s) => s.includes("alice> half a li"), "the half-typed line");

      // bob speaks while alice is mid-line.
      await bobIn.write(enc.encode("incoming while typing\n"));
      // Waited for until something is drawn below bob's line: a capture can fall between
      // the message and the redraw of the input line.
      const screenMid = await tmux.waitFor((s) => {
        const lines = screenLines(s);
        const at = lines.findIndex((l) => l.endsWith("<bob> incoming while typing"));
        return at >= 0 && (lines[at + 1] ?? "") !== "";
      }, "bob's message and the line drawn below it");
      const mid = screenLines(screenMid);
      const bobLine = mid.findIndex((l) => l.endsWith("<bob> incoming while typing"));
      match(mid[bobLine], /^\d\d:\d\d <bob> incoming while typing$/);
      // The input line is redrawn right below it, with what was typed so far.
      assertEquals(mid[bobLine + 1], "alice> half a li");

      // Finish the line (multi-byte UTF-8 included) and send it.
      await tmux.type("ne ✓ done");
      await tmux.keys("Enter");
      const got = await bobEvents((e) => e.event === "msg" && e.from === "alice");
      assertEquals(got.text, "half a line ✓ done");

      const screenAfter = await tmux.waitFor(
        (s) => s.includes("<alice> half a line ✓ done"),
        "alice's own message",
      );
      const after = screenLines(screenAfter);
      const own = after.findIndex((l) => l.endsWith("<alice> half a line ✓ done"));
      match(after[own], /^\d\d:\d\d <alice> half a line ✓ done$/);
      ok(after.indexOf(mid[bobLine]) < own, screenAfter); // bob's line intact, above
      assertEquals(after[own + 1], "alice>"); // an empty input line below
      assertEquals(after.filter((l) => l.includes("incoming while typing")).length, 1);

      // History: Up recalls the line; Home, Right, Backspace, End, Ctrl-W edit it; Enter sends the edit.
      await tmux.keys("Up");
      await tmux.waitFor(
        (s) => screenLines(s).includes("alice> half a line ✓ done"),
        "recalled line",
      );
      await tmux.keys(
        "Home",
        "Right",
        "Right",
        "Right",
        "Right",
        "BSpace",
        "BSpace",
        "BSpace",
        "BSpace",
      );
      await tmux.type("whole");
      await tmux.keys("End", "C-w");
      await tmux.type("again");
      await tmux.keys("Enter");
      const again = await bobEvents((e) => e.event === "msg" && e.from === "alice");
      assertEquals(again.text, "whole a line ✓ again");

      // Ctrl-C leaves cleanly: bob sees a quit, the exit code is 0, the terminal is
      // back in canonical mode with echo.
      await tmux.keys("C-c");
      const left = await bobEvents((e) => e.event === "leave" && e.name === "alice");
      assertEquals(left.reason, "quit");
      const end = await tmux.waitFor((s) => s.includes("DONE"), "the exit code and tty mode");
      match(end, /EXIT=0\n/);
      match(end, /^icanon echo DONE$/m);
    } finally {
      await tmux.kill();
      if (alicePid) {
        try {
          Deno.kill(alicePid, "SIGKILL"); // only if tmux did not take it down
        } catch { /* already gone */ }
      }
      await bobIn.close().catch(() => {});
      const status = await bob.status;
      await bobOut.cancel();
      assertEquals(status.code, 0);
    }
  },
});

Deno.test({
  name: "chat-join in tmux with --keepalive: outlives the server's --idle-timeout, screen clean",
  ignore: missing("tmux"),
  async fn() {
    await using server = await startSockit(["chat-serve", "--port", "0", "--idle-timeout", "1s"]);
    const tmux = new Tmux();
    const alice = sockitCommand([
      "chat-join",
      `127.0.0.1:${server.port}`,
      "--name",
      "alice",
      "--keepalive",
      "200ms",
    ]);
    const script = [alice.cmd, ...alice.args].map(shellQuote).join(" ") + `; echo "EXIT=$?"`;
    let alicePid: number | undefined;
    try {
      alicePid = await tmux.start(script);
      await tmux.waitFor((s) => screenLines(s).includes("alice>"), "prompt");

      // An idle client that joined after alice is dropped for idling; alice, pinging, is
      // not, and the pongs leave no trace on her screen.
      await using idler = await ChatClient.join(server.port, "line", "idler");
      await idler.until((t) => t === "*** idler left (timeout)", 15_000);
      const screen = await tmux.waitFor((s) => s.includes("idler timed out"), "the idler's leave");
      ok(!/pong|!!!|disconnected/.test(screen), screen);

      await tmux.type("after the idle timeout");
      await tmux.keys("Enter");
      const after = await tmux.waitFor(
        (s) => s.includes("<alice> after the idle timeout"),
        "alice's message, acknowledged",
      );
      assertEquals(screenLines(after).filter((l) => l.includes("pong")), []);
      await tmux.keys("C-c");
      match(await tmux.waitFor((s) => s.includes("EXIT="), "the exit"), /EXIT=0\n/);
    } finally {
      await tmux.kill();
      if (alicePid) {
        try {
          Deno.kill(alicePid, "SIGKILL");
        } catch { /* already gone */ }
      }
    }
  },
});

Deno.test({
  name: "chat-join in tmux: narrowing the window leaves no stale copy of the input line",
  ignore: missing("tmux"),
  async fn() {
    await using server = await startSockit(["chat-serve", "--port", "0"]);
    const tmux = new Tmux();
    const alice = sockitCommand(["chat-join", `127.0.0.1:${server.port}`, "--name", "alice"]);
    const script = [alice.cmd, ...alice.args].map(shellQuote).join(" ") + "; echo DONE";
    let alicePid: number | undefined;
    try {
      alicePid = await tmux.start(script); // 100 columns
      await tmux.waitFor((s) => screenLines(s).includes("alice>"), "prompt");
      const text = "the quick brown fox jumps over the lazy dog and runs far far away";
      await tmux.type(text);
      await tmux.waitFor((s) => s.includes(`alice> ${text}`), "the typed line");
      // 72 columns drawn; at 40 tmux reflows them into two rows.
      await tmux.run("resize-window", "-t", "chat", "-x", "40");
      const narrowed = await tmux.waitFor(
        (s) => screenLines(s).some((l) => l.startsWith("alice> ") && l.endsWith(" far far away")),
        "the line redrawn for 40 columns",
      );
      const prompts = screenLines(narrowed).filter((l) => l.startsWith("alice>"));
      assertEquals(prompts.length, 1, narrowed);
      ok(!screenLines(narrowed).some((l) => l.startsWith("alice> the quick")), narrowed);
      await tmux.keys("C-c");
      await tmux.waitFor((s) => s.includes("DONE"), "chat-join's exit");
    } finally {
      await tmux.kill();
      if (alicePid) {
        try {
          Deno.kill(alicePid, "SIGKILL");
        } catch { /* already gone */ }
      }
    }
  },
});
