/**
 * The least a Deno chat server can do, as a yardstick for `deno task bench chat`: the
 * shared Node reference (`../shared/bench/ref/chat_node.js`) written on `Deno.listen`.
 * Each read's complete lines go to every other client unmodified, as one write per
 * recipient: at once when nothing is being written to it, else queued behind that
 * write, so every write goes out whole and in order. No
 * names, limits, flow control or logging: what sockit's fan-out is measured against to
 * see what its chat costs on top of the runtime, and which goals lie beyond the runtime
 * itself.
 *
 * Usage: `deno run --allow-net bench/chat_bare_server.ts PORT`
 *
 * @module
 */

const MAX_LINE = 64 * 1024;

interface Client {
  conn: Deno.Conn;
  /** A write to it is in progress; `queue` waits behind it. */
  busy: boolean;
  queue: Uint8Array[];
}

const clients = new Set<Client>();

function send(c: Client, bytes: Uint8Array): void {
  if (c.busy) c.queue.push(bytes);
  else pump(c, bytes);
}

async function pump(c: Client, first: Uint8Array): Promise<void> {
  c.busy = true;
  try {
    for (let next: Uint8Array | undefined = first; next; next = c.queue.shift()) {
      for (let off = 0; off < next.length;) off += await c.conn.write(next.subarray(off));
    }
  } catch {
    /* the client went away */
  } finally {
    c.busy = false;
  }
}

async function serve(me: Client): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  let pending: Uint8Array | undefined;
  try {
    for (;;) {
      const n = await me.conn.read(buf);
      if (n === null) break;
      let data = buf.subarray(0, n);
      if (pending) {
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(data, pending.length);
        data = joined;
      }
      const nl = data.lastIndexOf(10);
      if (nl < 0) {
        pending = data.length > MAX_LINE ? undefined : data.slice();
        continue;
      }
      const complete = data.slice(0, nl + 1); // `buf` is read into again
      pending = nl + 1 < data.length ? data.slice(nl + 1) : undefined;
      for (const c of clients) if (c !== me) send(c, complete);
    }
  } catch {
    /* reset */
  } finally {
    clients.delete(me);
    try {
      me.conn.close();
    } catch { /* closed */ }
  }
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(Deno.args[0]) });
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch {
      continue; // a connection reset before it was accepted, or no fds for a moment
    }
    const client = { conn, busy: false, queue: [] };
    clients.add(client);
    serve(client);
  }
}
