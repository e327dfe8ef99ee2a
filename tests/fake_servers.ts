/**
 * Hand-written loopback servers for client tests: each test decides, per connection or
 * per datagram, how the server misbehaves (corrupts a byte, never answers, says
 * garbage, answers 30 s ahead). Disposing one (`await using`) closes the socket and
 * every connection and waits for its loops, so nothing leaks into the next test.
 *
 * @module
 */

const LOOPBACK = "127.0.0.1";

/** A running {@linkcode fakeTcpServer}. */
export interface FakeTcpServer {
  port: number;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that serves each connection with `handle`, then closes it
 * (a handler's error just ends its connection).
 *
 * @example
 * ```ts
 * await using server = fakeTcpServer(async (conn) => {
 *   await conn.write(new TextEncoder().encode("garbage\r\n"));
 * });
 * await runSockit(["time-fetch", `127.0.0.1:${server.port}`]);
 * ```
 */
export function fakeTcpServer(handle: (conn: Deno.TcpConn) => Promise<void>): FakeTcpServer {
  const listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const handlers: Promise<void>[] = [];
  const loop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      conns.add(conn);
      handlers.push(
        handle(conn).catch(() => {}).finally(() => {
          conns.delete(conn);
          closeQuietly(conn);
        }),
      );
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      for (const conn of conns) closeQuietly(conn);
      await Promise.all(handlers);
    },
  };
}

/**
 * A handler for {@linkcode fakeTcpServer} that answers each read with what `answer`
 * returns for the bytes read (nothing when it returns undefined), until the peer closes.
 *
 * @example
 * ```ts
 * await using echo = fakeTcpServer(replying((bytes) => bytes));
 * ```
 */
export function replying(
  answer: (bytes: Uint8Array) => Uint8Array | undefined,
): (conn: Deno.TcpConn) => Promise<void> {
  return async (conn) => {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      const reply = answer(buf.slice(0, n));
      let off = 0;
      while (reply && off < reply.length) off += await conn.write(reply.subarray(off));
    }
  };
}

/** A running {@linkcode fakeUdpServer}. */
export interface FakeUdpServer {
  port: number;
  [Symbol.asyncDispose](): Promise<void>;
  /** Every datagram received so far. */
  requests: Uint8Array[];
  /** Resolves when the first datagram has arrived. */
  firstRequest: Promise<void>;
}

/**
 * A UDP server on 127.0.0.1 that answers each datagram with what `answer` returns for
 * it (`n` counts the datagrams from 1), or not at all for `undefined`.
 *
 * @example
 * ```ts
 * await using silent = fakeUdpServer(() => undefined);
 * await using echo = fakeUdpServer((bytes) => bytes);
 * ```
 */
export function fakeUdpServer(
  answer: (
    request: Uint8Array,
    n: number,
  ) => Uint8Array | undefined | Promise<Uint8Array | undefined>,
): FakeUdpServer {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  const requests: Uint8Array[] = [];
  const first = Promise.withResolvers<void>();
  const loop = (async () => {
    for (;;) {
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = await socket.receive();
      } catch {
        return; // closed
      }
      requests.push(data);
      first.resolve();
      const reply = await answer(data, requests.length);
      if (reply) await socket.send(reply, from).catch(() => {});
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    requests,
    firstRequest: first.promise,
    async [Symbol.asyncDispose]() {
      socket.close();
      await loop;
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed by the handler or the peer */ }
}
