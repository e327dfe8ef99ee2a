/**
 * `chat-serve --cluster`: connect to Redis and join the room there, before the node
 * listens. Loaded by `serve.ts` only when `--cluster` is given.
 *
 * @module
 */

import { ConnectError, SockitError } from "../../../lib/errors.ts";
import type { RoomOptions } from "../room.ts";
import { openLink } from "./link.ts";
import { ClusterRoom, streamCap } from "./room.ts";
import { clusterTarget } from "./url.ts";

/** The flags of `chat-serve` that shape its cluster. */
export interface ClusterFlags {
  cluster: string;
  room: string;
  history: number;
  nodeTimeout: number;
  quiet?: boolean;
  /** `--ca`, read: the PEM of the CA(s) to trust for a `rediss://` Redis. */
  ca?: string;
}

/**
 * Connects to Redis (exit 4 at once when it is out of reach, 3 when the host does not
 * resolve) and joins the room: the returned room is this node's.
 *
 * @example
 * ```ts
 * const room = await joinCluster({ cluster: "redis://127.0.0.1:6379", room: "lobby",
 *   history: 0, nodeTimeout: 10_000 }, roomOptions);
 * ```
 */
export async function joinCluster(
  flags: ClusterFlags,
  roomOptions: RoomOptions,
): Promise<ClusterRoom> {
  const target = clusterTarget(flags.cluster, flags.room);
  const { out } = roomOptions;
  let room: ClusterRoom | undefined;
  const link = await openLink(target, streamCap(flags.history), {
    ca: flags.ca,
    onDown: (cause) => {
      out.note(`sockit: cluster link to ${target.address} lost: ${cause}; reconnecting`);
      room?.linkDown();
    },
    onUp: () => {
      out.note(`sockit: cluster link to ${target.address} is back`);
      room?.linkUp();
    },
  });
  const node = crypto.randomUUID().slice(0, 8);
  try {
    room = await ClusterRoom.start({
      ...roomOptions,
      link,
      target,
      node,
      nodeTimeout: flags.nodeTimeout,
    });
  } catch (err) {
    await link.close();
    if (err instanceof SockitError) throw err;
    // Redis answered but refused what a node needs (EVALSHA renamed away, an ACL user
    // without scripts or streams): one line, not an internal error.
    const said = String((err as Error)?.message ?? err).split("\n")[0].replace(
      /, with args.*$/,
      "",
    );
    throw new ConnectError(`join room ${target.room} on redis ${target.address}: ${said}`, {
      hint: "the node needs Lua scripts (EVALSHA), streams and the keys sockit:chat:ROOM:*",
      cause: err,
    });
  }
  if (!flags.quiet) out.note(`cluster: room ${target.room} on ${target.display} as node ${node}`);
  return room;
}
