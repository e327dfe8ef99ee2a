/**
 * Redis for the cluster tests: a `redis-server` of their own on a free loopback port
 * (no persistence, never a system one), ready when it answers PING, stopped by PID; and
 * a TCP proxy between one node and Redis that can cut that node's link and heal it.
 *
 * @module
 */

import { freePort, hasTool, LineReader } from "./helpers.ts";

/** A redis-server started by {@linkcode startRedis}. */
export interface RedisServer {
  port: number;
  url: string;
  /** The running server's process id (for CPU figures). */
  readonly pid: number;
  /** Kills it (SIGKILL) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** PEM files for a TLS-only redis-server (`startRedis({ tls })`). */
export interface RedisTls {
  cert: string;
  key: string;
  /** The CA of client certificates; Redis wants one even when it asks for none. */
  ca: string;
}

/**
 * Whether to skip a Redis test; prints why when skipping.
 *
 * @example
 * ```ts
 * Deno.test({ name: "cluster: ...", ignore: noRedis(), fn: async () => {} });
 * ```
 */
export function noRedis(): boolean {
  if (hasTool("redis-server")) return false;
  console.log("skip: redis-server not installed (.ci/run installs it)");
  return true;
}

/** Sends one inline command and reads the first reply line. */
async function ask(port: number, command: string): Promise<string | undefined> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode(command + "\r\n"));
      const buf = new Uint8Array(512);
      const n = await conn.read(buf);
      return n === null ? undefined : new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0];
    } finally {
      conn.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Redis's own CPU time so far, in seconds (`INFO cpu`: user + system, from getrusage, in
 * microseconds); undefined when it does not answer. Finer than /proc's clock ticks,
 * which a short burst does not even fill.
 *
 * @example
 * ```ts
 * const before = await redisCpuSeconds(redis.port);
 * ```
 */
export async function redisCpuSeconds(port: number): Promise<number | undefined> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("INFO cpu\r\n"));
      let text = "";
      const buf = new Uint8Array(4096);
      // A bulk reply: "$LEN" then LEN bytes; read until the fields are all in.
      while (!/used_cpu_user:[\d.]+\r\n/.test(text)) {
        const n = await conn.read(buf);
        if (n === null) return undefined;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      const field = (name: string) => Number(text.match(new RegExp(`${name}:([\\d.]+)`))?.[1]);
      return field("used_cpu_sys") + field("used_cpu_user");
    } finally {
      conn.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` and waits
 * until it answers PING; with `tls`, port P speaks only TLS (`rediss://`).
 *
 * @example
 * ```ts
 * await using redis = await startRedis();
 * await startSockit(["chat-serve", "--port", "0", "--cluster", redis.url]);
 * ```
 */
export async function startRedis(
  options: { args?: string[]; tls?: RedisTls } = {},
): Promise<RedisServer> {
  const port = freePort();
  const { tls } = options;
  // With TLS, the port speaks only TLS (--port 0 turns the plain one off).
  const listen = tls
    ? [
      ...["--port", "0", "--tls-port", String(port), "--tls-auth-clients", "no"],
      ...["--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.ca],
    ]
    : ["--port", String(port)];
  let proc: Deno.ChildProcess | undefined;
  const spawn = async () => {
    proc = new Deno.Command("redis-server", {
      args: [
        ...listen,
        ...["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ...options.args ?? [],
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // Ready when its log says so.
    const log = new LineReader(proc.stdout);
    const ready = await log.until((line) => line.includes("Ready to accept connections"), 10_000)
      .catch(() => undefined);
    await log.cancel(); // redis-server ignores SIGPIPE: a closed log does not stop it
    // It answers (NOAUTH too, with --requirepass): it is this server, up. (A TLS port
    // is taken at its log's word: an inline PING would need a handshake first.)
    const answer = ready === undefined ? undefined : tls ? "+PONG" : await ask(port, "PING");
    if (!answer || !/^(\+PONG|-NOAUTH)/.test(answer)) {
      throw new Error(`redis-server on port ${port} did not start`);
    }
  };
  const kill = async () => {
    if (!proc) return;
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.status;
    proc = undefined;
  };
  await spawn();
  return {
    port,
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    get pid() {
      return proc?.pid ?? 0;
    },
    kill,
    restart: spawn,
    [Symbol.asyncDispose]: kill,
  };
}

/** A proxy made by {@linkcode startProxy}. */
export interface Proxy {
  port: number;
  url: string;
  /** Closes every proxied connection and refuses (closes at once) new ones. */
  cut(): void;
  /** Lets connections through again. */
  heal(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A TCP proxy on a loopback port to `127.0.0.1:target`.
 *
 * @example
 * ```ts
 * await using proxy = startProxy(redis.port);
 * proxy.cut(); // the node behind it loses Redis
 * proxy.heal();
 * ```
 */
export function startProxy(target: number): Proxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let cut = false;
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        let at = 0;
        while (at < n) at += await to.write(buf.subarray(at, n));
      }
    } catch { /* cut or closed */ }
    for (const c of [from, to]) {
      open.delete(c);
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) return;
        continue;
      }
      if (cut) {
        conn.close();
        continue;
      }
      try {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
        open.add(conn).add(upstream);
        pipe(conn, upstream);
        pipe(upstream, conn);
      } catch {
        conn.close();
      }
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const close = async () => {
    try {
      listener.close();
    } catch { /* closed */ }
    for (const c of open) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    open.clear();
    await accepting;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      open.clear();
    },
    heal() {
      cut = false;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
