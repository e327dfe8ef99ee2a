/**
 * `sockit chat-serve` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the server (commands/chat/serve.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../../lib/command.ts";
import { defineFlags } from "../../lib/flags.ts";
import { serverFlags } from "../../lib/server/flags.ts";

/** The default chat port, of `chat-serve` and `chat-join`. */
export const CHAT_PORT = 5555;

const runtimeFlags = serverFlags(CHAT_PORT);

const flags = defineFlags({
  ...runtimeFlags,
  idleTimeout: {
    ...runtimeFlags.idleTimeout,
    help: "drop a client after this long without a byte from it, announced as timeout " +
      "(0: never)",
  },
  maxConns: {
    ...runtimeFlags.maxConns,
    help: "most TCP connections open at once; a further one is told server_full in its " +
      "dialect and closed",
  },
  quiet: {
    ...runtimeFlags.quiet,
    help: "do not log connections, disconnections, joins, leaves and renames",
  },
  framing: {
    type: "enum",
    choices: ["auto", "ascii8"],
    default: "auto",
    help: "auto: each client's first byte picks its dialect (0x00: u32-framed JSON, " +
      "else text lines); ascii8: every client speaks the classic lab protocol " +
      "(8-byte ASCII length header, then the message)",
  },
  maxMessage: {
    type: "bytes",
    default: 16 * 1024,
    min: 1,
    max: 1024 * 1024,
    help: "most bytes of text in one message; a longer one gets a too_long error and is skipped",
  },
  maxClients: {
    type: "integer",
    default: 1000,
    min: 1,
    help: "most people in the room at once; the next one gets server_full",
  },
  maxQueue: {
    type: "bytes",
    default: 8 * 1024 * 1024,
    min: 1024,
    help: "bytes waiting to be sent to one client past which the room stops reading " +
      "from its senders until that client catches up (nothing is dropped)",
  },
  stallTimeout: {
    type: "duration",
    default: 1000,
    min: 10,
    help: "drop a client that takes no bytes at all for this long while messages wait " +
      "for it, announced as too_slow (it holds the room back at most this long)",
  },
  history: {
    type: "integer",
    default: 0,
    min: 0,
    max: 10_000,
    help: "replay the last N messages to each newcomer (as many as fit in half of --max-queue)",
  },
  log: {
    type: "string",
    valueName: "FILE",
    help: "append a JSONL transcript (messages, joins, leaves, renames) to FILE",
  },
  rate: {
    type: "string",
    valueName: "N/DUR",
    help: "most messages one client may send per period, in bursts of up to N (20/s, " +
      "600/m); more are delayed, never dropped: the client is read more slowly and told " +
      "rate_limited once per burst (default: no limit)",
  },
  passwordFile: {
    type: "string",
    valueName: "FILE",
    help: "the room's password is the first line of FILE: every client must give it to " +
      "join (line clients are asked with a password: line); a wrong one is bad_password",
  },
  announceLimit: {
    type: "integer",
    default: 200,
    min: 0,
    help: "announce joins and leaves one by one while the room has at most N people; " +
      "above it, summarise them at most every 10s (+12 joined, 3 left; 5,210 here)",
  },
  cluster: {
    type: "string",
    valueName: "URL",
    help: "form one room with every chat-serve on this Redis: redis://[USER:PASS@]HOST:PORT[/DB] " +
      "(rediss:// for TLS)",
  },
  room: {
    type: "string",
    default: "lobby",
    valueName: "NAME",
    help: "with --cluster: the room's name (its keys are sockit:chat:NAME:...)",
  },
  ca: {
    type: "string",
    valueName: "FILE",
    help: "with --cluster rediss://: trust the CA certificate(s) in this PEM file for " +
      "Redis's certificate instead of the system's",
  },
  nodeTimeout: {
    type: "duration",
    default: 10_000,
    min: 100,
    help: "with --cluster: a node silent this long is gone; its people leave as node_lost",
  },
  ...commonFlags,
});

/** `sockit chat-serve`'s name, help and flags. */
export const chatServeMeta = defineMeta({
  name: "chat-serve",
  summary: "multi-client chat server: nc/telnet lines, framed JSON, or the ascii8 lab protocol",
  usage: ["[--host HOST] [--port PORT] [--framing auto|ascii8] [flags]"],
  description: `
One port, two dialects told apart by the first byte a client sends: 0x00 starts a
u32-length-prefixed JSON frame (chat-join and programs); anything else is a text line
(nc, telnet, ncat). A line client's first line is its name; then each line is a
message, and lines starting with / are commands: /nick NAME, /who, /me TEXT,
/msg NAME TEXT, /ping, /quit, /help. With --framing ascii8, every client speaks the classic
socket-lab protocol instead: an 8-byte ASCII length header, then the message (the first
one is the name).

Messages go to everyone else with the sender's name; joins, leaves (quit, disconnect,
timeout, too_slow, shutdown) and renames are announced. Names are 1-32 letters, digits,
_ - . and unique ignoring case and lookalike letters (Cyrillic а is a). Control
characters (ANSI escapes and bidi controls included) never reach another client;
invalid UTF-8 arrives as U+FFFD.

Flow control: a client that keeps reading never loses a message. When more than
--max-queue bytes wait for one client, the server stops reading from the senders until
it has caught up (TCP then slows them down). A client that takes no bytes at all for
--stall-timeout while messages wait for it has stopped reading: it is dropped, its
leave announced as too_slow, and the room goes on at full speed. On SIGINT/SIGTERM
every client is told the server is shutting down before its connection closes.

--rate paces each client (a token bucket: bursts of N, then N per period) by reading it
more slowly; nothing is dropped. Framed {"type":"ping","id":..} is answered with
{"type":"pong","id":..} (line: /ping gives "*** pong"). With --password-file, a line or
ascii8 client sends its name, gets "password:", and sends the password; a framed client
puts "password" in its hello; a wrong or missing one is refused (bad_password) and
closed, and no join is announced. Rooms larger than --announce-limit get one summary
line at most every 10s instead of every join and leave.

The protocol, byte for byte: docs/PROTOCOL.md.`,
  flags,
  examples: [
    "sockit chat-serve                       # 127.0.0.1:5555",
    "sockit chat-serve --port 0 --history 20 --log chat.jsonl",
    "nc 127.0.0.1 5555                       # first line: your name",
    "sockit chat-join 127.0.0.1:5555 --name alice",
    "sockit chat-serve --framing ascii8      # for the classic lab clients",
    "sockit chat-serve --rate 20/s --password-file room.pass",
    "sockit chat-serve --cluster redis://127.0.0.1:6379 --room ops  # one room, many nodes",
    "sockit chat-serve --cluster rediss://db.example:6380 --ca redis-ca.pem  # Redis over TLS",
  ],
});
