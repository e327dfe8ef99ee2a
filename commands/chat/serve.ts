/**
 * `sockit chat-serve`: a multi-client chat server (README, `sockit chat-serve`; the wire
 * protocol is in `docs/PROTOCOL.md`). Listening, connection limits and logs, the idle
 * sweep and graceful shutdown are the shared server runtime's; this file wires the
 * room, the sessions and the flags to it.
 *
 * @module
 */

import { defineCommand, type RunOptions } from "../../lib/command.ts";
import { UsageError } from "../../lib/errors.ts";
import { flagName } from "../../lib/flags.ts";
import type { Io } from "../../lib/io.ts";
import { createOutput, type Output } from "../../lib/output.ts";
import { within } from "../../lib/pause.ts";
import {
  type Connection,
  DEFAULT_GRACE_MS,
  emptyStats,
  serve,
  serverSettings,
} from "../../lib/server/mod.ts";
import { readPem } from "../../lib/tls_flags.ts";
import { type Dialect, encodeFor, type Limits } from "./protocol.ts";
import type { ClusterRoom } from "./cluster/room.ts";
import { warmUpLineRuns } from "./line_run.ts";
import { PasswordCheck, readPassword } from "./password.ts";
import { parseRate } from "./rate.ts";
import { Room, type RoomOptions } from "./room.ts";
import { chatServeMeta } from "./serve_meta.ts";
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

/** `sockit chat-serve`. */
export const chatServe = defineCommand({
  ...chatServeMeta,
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
function checkCluster(options: RunOptions<typeof chatServeMeta.flags>): void {
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

async function runServer(options: RunOptions<typeof chatServeMeta.flags>, io: Io): Promise<number> {
  checkCluster(options);
  const { limits, settings } = chatSettings(options);
  const out = createOutput(io, { json: options.json, noColor: options.noColor });
  // Every flag is read before --cluster reaches Redis: a usage error must not wait on
  // the network first, nor join a cluster it then never leaves.
  const runtime = await serverSettings(options);
  const transcript = options.log === undefined ? undefined : openTranscript(options.log, out);
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
  // A few ms now, so that a burst that is the first thing the server sees is not also
  // when the engine compiles its fast path (line_run.ts).
  warmUpLineRuns();
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

/** The room's limits and every session's settings, from the flags. */
function chatSettings(
  options: RunOptions<typeof chatServeMeta.flags>,
): { limits: Limits; settings: SessionSettings } {
  const rate = options.rate === undefined ? undefined : parseRate(options.rate);
  if (options.rate !== undefined && rate === undefined) {
    throw new UsageError(`--rate: "${options.rate}" is not a rate (like 20/s, 600/m, 5/2s)`);
  }
  const password = options.passwordFile === undefined
    ? undefined
    : new PasswordCheck(readPassword(options.passwordFile, "--password-file"));
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
  return { limits, settings };
}

/** `--log PATH`: the transcript, which says on stderr when it had to stop. */
function openTranscript(path: string, out: Output): Transcript {
  const transcript = Transcript.open(path);
  transcript.onError = (err) =>
    out.note(`sockit: --log ${transcript.path}: ${String(err)}; transcript stopped`);
  return transcript;
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
