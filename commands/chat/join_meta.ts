/**
 * `sockit chat-join` without its code: its name, help and flags, which `--help`,
 * completions and the man page read without loading the client (commands/chat/join.ts).
 *
 * @module
 */

import { commonFlags, defineMeta } from "../../lib/command.ts";
import { defineFlags } from "../../lib/flags.ts";
import { tlsClientFlags } from "../../lib/tls_flags.ts";
import { CHAT_PORT } from "./serve_meta.ts";

const flags = defineFlags({
  name: {
    type: "string",
    short: "n",
    valueName: "NAME",
    help: "your name: 1-32 letters, digits, _ - . (default: asked on a terminal, else $USER)",
  },
  send: {
    type: "strings",
    short: "s",
    valueName: "TEXT",
    help: "send TEXT as a message (repeatable), wait until the server acknowledged every " +
      "one, leave; each line of TEXT is one message, sent as is (a leading / is not a " +
      "command); stdout shows only these messages as acknowledged",
  },
  timeout: {
    type: "duration",
    short: "W",
    default: 5000,
    min: 1,
    help: "longest wait to connect and be welcomed, for each acknowledgement (from the " +
      "previous one while several are in flight), and for the server to answer a ping",
  },
  keepalive: {
    type: "duration",
    default: 30_000,
    help: "ping the server this often (more often if its --idle-timeout is shorter), so " +
      "an idle client is not dropped and a silent server is noticed (0: never)",
  },
  passwordFile: {
    type: "string",
    valueName: "FILE",
    help: "the room's password is the first line of FILE (else $SOCKIT_CHAT_PASSWORD, " +
      "if set)",
  },
  reconnect: {
    type: "boolean",
    help: "re-join after a lost connection, with exponential backoff (250ms doubling to " +
      "10s, jittered), giving up after 10 attempts in a row",
  },
  ...tlsClientFlags,
  ...commonFlags,
});

/** `sockit chat-join`'s name, help and flags. */
export const chatJoinMeta = defineMeta({
  name: "chat-join",
  summary: "chat client for chat-serve: interactive, scripted from stdin, or --send",
  usage: ["[HOST:PORT] [--name NAME] [flags]", "[HOST:PORT] --send TEXT [--send TEXT ...]"],
  positional: {
    name: "HOST:PORT",
    help: `the chat server (default 127.0.0.1:${CHAT_PORT}; a bare HOST means port ${CHAT_PORT})`,
    max: 1,
  },
  description: `
On a terminal: type a line and Enter to say it; messages arrive above the line you are
typing, which is never garbled. Commands: /nick NAME, /who, /me TEXT, /msg NAME TEXT,
/quit, /help (//TEXT says a text that starts with /). Keys: Left/Right, Home/End,
Up/Down (history), Backspace, Delete, Ctrl-U, Ctrl-W, Ctrl-K; Ctrl-C or Ctrl-D leaves.

When stdin is not a terminal, each line of it is sent (a message or a /command); at its
end, once the server acknowledged every message, the client says bye and exits 0.
--json prints every event as one JSON object per line.

Exit codes: 0 done; 1 the server refused a message, the name or the password; 2 usage;
3 host not found; 4 refused, or the connection was lost (or the server shut down, or
did not answer a ping within --timeout) before the work was done; 5 no connection,
welcome or acknowledgement within --timeout; 6 the server does not speak the chat
protocol (or TLS, with --tls); 8 the server's certificate could not be verified
(--tls); 130 interrupted by a signal before the work was done (--send: before every
message was acknowledged; scripted: before the end of stdin). Interactively there is
no work to finish: Ctrl-C, Ctrl-D, /quit or a stop signal is how you leave, and that
is 0.

It pings the server every --keepalive (sooner when the server's idle timeout is
shorter), so an idle client is never dropped. The room's password, if it has one, is
the first line of --password-file FILE, or else $SOCKIT_CHAT_PASSWORD.`,
  flags,
  examples: [
    "sockit chat-join                                  # 127.0.0.1:5555, asks your name",
    "sockit chat-join chat.example.org:5555 --name alice",
    "sockit chat-join --name bot --send 'build passed' --send 'deploying'",
    "tail -f build.log | sockit chat-join --name ci --reconnect",
    "SOCKIT_CHAT_PASSWORD=s3cret sockit chat-join --name alice --keepalive 10s",
    "sleep infinity | sockit chat-join --name logger --json   # the room as NDJSON",
    "sockit chat-join localhost:5555 --tls --ca ca.pem --name alice",
  ],
});
