/**
 * How `chat-join` shows what happens: a server message as one human line (time,
 * colored name, text) or as one JSON object, the local help, and the default name.
 *
 * Everything that came from the server is sanitized again before it reaches the
 * terminal: the server already removes control characters, but a hostile or broken
 * server must not be able to drive the user's terminal either.
 *
 * @module
 */

import type { Paint } from "../../lib/output.ts";
import { formatText, HELP_LINES, nameKey, sanitize, type ServerMessage } from "./protocol.ts";

/**
 * `HH:MM` of epoch milliseconds `ts`, in the local time zone (`offsetMinutes` east of
 * UTC can be given for tests); the current time when `ts` is not a number.
 *
 * @example
 * ```ts
 * clock(Date.UTC(2026, 0, 1, 9, 5), { offsetMinutes: 0 }); // "09:05"
 * ```
 */
export function clock(ts: unknown, options: { offsetMinutes?: number } = {}): string {
  const ms = typeof ts === "number" && Number.isFinite(ts) ? ts : Date.now();
  const date = new Date(ms);
  const offset = options.offsetMinutes ?? -date.getTimezoneOffset();
  const minutes = Math.floor(ms / 60_000) + offset;
  const inDay = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(inDay / 60)).padStart(2, "0")}:${
    String(inDay % 60).padStart(2, "0")
  }`;
}

/**
 * A server-supplied value as text safe to print on a terminal: control characters
 * removed, tabs as spaces.
 *
 * @example
 * ```ts
 * clean("\x1b[2Jhi\tthere"); // "[2Jhi there"
 * ```
 */
export function clean(value: unknown): string {
  return sanitize(typeof value === "string" ? value : String(value ?? "")).replaceAll("\t", " ");
}

const LEAVE_REASONS: Record<string, string> = {
  quit: "left",
  disconnect: "disconnected",
  timeout: "timed out",
  too_slow: "was dropped (too slow to read)",
  shutdown: "left (server shutting down)",
  error: "was disconnected (protocol error)",
  node_lost: "was lost with their server (cluster node gone)",
};

/** Options of {@linkcode formatMessage}. */
export interface FormatOptions {
  paint: Paint;
  /** Our name, to tell our own direct messages apart. */
  self: string;
  /** Local time zone offset for the clock; the system's when absent. */
  offsetMinutes?: number;
}

/**
 * A server message as one line (or a few, for `help`) for people; undefined for
 * messages that show nothing (unknown types).
 *
 * @example
 * ```ts
 * formatMessage({ type: "msg", from: "bob", text: "hi", ts: 0 },
 *   { paint: makePaint(false), self: "alice", offsetMinutes: 0 }); // "00:00 <bob> hi"
 * ```
 */
export function formatMessage(message: ServerMessage, options: FormatOptions): string | undefined {
  const { paint } = options;
  const m = message as Record<string, unknown> & ServerMessage;
  const at = (ts: unknown) => paint.dim(clock(ts, options));
  const who = (name: unknown) => paint.byName(clean(name));
  const notice = (text: string) => paint.dim("---") + " " + text;
  switch (message.type) {
    case "msg": {
      const line = message.action
        ? `${at(m.ts)} ${paint.bold("*")} ${who(m.from)} ${clean(m.text)}`
        : `${at(m.ts)} <${who(m.from)}> ${clean(m.text)}`;
      return message.history ? `${line} ${paint.dim("(history)")}` : line;
    }
    case "dm":
      return nameKey(clean(m.from)) === nameKey(options.self) && m.id !== undefined
        ? `${at(m.ts)} ${paint.bold(`[dm to ${who(m.to)}]`)} ${clean(m.text)}`
        : `${at(m.ts)} ${paint.bold(`[dm from ${who(m.from)}]`)} ${clean(m.text)}`;
    case "join":
      return `${at(m.ts)} ${paint.green("-->")} ${who(m.name)} joined`;
    case "leave":
      return `${at(m.ts)} ${paint.yellow("<--")} ${who(m.name)} ${
        LEAVE_REASONS[clean(m.reason)] ?? `left (${clean(m.reason)})`
      }`;
    case "nick":
      return `${at(m.ts)} ${notice(`${who(m.from)} is now ${who(m.to)}`)}`;
    case "who":
      return notice(userList(m.users, paint));
    case "welcome":
      return notice(`joined as ${who(m.name)}; ${userList(m.users, paint)}`);
    case "help":
      return (Array.isArray(m.lines) ? m.lines : []).map((l) => notice(clean(l))).join("\n");
    case "error":
      return paint.red(`!!! ${clean(m.message)} (${clean(m.code)})`);
    case "shutdown":
      return paint.yellow(`!!! server: ${clean(m.message) || "shutting down"}`);
    case "summary":
      return `${at(m.ts)} ${paint.green("-->")} ${
        clean(
          formatText({
            ...message,
            joined: Number(m.joined),
            left: Number(m.left),
            here: Number(m.here),
          }),
        )
          .replace(/^\*\*\* /, "")
      }`;
    case "pong":
      return notice(m.id === undefined ? "pong" : `pong ${clean(m.id)}`);
    case "notice":
      return notice(clean(m.message));
    default:
      return undefined;
  }
}

function userList(users: unknown, paint: Paint): string {
  const list = Array.isArray(users) ? users.map((u) => paint.byName(clean(u))) : [];
  return `online (${list.length}): ${list.join(", ")}`;
}

const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * One NDJSON line for an event: `{"event": ..., ...fields}`. JSON already escapes C0
 * controls; DEL, C1 controls and the line/paragraph separators are escaped too, so no
 * string in the output can drive a terminal or split a line.
 *
 * @example
 * ```ts
 * jsonLine("msg", { from: "bob", text: "\u009b2J" }); // '{"event":"msg","from":"bob","text":"\\u009b2J"}'
 * ```
 */
export function jsonLine(event: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ event, ...fields }).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A server message's fields for its JSON event: everything but `type` (which becomes
 * `event`), plus `own: true` on the server's answers to our own messages.
 *
 * @example
 * ```ts
 * messageFields({ type: "who", users: ["a"] }, true); // { users: ["a"], own: true }
 * ```
 */
export function messageFields(message: ServerMessage, own: boolean): Record<string, unknown> {
  const { type: _type, ...fields } = message as ServerMessage & Record<string, unknown>;
  return own ? { ...fields, own: true } : fields;
}

/** The help `/help` prints: the commands, then the keys of the line editor. */
export const CLIENT_HELP: readonly string[] = [
  ...HELP_LINES,
  "//TEXT  say TEXT starting with /",
  "keys: Up/Down history, Ctrl-A/E home/end, Ctrl-U/K/W delete, Ctrl-C or Ctrl-D leave",
];

/**
 * A chat name made from a login name: characters a name may not hold become `_`, and
 * it is cut to 32 characters; undefined when nothing usable is left.
 *
 * @example
 * ```ts
 * nameFromLogin("first.last@corp"); // "first.last_corp"
 * nameFromLogin("  "); // undefined
 * ```
 */
export function nameFromLogin(login: string | undefined): string | undefined {
  if (login === undefined) return undefined;
  const name = [...login.trim()].map((c) => /[\p{L}\p{N}_.-]/u.test(c) ? c : "_").slice(0, 32)
    .join("");
  return /^_*$/.test(name) ? undefined : name;
}
