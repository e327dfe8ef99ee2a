/**
 * `sockit chat-join [HOST:PORT]`: the chat client (README, `sockit chat-join`). Speaks
 * the framed dialect of `chat-serve`. Three ways to run:
 *
 * - **interactive** (stdin is a terminal): a line editor in raw mode; incoming
 *   messages appear above the input line, which is drawn again with what was typed.
 * - **scripted** (stdin is not a terminal): each stdin line is sent (a `say`, or a
 *   `/command`); at the end of stdin, once every message is acknowledged, it leaves.
 * - **--send TEXT** (repeatable): sends, waits for every acknowledgement, leaves.
 *
 * @module
 */

import { parseAddress } from "../../lib/address.ts";
import { defineCommand, type RunOptions } from "../../lib/command.ts";
import { ConnectError, ExitCode, InterruptedError, UsageError } from "../../lib/errors.ts";
import { type TlsClientOptions, tlsClientOptions } from "../../lib/tls_flags.ts";
import { decodeLines } from "../../lib/framing.ts";
import type { Io, StopSignal } from "../../lib/io.ts";
import { createOutput, type Paint } from "../../lib/output.ts";
import { createTracer, type Tracer } from "../../lib/trace.ts";
import {
  ChatClient,
  type ChatClientOptions,
  type Ending,
  JoinCancelled,
  type Status,
} from "./client.ts";
import {
  clean,
  CLIENT_HELP,
  formatMessage,
  jsonLine,
  messageFields,
  nameFromLogin,
} from "./join_format.ts";
import {
  CHAT_PORT,
  type ClientMessage,
  type ErrorReply as Refusal,
  nameProblem,
  parseCommandLine,
  sanitize,
  type ServerMessage,
} from "./protocol.ts";
import { readPassword } from "./password.ts";
import { chatJoinMeta } from "./join_meta.ts";
import { Terminal, terminalPlan } from "./terminal.ts";

/** The environment variable that holds the room's password when no --password-file is given. */
export const PASSWORD_VARIABLE = "SOCKIT_CHAT_PASSWORD";

/** Messages a script keeps in flight before waiting for acknowledgements. */
export const SEND_WINDOW = 256;

/** The message size assumed when the server's welcome names none. */
const DEFAULT_MAX_MESSAGE = 16 * 1024;

/** `sockit chat-join`. */
export const chatJoin = defineCommand({
  ...chatJoinMeta,
  async run(options, io) {
    const address = parseAddress(options.positionals[0] ?? `127.0.0.1:${CHAT_PORT}`, CHAT_PORT, {
      onNote: (note) => io.stderr.write(note + "\n"),
    });
    if (options.name !== undefined) {
      const problem = nameProblem(options.name);
      if (problem) throw new UsageError(`--name: ${problem}`);
    }
    if (options.send.length > 0 && options.send.some((text) => text.trim() === "")) {
      throw new UsageError("--send: a message cannot be empty");
    }
    const password = options.passwordFile === undefined
      ? io.env(PASSWORD_VARIABLE)
      : readPassword(options.passwordFile, "--password-file");
    const texts = sendLines(options.send);
    // Both ends a terminal: with stdout redirected, the input line would be drawn into
    // a file, so lines typed on the terminal are then read like a script's.
    const interactive = options.send.length === 0 && io.stdin.isTerminal &&
      io.stdin.setRaw !== undefined && io.stdout.isTerminal;
    const tls = await tlsClientOptions(options, (text) => io.stderr.write(`${text}\n`));
    const stops = watchSignals(io);
    try {
      const reach = { address, tls, password };
      if (interactive) return await runInteractive(options, io, reach, stops.signal);
      const name = options.name ?? defaultName(io);
      if (name === undefined) {
        throw new UsageError("no name to join with", {
          hint: "give --name NAME (or set $USER)",
        });
      }
      let client: ChatClient | undefined = undefined; // set once joined; read by the callbacks
      const display = createDisplay(io, options, () => client?.name ?? name);
      client = await joinOrInterrupt(stops, {
        ...clientOptions(options, io, reach, name, display),
        onMessage: (m, own) => display.message(m, own),
      });
      const joined = client;
      try {
        return options.send.length > 0
          ? await runSend(joined, texts, stops.signal)
          : await runScripted(joined, io, display, stops.signal);
      } finally {
        await joined.close(); // after a timeout or a failure; a no-op once it left
      }
    } finally {
      stops.stop();
    }
  },
});

// ---------------------------------------------------------------------------------------
// The three modes

/**
 * The messages `--send` sends: each line of each TEXT is one, as each stdin line is in
 * a script (a message is one line in every dialect: a newline inside one could only be
 * dropped, joining "line1line2"); blank lines are skipped, as a script's are.
 *
 * @example
 * ```ts
 * sendLines(["build 42\r\nis green", "done"]); // ["build 42", "is green", "done"]
 * ```
 */
export function sendLines(texts: readonly string[]): string[] {
  return texts.flatMap((text) => text.split(/\r?\n/)).filter((line) => line.trim() !== "");
}

type Flags = RunOptions<typeof chatJoinMeta.flags>;

/** What a wait ended with: the awaited value, the end of the session, or a signal. */
type Raced<T> =
  | { kind: "value"; value: T }
  | { kind: "ended"; ending: Ending }
  | { kind: "signal"; signal: StopSignal };

function race<T>(
  client: ChatClient,
  work: Promise<T>,
  signal: Promise<StopSignal>,
): Promise<Raced<T>> {
  return Promise.race([
    work.then((value) => ({ kind: "value" as const, value })),
    client.ended.then((ending) => ({ kind: "ended" as const, ending })),
    signal.then((s) => ({ kind: "signal" as const, signal: s })),
  ]);
}

/** The exit for a session that ended before the work was done. */
function unfinished(client: ChatClient, ending: Ending, what: string): never {
  if (ending.kind === "lost") throw ending.error;
  const how = ending.kind === "shutdown"
    ? `the server shut down${ending.message ? ` (${clean(ending.message)})` : ""}`
    : "the session ended";
  throw new ConnectError(`chat ${client.address}: ${how} before ${what}`);
}

/** `--send`: send each text, wait for every acknowledgement, leave. */
async function runSend(
  client: ChatClient,
  texts: string[],
  signal: Promise<StopSignal>,
): Promise<number> {
  for (const text of texts) {
    // No id: the session is over already (a bad frame right after the welcome, say);
    // the message was not sent, so this cannot end as if every one was acknowledged.
    if (client.send({ type: "say", text }) === undefined) {
      unfinished(client, await client.ended, `sending ${texts.length} messages`);
    }
  }
  const done = await race(client, client.settled(), signal);
  if (done.kind === "ended") {
    if (client.unacknowledged > 0) {
      unfinished(
        client,
        done.ending,
        `acknowledging ${client.unacknowledged} of ${texts.length} messages`,
      );
    }
  } else {
    await client.leave();
    if (done.kind === "signal") throw new InterruptedError(`interrupted by ${done.signal}`);
  }
  return client.rejections.length > 0 ? ExitCode.checkFailed : ExitCode.ok;
}

/** Stdin is not a terminal: each line is a message or a /command. */
async function runScripted(
  client: ChatClient,
  io: Io,
  display: Display,
  signal: Promise<StopSignal>,
): Promise<number> {
  const maxMessage = limitOf(client);
  const decoder = new TextDecoder();
  let refusedHere = 0; // lines refused here, never sent
  const reader = io.stdin.readable.pipeThrough(
    decodeLines({
      maxLength: maxMessage + 64, // room for "/msg NAME " before the text
      onOversize: (length) => {
        refusedHere++;
        display.refused({
          code: "too_long",
          message:
            `A stdin line of more than ${length} bytes exceeds the limit of ${maxMessage} bytes; not sent`,
        });
      },
    }),
  ).getReader();
  try {
    for (;;) {
      const next = await race(client, reader.read(), signal);
      if (next.kind === "signal") {
        await client.leave();
        throw new InterruptedError(`interrupted by ${next.signal}`);
      }
      if (next.kind === "ended") unfinished(client, next.ending, "the end of stdin");
      if (next.value.done) break;
      const outcome = handleInput(decoder.decode(next.value.value), client, display, maxMessage);
      if (outcome === "quit") break;
      if (outcome === "refused") refusedHere++;
      const room = await race(client, client.window(SEND_WINDOW), signal);
      if (room.kind === "signal") {
        await client.leave();
        throw new InterruptedError(`interrupted by ${room.signal}`);
      }
      if (room.kind === "ended") unfinished(client, room.ending, "the end of stdin");
    }
    const done = await race(client, client.settled(), signal);
    if (done.kind === "ended" && client.unacknowledged > 0) {
      unfinished(client, done.ending, `acknowledging ${client.unacknowledged} messages`);
    }
    await client.leave();
    if (done.kind === "signal") throw new InterruptedError(`interrupted by ${done.signal}`);
  } finally {
    reader.cancel().catch(() => {});
    await client.close();
  }
  return client.rejections.length + refusedHere > 0 ? ExitCode.checkFailed : ExitCode.ok;
}

/** Stdin is a terminal: the line editor, until Ctrl-C, Ctrl-D or /quit. */
async function runInteractive(
  options: Flags,
  io: Io,
  reach: Reach,
  signal: Promise<StopSignal>,
): Promise<number> {
  const { address } = reach;
  const term = new Terminal(io);
  const sink = { write: (text: string) => term.print(text), isTerminal: io.stdout.isTerminal };
  const screen: Io = { ...io, stdout: sink, stderr: sink };
  let name = options.name;
  let client: ChatClient | undefined;
  const display = createDisplay(screen, options, () => client?.name ?? name ?? "");
  const prompt = (who: string) => `${display.paint.byName(who)}> `;
  term.start();
  try {
    name ??= await askName(term, display, signal, defaultName(io));
    if (name === undefined) return ExitCode.ok;
    display.note(`joining ${address.host}:${address.port} as ${name}...`);
    try {
      client = await joinOrInterrupt({ signal }, {
        ...clientOptions(options, io, reach, name, display),
        chooseName: (_taken, error) => {
          display.message(error, true);
          return askName(term, display, signal);
        },
        onMessage: (m, own) => {
          display.message(m, own);
          if (client) term.setPrompt(prompt(client.name)); // after a rename
        },
      });
    } catch (err) {
      if (err instanceof JoinCancelled) return ExitCode.ok;
      throw err;
    }
    const joined = client;
    display.note("type a message and Enter; /help for commands; Ctrl-C or Ctrl-D leaves");
    const maxMessage = limitOf(joined);
    for (;;) {
      term.setPrompt(prompt(joined.name));
      const next = await race(joined, term.next(), signal);
      if (next.kind === "ended") {
        if (next.ending.kind === "lost") throw next.ending.error;
        return ExitCode.ok; // the server shut down and said so: shown above
      }
      if (next.kind === "signal" || next.value.type !== "submit") break; // Ctrl-C, Ctrl-D
      if (handleInput(next.value.line, joined, display, maxMessage) === "quit") break;
    }
    term.setPrompt("");
    await joined.leave();
    return ExitCode.ok;
  } finally {
    await term.stop();
    await client?.close();
  }
}

/** Asks for a name at the prompt until a valid one is given; undefined on Ctrl-C/D. */
async function askName(
  term: Terminal,
  display: Display,
  signal: Promise<StopSignal>,
  suggestion?: string,
): Promise<string | undefined> {
  const previous = term.prompt;
  term.setPrompt(suggestion ? `name [${suggestion}]: ` : "name: ");
  try {
    for (;;) {
      const next = await Promise.race([term.next(), signal.then(() => undefined)]);
      if (next?.type !== "submit") return undefined;
      const name = next.line.trim() || suggestion;
      if (name === undefined) continue;
      const problem = nameProblem(name);
      if (!problem) return name;
      display.refused({ code: "name_invalid", message: problem });
    }
  } finally {
    term.setPrompt(previous);
  }
}

/**
 * One line the user typed or a script sent: a `say`, a `/command`, or nothing for a
 * blank line. `/help` is answered here, `/quit` returned to the caller.
 */
function handleInput(
  line: string,
  client: ChatClient,
  display: Display,
  maxMessage: number,
): "quit" | "refused" | undefined {
  const text = sanitize(line);
  if (text.trim() === "") return undefined;
  const parsed = parseCommandLine(text, { maxMessage });
  if (!parsed.ok) {
    display.refused(parsed.error);
    return "refused";
  }
  const message: ClientMessage = parsed.message;
  if (message.type === "bye") return "quit";
  if (message.type === "help") {
    display.help();
    return undefined;
  }
  client.send(message);
  return undefined;
}

function limitOf(client: ChatClient): number {
  const limit = client.welcome.limits?.maxMessage;
  return typeof limit === "number" && limit > 0 ? limit : DEFAULT_MAX_MESSAGE;
}

/**
 * The name to join with when `--name` is not given and nobody can be asked: the
 * login name from the environment (the variables the OS uses), made valid.
 *
 * @example
 * ```ts
 * defaultName({ os: "windows", env: (v) => v === "USERNAME" ? "Ada Lovelace" : undefined });
 * // "Ada_Lovelace"
 * ```
 */
export function defaultName(io: Pick<Io, "env" | "os">): string | undefined {
  for (const variable of terminalPlan(io.os).userVariables) {
    const name = nameFromLogin(io.env(variable));
    if (name) return name;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// What the user sees

/** Where each kind of event goes, in human or JSON form. */
interface Display {
  paint: Paint;
  trace?: Tracer;
  message(message: ServerMessage, own: boolean): void;
  status(status: Status): void;
  /** A line the client refused to send (bad /command, too long, bad name). */
  refused(error: Refusal): void;
  help(): void;
  /** A hint for people; nothing in JSON mode. */
  note(text: string): void;
}

/** Chat content on stdout; welcome, errors and connection status on stderr (human mode). */
const TO_STDOUT = new Set(["msg", "dm", "join", "leave", "nick", "who", "help", "summary", "pong"]);

/**
 * Whether a message belongs on stdout of `--send` in human mode: only its own messages
 * as the server acknowledged them, a receipt. The room's traffic (the replayed
 * `--history`, others talking meanwhile) is a reader's business; `--json` shows it all.
 */
function isReceipt(message: ServerMessage, own: boolean): boolean {
  return own && message.type === "msg" && !message.history;
}

function createDisplay(io: Io, options: Flags, self: () => string): Display {
  const out = createOutput(io, { json: options.json, noColor: options.noColor });
  const json = options.json;
  const sending = options.send.length > 0;
  const emit = (event: string, fields: Record<string, unknown>) =>
    io.stdout.write(jsonLine(event, fields) + "\n");
  const display: Display = {
    paint: out.paint,
    trace: options.trace ? createTracer(out.note) : undefined,
    message(message, own) {
      if (json) return emit(clean(message.type), messageFields(message, own));
      const text = formatMessage(message, { paint: out.paint, self: self() });
      if (text === undefined) return;
      if (!TO_STDOUT.has(message.type)) io.stderr.write(text + "\n");
      else if (!sending || isReceipt(message, own)) io.stdout.write(text + "\n");
    },
    status(status) {
      const { kind, ...fields } = status;
      if (json) return emit(kind, fields);
      const text = status.kind === "disconnected"
        ? `!!! ${clean(status.reason)}${status.reconnect ? "; re-joining" : ""}`
        : status.kind === "reconnecting"
        ? `--- re-joining in ${(status.delayMs / 1000).toFixed(1)}s (attempt ${status.attempt})`
        : `--- re-joined as ${clean(status.name)}${
          status.resent > 0 ? `; ${status.resent} unacknowledged messages sent again` : ""
        }`;
      io.stderr.write(out.paint.yellow(text) + "\n");
    },
    refused(error) {
      if (json) return emit("error", { code: error.code, message: error.message, local: true });
      io.stderr.write(out.paint.red(`!!! ${error.message}`) + "\n");
    },
    help() {
      if (json) return emit("help", { lines: CLIENT_HELP });
      io.stdout.write(CLIENT_HELP.map((line) => `--- ${line}`).join("\n") + "\n");
    },
    note(text) {
      if (!json) io.stderr.write(out.paint.dim(text) + "\n");
    },
  };
  return display;
}

/** Where to join: the server, how (TLS or not), and the room's password if it has one. */
interface Reach {
  address: { host: string; port: number };
  tls: TlsClientOptions | undefined;
  password?: string;
}

/** What every way of joining hands the client: where, who, the flags, and the display. */
function clientOptions(
  options: Flags,
  io: Io,
  reach: Reach,
  name: string,
  display: Display,
): ChatClientOptions {
  return {
    address: reach.address,
    password: reach.password,
    name,
    io,
    timeout: options.timeout,
    keepalive: options.keepalive,
    reconnect: options.reconnect,
    tls: reach.tls,
    trace: display.trace,
    onStatus: (s) => display.status(s),
  };
}

/**
 * Joins, or gives up at a stop signal (a slow connect or welcome is not waited out).
 *
 * @throws {InterruptedError} exit 130 when a signal came first; else as
 * {@linkcode ChatClient.join}.
 */
async function joinOrInterrupt(
  stops: { signal: Promise<StopSignal> },
  options: ChatClientOptions,
): Promise<ChatClient> {
  const abort = new AbortController();
  let by: StopSignal | undefined;
  stops.signal.then((s) => {
    by = s;
    abort.abort();
  });
  try {
    return await ChatClient.join({ ...options, signal: abort.signal });
  } catch (err) {
    if (by) throw new InterruptedError(`interrupted by ${by} while joining`);
    throw err;
  }
}

/** Stop signals as a promise, and the function that stops listening. */
function watchSignals(io: Io): { signal: Promise<StopSignal>; stop: () => void } {
  let stop = () => {};
  const signal = new Promise<StopSignal>((resolve) => {
    stop = io.onSignal(resolve);
  });
  return { signal, stop };
}
