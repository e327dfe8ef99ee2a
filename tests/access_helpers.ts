/**
 * Clients from other loopback addresses, for the access-control tests: all of
 * 127.0.0.0/8 is loopback on Linux, so binding a client socket to 127.0.0.2 before
 * connecting makes it a different peer. `Deno.connect` cannot choose its local
 * address; `node:net`'s `localAddress` can.
 */

import { Buffer } from "node:buffer";
import net from "node:net";

/** A TCP client bound to a source address. */
export interface SourcedClient {
  /** Writes `bytes` and waits for that many back; fewer if the server closed first. */
  echo(bytes: Uint8Array): Promise<Uint8Array>;
  /** Resolves with every byte received once the server closed the connection. */
  readonly closed: Promise<Uint8Array>;
  close(): void;
}

/**
 * Connects from `source` (e.g. `127.0.0.2`) to `host:port`.
 *
 * @example
 * ```ts
 * const c = await connectFrom("127.0.0.3", server.port);
 * assert.equal((await c.closed).length, 0); // closed without a byte
 * ```
 */
export function connectFrom(
  source: string,
  port: number,
  host = "127.0.0.1",
): Promise<SourcedClient> {
  const socket = net.connect({ host, port, localAddress: source });
  const received: Buffer[] = [];
  let size = 0;
  let wake: (() => void) | undefined;
  const closed = new Promise<Uint8Array>((resolve) => {
    socket.on("close", () => {
      wake?.();
      resolve(new Uint8Array(Buffer.concat(received)));
    });
  });
  let ended = false;
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    size += chunk.length;
    wake?.();
  });
  socket.on("close", () => ended = true);
  socket.on("error", () => {}); // a reset shows as the close
  const client: SourcedClient = {
    async echo(bytes) {
      const want = size + bytes.length;
      socket.write(bytes);
      while (size < want && !ended) await new Promise<void>((r) => wake = r);
      return new Uint8Array(Buffer.concat(received)).subarray(want - bytes.length, want);
    },
    closed,
    close: () => socket.destroy(),
  };
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(client));
    socket.once("error", reject);
  });
}
