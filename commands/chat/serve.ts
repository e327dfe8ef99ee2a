/**
 * `sockit chat-serve`: a multi-client chat server (README, `sockit chat-serve`; the wire
 * protocol is in `docs/PROTOCOL.md`). Listening, connection limits and logs, the idle
 * sweep and graceful shutdown are the shared server runtime's; this file wires the
 * room, the sessions and the flags to it.
 *
 * @module
 */

import { commonFlags, defineCommand, type RunOptions } from "../../lib/command.ts";
import { UsageError } from "../../lib/errors.ts";
import { defineFlags, flagName } from "../../lib/flags.ts";
import type { Io } from "../../lib/io.ts";
import { createOutput } from "../../lib/output.ts";
import { within } from "../../lib/pause.ts";
import {
  type Connection,
  DEFAULT_GRACE_MS,
  emptyStats,
  serve,
  serverFlags,
  serverSettings,
} from "../../lib/server/mod.ts";
import { readPem } from "../../lib/tls.ts";
import { CHAT_PORT, type Dialect, encodeFor, type Limits } from "./protocol.ts";
import type { ClusterRoom } from "./cluster/room.ts";
import { PasswordCheck, readPassword } from "./password.ts";
import { parseRate } from "./rate.ts";
import { Room, type RoomOptions } from "./room.ts";
import { Session, type SessionSettings } from "./session.ts";
import { Transcript } from "./transcript.ts";

/** Room a line or ascii8 message gets beyond `--max-message` for `/msg NAME `. */
const LINE_OVERHEAD = 256;

/**
 * The largest framed payload for a text limit: JSON may escape each character of the
 * text (a client that writes non-ASCII as `\uXXXX` triples it), plus the fields.
 *
 * @example
 * ```ts
 * maxFrameFor(16384); // 66560
 * ```
 */
export function maxFrameFor(maxMessage: number): number {
  return Math.min(4 * maxMessage + 1024, 0xff_ffff);
}

/** How long a connection closed by `--max-conns` is given to show its dialect. */
const SNIFF_MS = 250;

const runtimeFlags = serverFlags(CHAT_PORT);

const flags = defineFlags({
  ...runtimeFlags,
  idleTimeout: {
    ...runtimeFlags.idleTimeout,
    help: "drop a client after this long without a byte from it, announced as timeout " +
      "(0: never)",
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

/** `sockit chat-serve`. */
export const chatServe = defineCommand({
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
  run(options, io) {
    return runServer(options, io);
  },
});

/**
 * The resolve step: `--room` and `--node-timeout` shape a cluster, so given without
 * `--cluster` they are a usage error rather than silently ignored.
 *
 * @throws {UsageError} for the first cluster-only flag given without `--cluster`.
 */
function checkCluster(options: RunOptions<typeof flags>): void {
  if (options.cluster === undefined) {
    for (const key of ["room", "nodeTimeout", "ca"] as const) {
      if (!options.given.includes(key)) continue;
      const scheme = key === "ca" ? "rediss" : "redis";
      throw new UsageError(`--${flagName(key)} needs --cluster ${scheme}://HOST:PORT`);
    }
  } else if (options.ca !== undefined && !/^rediss:/i.test(options.cluster)) {
    throw new UsageError("--ca applies to Redis over TLS: use --cluster rediss://HOST:PORT");
  }
}

async function runServer(options: RunOptions<typeof flags>, io: Io): Promise<number> {
  checkCluster(options);
  const rate = options.rate === undefined ? undefined : parseRate(options.rate);
  if (options.rate !== undefined && rate === undefined) {
    throw new UsageError(`--rate: "${options.rate}" is not a rate (like 20/s, 600/m, 5/2s)`);
  }
  const password = options.passwordFile === undefined
    ? undefined
    : new PasswordCheck(readPassword(options.passwordFile, "--password-file"));
  const out = createOutput(io, { json: options.json, noColor: options.noColor });
  // Every flag is read before --cluster reaches Redis: a usage error must not wait on
  // the network first, nor join a cluster it then never leaves.
  const runtime = await serverSettings(options);
  const limits: Limits = {
    maxMessage: options.maxMessage,
    maxFrame: maxFrameFor(options.maxMessage),
    maxClients: options.maxClients,
    maxQueue: options.maxQueue,
    idleTimeout: options.idleTimeout,
    history: options.history,
  };
  const settings: SessionSettings = {
    framing: options.framing,
    maxMessage: limits.maxMessage,
    maxFrame: limits.maxFrame,
    maxLine: limits.maxMessage + LINE_OVERHEAD,
    maxQueue: limits.maxQueue,
    flushGrace: DEFAULT_GRACE_MS,
    rate,
    password,
  };
  const transcript = options.log === undefined ? undefined : Transcript.open(options.log);
  if (transcript) {
    transcript.onError = (err) =>
      out.note(`sockit: --log ${transcript.path}: ${String(err)}; transcript stopped`);
  }
  const roomOptions: RoomOptions = {
    limits,
    out,
    now: () => io.now(),
    transcript,
    quiet: options.quiet,
    stallTimeout: options.stallTimeout,
    announceLimit: options.announceLimit,
  };
  let cluster: ClusterRoom | undefined;
  try {
    // Loaded only for --cluster: the Redis client is an npm package, and every other run
    // of sockit (--version included) should not pay for resolving it.
    cluster = options.cluster === undefined
      ? undefined
      : await (await import("./cluster/join.ts")).joinCluster({
        ...options,
        cluster: options.cluster,
        ca: options.ca === undefined ? undefined : await readPem("--ca", options.ca),
      }, roomOptions);
  } catch (err) {
    transcript?.close();
    throw err;
  }
  const room = cluster ?? new Room(roomOptions);
  try {
    return await serve({
      ...runtime,
      name: "chat-serve",
      transport: "tcp",
      tcp(c) {
        const session = new Session(c, room, settings);
        return {
          done: session.run(),
          onIdle: () => session.timeout(),
          onShutdown: () => room.shutdown([session]),
        };
      },
      onRejected: (c) => turnAway(c, options.framing),
      stats: () => ({ ...room.stats, ...cluster?.clusterStats() }),
    }, {
      io,
      out,
      trace: options.trace,
      // A cluster node leaves Redis once its people's shutdown leaves are published
      // (each session's onShutdown does that) and every connection is closed.
      started: cluster && ((server) =>
        Promise.resolve({
          async stop() {
            await server.finished;
            await cluster.stop();
            return emptyStats();
          },
        })),
    });
  } finally {
    transcript?.close();
  }
}

/**
 * Tells a connection over `--max-conns` why it is closed, in its dialect: a framed
 * client sends its 0x00 at once; anyone silent for a moment is answered in text. The
 * runtime then closes it with a lingering close (a read still pending from the sniff
 * is the one it waits on).
 */
async function turnAway(c: Connection, framing: "auto" | "ascii8"): Promise<void> {
  let dialect: Dialect = framing === "ascii8" ? "ascii8" : "line";
  if (framing === "auto") {
    const scratch = new Uint8Array(4096);
    const n = await within(c.read(scratch).catch(() => null), SNIFF_MS);
    if (n && scratch[0] === 0) dialect = "framed";
  }
  await c.writeAll(encodeFor(dialect, {
    type: "error",
    code: "server_full",
    message: "The server has too many connections (--max-conns); try again later",
  }));
}
