/**
 * The chat protocol shared by `chat-serve` and `chat-join` (documented byte for byte
 * in `docs/PROTOCOL.md`): the JSON message types of the framed dialect in both
 * directions, name rules, the text sanitizer, parsing and checking of client messages,
 * the frame encoders, and the plain-text rendering that line and ascii8 clients get.
 *
 * Framed dialect: each frame is a u32 big-endian payload length, then one UTF-8 JSON
 * object (`lib/framing.ts` `lengthPrefixFrame` / `lengthPrefixDecoder`).
 *
 * @module
 */

import {
  ascii8Frame,
  ascii8Header,
  lengthPrefixFrame,
  lengthPrefixHeader,
  lineFrame,
} from "../../lib/framing.ts";
import { counted } from "../../lib/numbers.ts";
import { concat } from "./outbox.ts";
import { skeleton } from "./confusables.ts";

/** The default chat port, of `chat-serve` and `chat-join`. */
export { CHAT_PORT } from "./serve_meta.ts";

// ---------------------------------------------------------------------------------------
// Message types

/** Why someone left. `error`: the server closed the connection over a protocol error. */
export type LeaveReason =
  | "quit"
  | "disconnect"
  | "timeout"
  | "too_slow"
  | "shutdown"
  | "error"
  | "node_lost";

/** Every `code` an `error` message can carry. */
export const ERROR_CODES = [
  "bad_json",
  "bad_request",
  "unknown_type",
  "not_joined",
  "name_invalid",
  "name_taken",
  "too_long",
  "no_such_user",
  "server_full",
  "bad_frame",
  "rate_limited",
  "bad_password",
  "cluster_unavailable",
] as const;

/** An `error` message's `code`. */
export type ErrorCode = typeof ERROR_CODES[number];

/** Client → server messages (framed dialect). */
export type ClientMessage =
  /** `password`: the room's, when the server has `--password-file`. */
  | { type: "hello"; name: string; password?: string }
  | { type: "say"; text: string; id?: string }
  | { type: "me"; text: string; id?: string }
  | { type: "dm"; to: string; text: string; id?: string }
  | { type: "nick"; name: string }
  | { type: "who" }
  | { type: "help" }
  /** Keepalive: answered with `pong` and the same `id`. */
  | { type: "ping"; id?: string }
  | { type: "bye" };

/** The server's limits, as told to a framed client in `welcome`. */
export interface Limits {
  /** Most UTF-8 bytes of `text` in one message (`--max-message`). */
  maxMessage: number;
  /** Largest frame payload the server reads (JSON overhead included). */
  maxFrame: number;
  /** Most clients at once (`--max-clients`). */
  maxClients: number;
  /** Bytes queued for one client past which its senders are not read (`--max-queue`). */
  maxQueue: number;
  /** Milliseconds of silence before a client is dropped (`--idle-timeout`); 0: never. */
  idleTimeout: number;
  /** How many past messages a newcomer gets (`--history`). */
  history: number;
}

/** Server → client messages (framed dialect). `ts` is epoch milliseconds. */
export type ServerMessage =
  | { type: "welcome"; name: string; users: string[]; limits: Limits; ts: number }
  | {
    type: "msg";
    from: string;
    text: string;
    ts: number;
    /** Only in the sender's own copy: the acknowledgement of its `say`/`me`. */
    id?: string;
    /** A `/me` action. */
    action?: true;
    /** Replayed from `--history` to a newcomer. */
    history?: true;
  }
  | { type: "join"; name: string; ts: number }
  | { type: "leave"; name: string; reason: LeaveReason; ts: number }
  | { type: "nick"; from: string; to: string; ts: number }
  | {
    type: "dm";
    from: string;
    to: string;
    text: string;
    ts: number;
    /** Only in the sender's copy (the acknowledgement). */
    id?: string;
  }
  | { type: "who"; users: string[] }
  | { type: "help"; lines: string[] }
  | { type: "error"; code: ErrorCode; message: string; id?: string }
  | { type: "shutdown"; message: string; ts: number }
  /** The answer to `ping`, with its `id`. */
  | { type: "pong"; id?: string }
  /** A line client's prompt for the room's password (`--password-file`); never framed. */
  | { type: "password" }
  /**
   * Joins and leaves since the last summary, in a room of more than `--announce-limit`
   * people (who are then not announced one by one); `here`: the room's size now.
   */
  | { type: "summary"; joined: number; left: number; here: number; ts: number }
  /**
   * `chat-serve --cluster`: the room is whole again after the node's Redis link was
   * lost (`cluster_restored`), or entries it had not read were trimmed (`cluster_gap`).
   */
  | { type: "notice"; code: "cluster_restored" | "cluster_gap"; message: string };

/** A server message of one `type`. */
export type ServerMessageOf<T extends ServerMessage["type"]> = Extract<ServerMessage, { type: T }>;

/**
 * Plain messages of one sender at one time, as one item: it stands for a
 * `{ type: "msg", from, text, ts }` for each of its texts, in order. A read of a thousand
 * ordinary lines goes through the room as one of these, not a thousand objects.
 */
export interface MessageRun {
  type: "run";
  from: string;
  /** The texts, each ended by LF, in plain ASCII (a copy: it outlives the read). */
  lines: Uint8Array;
  /** The same as line clients see them: `from: text` and LF for each (see line_run.ts). */
  line: Uint8Array;
  /** How many texts. */
  count: number;
  ts: number;
}

/** What a broadcast batch holds (see {@linkcode encodeBatch}). */
export type BatchItem = ServerMessage | MessageRun;

/**
 * The messages `run` stands for.
 *
 * @example
 * ```ts
 * const lines = new TextEncoder().encode("hi\nho\n");
 * runMessages({ type: "run", from: "a", lines, line: new Uint8Array(0), count: 2, ts: 0 });
 * // [{ type: "msg", from: "a", text: "hi", ts: 0 }, { type: "msg", from: "a", text: "ho", ts: 0 }]
 * ```
 */
export function runMessages(run: MessageRun): ServerMessageOf<"msg">[] {
  const { from, ts } = run;
  return runTexts(run.lines).map((text) => ({ type: "msg", from, text, ts }));
}

/**
 * The texts of a run's `lines` (each ended by LF).
 *
 * @example
 * ```ts
 * runTexts(new TextEncoder().encode("hi\nho\n")); // ["hi", "ho"]
 * ```
 */
export function runTexts(lines: Uint8Array): string[] {
  return decoder.decode(lines.subarray(0, -1)).split("\n"); // no text after the last LF
}

// ---------------------------------------------------------------------------------------
// Names and text

/** What a name may be: 1–32 letters, digits, `_`, `-`, `.` (Unicode letters and digits). */
export const NAME_PATTERN = /^[\p{L}\p{N}_.-]{1,32}$/u;

/** Longest `id` a client may attach to a message. */
export const MAX_ID_LENGTH = 64;

/**
 * Whether `name` is a valid chat name.
 *
 * @example
 * ```ts
 * isValidName("alice_01"); // true
 * isValidName("no spaces"); // false
 * ```
 */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/**
 * The key names are compared by: unique ignoring case. NFKC first, so that spellings
 * which render alike are one name (precomposed and decomposed Hangul, fullwidth and
 * ASCII letters); then upper and lower case, so that every case variant folds to one
 * (lowercasing alone maps Greek Σ to ς at a word's end but σ elsewhere).
 *
 * @example
 * ```ts
 * nameKey("Alice") === nameKey("aLICE"); // true
 * nameKey("ΟΔΟΣ") === nameKey("οδοσ"); // true
 * nameKey("\u0430lice") === nameKey("alice"); // true: Cyrillic а looks like a
 * ```
 */
export function nameKey(name: string): string {
  // Then the confusable skeleton (UTS #39): "аlice" with a Cyrillic а is "alice".
  return skeleton(name.normalize("NFKC").toUpperCase().toLowerCase());
}

/** Why a name is not acceptable, as an error message; undefined when it is valid. */
export function nameProblem(name: string): string | undefined {
  if (isValidName(name)) return undefined;
  if (name.length === 0) return "A name cannot be empty";
  if ([...name].length > 32) return `The name ${quote(name)} is longer than 32 characters`;
  return `The name ${quote(name)} may only hold letters, digits, "_", "-" and "."`;
}

// C0 controls except tab (U+0000–U+0008, U+000A–U+001F), DEL (U+007F), C1 (U+0080–U+009F).
// ESC (U+001B) is among them, so no ANSI escape sequence survives. And the bidi controls
// (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069), which reorder what follows on
// the reader's screen: "file\u202Etxt.exe" shows as "fileexe.txt".
const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const HAS_CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Removes control characters from text that other clients will see: C0 controls
 * except tab, DEL, C1 controls and the bidi controls. ESC is always removed, so `"\x1b[31mred"` becomes
 * `"[31mred"`, which no terminal interprets. Characters are removed, not replaced.
 *
 * @example
 * ```ts
 * sanitize("hi\x1b[2J there\x07"); // "hi[2J there"
 * sanitize("a\tb"); // "a\tb"
 * ```
 */
export function sanitize(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, "") : text;
}

const decoder = new TextDecoder(); // non-fatal: invalid UTF-8 becomes U+FFFD
const encoder = new TextEncoder();

/**
 * Bytes from the wire as text: invalid UTF-8 becomes U+FFFD; a leading BOM is kept
 * out (`ignoreBOM` false).
 *
 * @example
 * ```ts
 * decodeText(new Uint8Array([0x68, 0xff, 0x69])); // "h\uFFFDi"
 * ```
 */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * The UTF-8 length of `text` when it is over `max` bytes, else undefined. Cheap for
 * short text: a UTF-16 code unit is at most 3 UTF-8 bytes, so only text longer than a
 * third of `max` is measured.
 *
 * @example
 * ```ts
 * overUtf8Limit("héllo", 5); // 6
 * overUtf8Limit("hello", 5); // undefined
 * ```
 */
export function overUtf8Limit(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) return undefined;
  const bytes = utf8Length(text);
  return bytes > max ? bytes : undefined;
}

/** The UTF-8 length of `text` in bytes. */
export function utf8Length(text: string): number {
  // Fast path for ASCII, the common case; encode otherwise.
  // deno-lint-ignore no-control-regex
  return /^[\u0000-\u007f]*$/.test(text) ? text.length : encoder.encode(text).length;
}

// ---------------------------------------------------------------------------------------
// Parsing client messages

/** A client message that could not be accepted: the `error` to send back. */
export interface ErrorReply {
  code: ErrorCode;
  message: string;
  /** The offending message's `id`, when it had a usable one. */
  id?: string;
}

/** The outcome of {@linkcode parseClientMessage}. */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; error: ErrorReply };

/** Options of {@linkcode parseClientMessage}. */
export interface ParseOptions {
  /** Most UTF-8 bytes of `text` (`--max-message`); longer is `too_long`. */
  maxMessage: number;
}

const fail = (code: ErrorCode, message: string, id?: string): ParseResult => ({
  ok: false,
  error: id === undefined ? { code, message } : { code, message, id },
});

/**
 * Parses one framed payload into a checked {@linkcode ClientMessage}, or the error to
 * reply with. Text fields come back sanitized ({@linkcode sanitize}) and invalid UTF-8
 * as U+FFFD; unknown extra fields are ignored. Names are not validated here (that is
 * `name_invalid`, the server's call), only required to be strings.
 *
 * @example
 * ```ts
 * parseClientMessage(new TextEncoder().encode('{"type":"say","text":"hi","id":"c1"}'),
 *   { maxMessage: 1024 });
 * // { ok: true, message: { type: "say", text: "hi", id: "c1" } }
 * parseClientMessage(new TextEncoder().encode("[1]"), { maxMessage: 1024 }).ok; // false (bad_json)
 * ```
 */
export function parseClientMessage(
  payload: Uint8Array | string,
  options: ParseOptions,
): ParseResult {
  const json = typeof payload === "string" ? payload : decodeText(payload);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fail("bad_json", `The frame is not JSON: ${quote(json)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("bad_json", `The frame is JSON but not an object: ${quote(json)}`);
  }
  const m = value as Record<string, unknown>;
  let id: string | undefined;
  if (m.id !== undefined) {
    if (typeof m.id !== "string" || m.id.length > MAX_ID_LENGTH) {
      return fail("bad_request", `"id" must be a string of at most ${MAX_ID_LENGTH} characters`);
    }
    id = sanitize(m.id);
  }
  if (typeof m.type !== "string") {
    return fail("bad_request", `The message has no "type" string`, id);
  }
  const text = (): string | ErrorReply => {
    if (typeof m.text !== "string") {
      return { code: "bad_request", message: `"${m.type}" needs a "text" string`, id };
    }
    const clean = sanitize(m.text);
    const bytes = overUtf8Limit(clean, options.maxMessage);
    if (bytes !== undefined) {
      return {
        code: "too_long",
        message: `Text of ${bytes} bytes exceeds the limit of ${options.maxMessage} bytes`,
        id,
      };
    }
    if (clean.trim() === "") return { code: "bad_request", message: "The text is empty", id };
    return clean;
  };
  const withId = <T extends object>(message: T): T & { id?: string } =>
    id === undefined ? message : { ...message, id };
  const name = (field: "name" | "to"): string | ErrorReply =>
    typeof m[field] === "string"
      ? m[field] as string
      : { code: "bad_request", message: `"${m.type}" needs a "${field}" string`, id };
  const err = (e: ErrorReply): ParseResult => ({ ok: false, error: stripUndefinedId(e) });

  switch (m.type) {
    case "hello": {
      const n = name("name");
      if (typeof n !== "string") return err(n);
      if (m.password === undefined) return { ok: true, message: { type: "hello", name: n } };
      if (typeof m.password !== "string") {
        return fail("bad_request", `"password" must be a string`);
      }
      return { ok: true, message: { type: "hello", name: n, password: m.password } };
    }
    case "nick": {
      const n = name("name");
      if (typeof n !== "string") return err(n);
      return { ok: true, message: { type: m.type, name: n } };
    }
    case "say":
    case "me": {
      const t = text();
      if (typeof t !== "string") return err(t);
      return { ok: true, message: withId({ type: m.type, text: t }) };
    }
    case "dm": {
      const to = name("to");
      if (typeof to !== "string") return err(to);
      const t = text();
      if (typeof t !== "string") return err(t);
      return { ok: true, message: withId({ type: "dm" as const, to, text: t }) };
    }
    case "who":
    case "help":
    case "bye":
      return { ok: true, message: { type: m.type } };
    case "ping":
      return { ok: true, message: withId({ type: "ping" as const }) };
    default:
      return fail("unknown_type", `Unknown message type ${quote(m.type)}`, id);
  }
}

function stripUndefinedId(e: ErrorReply): ErrorReply {
  return e.id === undefined ? { code: e.code, message: e.message } : e;
}

/**
 * Parses a server frame's payload (for clients such as `chat-join`): the object if it
 * is a JSON object with a string `type`, else undefined. Fields are not checked further;
 * unknown types should be ignored by clients (forward compatibility).
 *
 * @example
 * ```ts
 * parseServerMessage(new TextEncoder().encode('{"type":"who","users":["a"]}'))?.type; // "who"
 * ```
 */
export function parseServerMessage(payload: Uint8Array | string): ServerMessage | undefined {
  try {
    const value = JSON.parse(typeof payload === "string" ? payload : decodeText(payload));
    if (typeof value === "object" && value !== null && typeof value.type === "string") {
      return value as ServerMessage;
    }
  } catch { /* not JSON */ }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Encoding

/**
 * One framed-dialect frame: u32 big-endian length + the message as JSON.
 *
 * @example
 * ```ts
 * encodeFrame({ type: "who" }); // Uint8Array [0, 0, 0, 14, ...'{"type":"who"}']
 * ```
 */
export function encodeFrame(message: ServerMessage | ClientMessage): Uint8Array {
  return lengthPrefixFrame(JSON.stringify(message));
}

/** The three ways a client can talk to the server. */
export type Dialect = "framed" | "line" | "ascii8";

/**
 * A server message in the bytes of `dialect`: a JSON frame, a text line, or that text
 * in an ascii8 frame. `viewer` is the name of the client it is for (see
 * {@linkcode formatText}; only a `dm` depends on it).
 *
 * @example
 * ```ts
 * new TextDecoder().decode(encodeFor("line", { type: "join", name: "bob", ts: 0 }));
 * // "*** bob joined\n"
 * ```
 */
export function encodeFor(
  dialect: Dialect,
  message: ServerMessage,
  options: { viewer?: string } = {},
): Uint8Array {
  if (dialect === "framed") return encodeFrame(message);
  const text = formatText(message, options.viewer);
  return dialect === "line" ? lineFrame(text) : ascii8Frame(text);
}

/** The room's names as bytes, for {@linkcode encodeWelcome} (see `user_list.ts`). */
export interface NameBytes {
  readonly count: number;
  /** `alice, bob` (`text`) or `"alice","bob"` (`json`). */
  bytes(style: "text" | "json"): Uint8Array;
}

/**
 * A `welcome` in the bytes of `dialect`, in three parts that together are byte for byte
 * what {@linkcode encodeFor} makes of `{ type: "welcome", name, users, limits, ts }`:
 * the head (with the frame header), the list of names exactly as `users` holds it (not
 * copied: shared by every newcomer until the list changes), and the tail. In a big
 * room, building the list per newcomer was N² bytes of garbage over N joins.
 *
 * @example
 * ```ts
 * encodeWelcome("line", { name: "bob", limits, ts: 0 }, users); // [head, names, tail]
 * ```
 */
export function encodeWelcome(
  dialect: Dialect,
  welcome: { name: string; limits: Limits; ts: number },
  users: NameBytes,
): [Uint8Array, Uint8Array, Uint8Array] {
  const { name, limits, ts } = welcome;
  let head: Uint8Array, list: Uint8Array, tail: Uint8Array;
  if (dialect === "framed") {
    head = encoder.encode(`{"type":"welcome","name":${JSON.stringify(name)},"users":[`);
    list = users.bytes("json");
    tail = encoder.encode(`],"limits":${JSON.stringify(limits)},"ts":${JSON.stringify(ts)}}`);
  } else {
    const n = users.count;
    head = encoder.encode(`*** welcome ${name}; ${counted(n, "user")} here: `);
    list = users.bytes("text");
    tail = encoder.encode(dialect === "line" ? "; /help for commands\n" : "; /help for commands");
  }
  if (dialect === "line") return [head, list, tail];
  const length = head.length + list.length + tail.length;
  const header = dialect === "framed" ? lengthPrefixHeader(length) : ascii8Header(length);
  return [concat([header, head]), list, tail];
}

/**
 * Several server messages in the bytes of `dialect`, as one buffer: the same bytes as
 * each {@linkcode encodeFor} in a row (a {@linkcode MessageRun} as its messages), built
 * with one text encoding for lines. Messages whose text depends on the viewer (`dm`)
 * do not belong in a batch.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(encodeBatch("line", [
 *   { type: "msg", from: "a", text: "one", ts: 0 },
 *   { type: "msg", from: "a", text: "two", ts: 0 },
 * ])); // "a: one\na: two\n"
 * ```
 */
export function encodeBatch(dialect: Dialect, items: readonly BatchItem[]): Uint8Array {
  if (dialect === "line") {
    if (items.length === 1 && items[0].type === "run") return items[0].line; // shared as it is
    const parts: Uint8Array[] = [];
    let text = "";
    for (const item of items) {
      if (item.type !== "run") {
        text += formatText(item) + "\n";
        continue;
      }
      if (text !== "") parts.push(encoder.encode(text));
      text = "";
      parts.push(item.line);
    }
    if (text !== "") parts.push(encoder.encode(text));
    return parts.length === 1 ? parts[0] : concat(parts);
  }
  if (items.length === 1 && items[0].type !== "run") return encodeFor(dialect, items[0]);
  const messages = items.flatMap((item) => item.type === "run" ? runMessages(item) : [item]);
  return concat(messages.map((m) => encodeFor(dialect, m)));
}

/**
 * How line and ascii8 clients see a server message (one line, no newline):
 *
 * | message | text |
 * |---|---|
 * | msg | `alice: hi` |
 * | msg, action | `* alice waves` |
 * | msg, history | `[history] alice: hi` |
 * | dm | `[dm from alice] psst` (recipient), `[dm to bob] psst` (sender) |
 * | join | `*** bob joined` |
 * | leave | `*** bob left (quit)` |
 * | nick | `*** alice is now alicia` |
 * | who | `*** users: alice, bob` |
 * | welcome | `*** welcome alice; 2 users here: alice, bob; /help for commands` |
 * | help | `*** /nick NAME  change your name` ... (several lines joined by `; `) |
 * | error | `!!! name_taken: The name "bob" is taken` |
 * | shutdown | `*** server shutting down` |
 * | pong | `*** pong` (`*** pong ID` with an id) |
 * | password | `password:` |
 * | summary | `*** +12 joined, 3 left; 5,210 here` |
 *
 * For a `dm`, pass `viewer` (the name of the client it is for) to tell the two apart.
 *
 * @example
 * ```ts
 * formatText({ type: "msg", from: "alice", text: "hi", ts: 0 }); // "alice: hi"
 * ```
 */
export function formatText(message: ServerMessage, viewer?: string): string {
  switch (message.type) {
    case "msg": {
      const body = message.action
        ? `* ${message.from} ${message.text}`
        : `${message.from}: ${message.text}`;
      return message.history ? `[history] ${body}` : body;
    }
    case "dm":
      return viewer !== undefined && nameKey(viewer) === nameKey(message.from)
        ? `[dm to ${message.to}] ${message.text}`
        : `[dm from ${message.from}] ${message.text}`;
    case "join":
      return `*** ${message.name} joined`;
    case "leave":
      return `*** ${message.name} left (${message.reason})`;
    case "nick":
      return `*** ${message.from} is now ${message.to}`;
    case "who":
      return `*** users: ${message.users.join(", ")}`;
    case "welcome":
      return `*** welcome ${message.name}; ${counted(message.users.length, "user")} here: ${
        message.users.join(", ")
      }; /help for commands`;
    case "help":
      return `*** ${message.lines.join("; ")}`;
    case "error":
      return `!!! ${message.code}: ${message.message}`;
    case "shutdown":
    case "notice":
      return `*** ${message.message}`;
    case "pong":
      return message.id === undefined ? "*** pong" : `*** pong ${message.id}`;
    case "password":
      return "password:";
    case "summary":
      return `*** +${count.format(message.joined)} joined, ${count.format(message.left)} left; ${
        count.format(message.here)
      } here`;
  }
}

/** Counts in summaries, with a thousands separator; one locale, so scripts can parse it. */
const count = new Intl.NumberFormat("en-US");

/** The commands of the line dialect, with their help (also the `help` reply's lines). */
export const HELP_LINES: readonly string[] = [
  "/nick NAME  change your name",
  "/who  list who is here",
  "/me TEXT  say TEXT as an action",
  "/msg NAME TEXT  send TEXT to NAME only",
  "/quit  leave",
  "/ping  the server answers pong (a keepalive)",
  "/help  this list",
];

/**
 * Reads a line-dialect line (after the name) as the client message it stands for:
 * `/nick`, `/who`, `/me`, `/msg`, `/quit`, `/help`, `/ping`, or else a `say`. A line starting
 * with `//` says the text after the first `/` (so a message can start with `/`).
 * `text` must be sanitized already.
 *
 * @example
 * ```ts
 * parseCommandLine("/msg bob psst", { maxMessage: 1024 });
 * // { ok: true, message: { type: "dm", to: "bob", text: "psst" } }
 * ```
 */
export function parseCommandLine(text: string, options: ParseOptions): ParseResult {
  if (!text.startsWith("/") || text.startsWith("//")) {
    return checkedText(
      { type: "say", text: text.startsWith("//") ? text.slice(1) : text },
      options,
    );
  }
  const match = /^\/(\S*)\s*(.*)$/s.exec(text)!;
  const command = match[1].toLowerCase();
  const rest = match[2];
  switch (command) {
    case "nick": {
      const n = rest.trim();
      if (n === "") return fail("bad_request", "Usage: /nick NAME");
      return { ok: true, message: { type: "nick", name: n } };
    }
    case "who":
      return { ok: true, message: { type: "who" } };
    case "me":
      if (rest.trim() === "") return fail("bad_request", "Usage: /me TEXT");
      return checkedText({ type: "me", text: rest }, options);
    case "msg": {
      const dm = /^(\S+)\s+(.*)$/s.exec(rest);
      if (!dm || dm[2].trim() === "") return fail("bad_request", "Usage: /msg NAME TEXT");
      return checkedText({ type: "dm", to: dm[1], text: dm[2] }, options);
    }
    case "quit":
      return { ok: true, message: { type: "bye" } };
    case "help":
      return { ok: true, message: { type: "help" } };
    case "ping": {
      const token = rest.trim();
      return { ok: true, message: token === "" ? { type: "ping" } : { type: "ping", id: token } };
    }
    default:
      return fail(
        "unknown_type",
        `Unknown command ${quote("/" + command)}; /help lists the commands`,
      );
  }
}

function checkedText(
  message: Extract<ClientMessage, { text: string }>,
  options: ParseOptions,
): ParseResult {
  const bytes = overUtf8Limit(message.text, options.maxMessage);
  if (bytes !== undefined) {
    return fail(
      "too_long",
      `Text of ${bytes} bytes exceeds the limit of ${options.maxMessage} bytes`,
    );
  }
  if (message.text.trim() === "") return fail("bad_request", "The text is empty");
  return { ok: true, message };
}

/**
 * `text` quoted for an error message: JSON-escaped, C1 controls and DEL removed, cut at
 * 40 characters (what a client sent is quoted back, and may be long or hostile).
 *
 * @example
 * ```ts
 * quote("a\x1bb"); // '"a\\u001bb"'
 * ```
 */
export function quote(text: string): string {
  return sanitize(JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text));
}
