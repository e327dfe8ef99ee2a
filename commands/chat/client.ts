/**
 * The chat client's connection to a `chat-serve`, in the framed dialect: dialing,
 * the `hello`/`welcome` handshake, sending with ids and matching acknowledgements,
 * replies to `who`/`nick`, the end of a session (left, shutdown notice, lost), and
 * `--reconnect` with bounded exponential backoff and jitter. What the user sees is the
 * caller's business: every server message and status change is handed to callbacks.
 *
 * @module
 */

import { type Address, formatAddress } from "../../lib/address.ts";
import { closeQuietly } from "../../lib/close.ts";
import { formatDuration } from "../../lib/duration.ts";
import {
  ConnectError,
  ExitCode,
  netError,
  ProtocolError,
  SockitError,
  TimeoutError,
} from "../../lib/errors.ts";
import { FrameError, lengthPrefixDecoder, U32_SKIP_LIMIT } from "../../lib/framing.ts";
import type { Io } from "../../lib/io.ts";
import { dial, type DialedConn } from "../../lib/net.ts";
import type { TlsClientOptions } from "../../lib/tls_flags.ts";
import { counted } from "../../lib/numbers.ts";
import type { Tracer } from "../../lib/trace.ts";
import { type KeepAlive, keepAlive, pingEvery } from "./keepalive.ts";
import {
  type ClientMessage,
  encodeFrame,
  nameKey,
  parseServerMessage,
  sanitize,
  type ServerMessage,
  type ServerMessageOf,
} from "./protocol.ts";

/** How a session ended for good. */
export type Ending =
  /** We said bye (the server closed, or we stopped waiting for it to). */
  | { kind: "left" }
  /** The server said it is shutting down, then closed. */
  | { kind: "shutdown"; message: string }
  /** The connection broke or the server closed it without a word. */
  | { kind: "lost"; error: SockitError };

/** A change in the connection, for the user to see. */
export type Status =
  | { kind: "disconnected"; reason: string; reconnect: boolean }
  | { kind: "reconnecting"; attempt: number; delayMs: number }
  | { kind: "reconnected"; name: string; resent: number };

/** A message of ours the server refused (an `error` reply). */
export interface Rejection {
  /** What was refused, when the error could be matched to it. */
  message?: ClientMessage;
  error: ServerMessageOf<"error">;
}

/** The user gave up choosing a name (Ctrl-C at the name prompt). */
export class JoinCancelled extends Error {
  constructor() {
    super("no name chosen");
    this.name = "JoinCancelled";
  }
}

/** Options of {@linkcode ChatClient.join}. */
export interface ChatClientOptions {
  address: Address;
  name: string;
  io: Pick<Io, "resolve">;
  /** Milliseconds for connecting and the welcome together, and for each acknowledgement. */
  timeout: number;
  /** Re-join after a lost connection instead of ending. */
  reconnect?: boolean;
  /** Speak TLS (`--tls`); plain TCP when absent. */
  tls?: TlsClientOptions;
  /** The room's password (`--password-file`, `SOCKIT_CHAT_PASSWORD`), sent in `hello`. */
  password?: string;
  /**
   * Milliseconds between pings (`--keepalive`; 0 or absent: none); more often when the
   * server's idle timeout is shorter. A server silent for `timeout` after a ping is lost.
   */
  keepalive?: number;
  trace?: Tracer;
  /**
   * The name was taken or refused: return another to try on the same connection, or
   * undefined to give up. Absent: give up at once.
   */
  chooseName?: (name: string, error: ServerMessageOf<"error">) => Promise<string | undefined>;
  /** Every message from the server, `welcome` first; `own` marks the acknowledgements. */
  onMessage?: (message: ServerMessage, own: boolean) => void;
  onStatus?: (status: Status) => void;
  /** For the backoff's jitter; `Math.random` by default. */
  random?: () => number;
  /** Cancels joining (dialing and the handshake); {@linkcode ChatClient.join} then rejects. */
  signal?: AbortSignal;
  /** The backoff's first delay and cap in milliseconds (tests shorten them). */
  backoff?: { base: number; cap: number };
}

/** Reconnect attempts in a row before giving up (about a minute with the default backoff). */
export const MAX_RECONNECT_ATTEMPTS = 10;

/** The message types the server acknowledges by echoing their `id`. */
const ACKED = new Set(["say", "me", "dm"]);

/** The `id` prefix of keepalive pings, whose pongs are not shown. */
const KEEPALIVE_ID = "keepalive-";

/** Whether a reply's `id` is that of a keepalive ping. */
function isKeepalive(id: unknown): boolean {
  return typeof id === "string" && id.startsWith(KEEPALIVE_ID);
}

/** How long `leave()` waits for the server to close after `bye`, at most. */
const BYE_WAIT_MS = 2000;

/** The largest frame read from a server (16 MiB less one: the framed dialect's cap). */
const MAX_SERVER_FRAME = U32_SKIP_LIMIT;

/**
 * The delay before reconnect attempt `attempt` (1, 2, ...): exponential from `base`,
 * capped at `cap`, with "equal jitter" (half fixed, half random) so that many clients
 * cut off together do not all come back at the same instant.
 *
 * @example
 * ```ts
 * backoffDelay(1, { random: () => 0 }); // 125 (half of 250)
 * backoffDelay(3, { random: () => 1 }); // 1000
 * backoffDelay(20, { random: () => 1 }); // 10000 (the cap)
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: { base?: number; cap?: number; random?: () => number } = {},
): number {
  const base = options.base ?? 250;
  const cap = options.cap ?? 10_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * One TCP connection speaking the framed dialect: a read loop that hands each decoded
 * message to `onMessage`, and ordered writes.
 */
class Session {
  /** Where each decoded server message goes; switched from handshake to chat. */
  onMessage: (message: ServerMessage) => void = () => {};
  /** Resolves when the connection ends: with the error, or without at a clean EOF. */
  readonly closed: Promise<{ error?: SockitError }>;
  #conn: DialedConn;
  #where: string;
  #trace?: Tracer;
  #writing: Promise<void> = Promise.resolve();
  #isClosed = false;
  #failure: SockitError | undefined;

  constructor(conn: DialedConn, where: string, trace?: Tracer) {
    this.#conn = conn;
    this.#where = where;
    this.#trace = trace;
    this.closed = this.#read().then(
      () => this.#failure ? { error: this.#failure } : {},
      (error: SockitError) => ({ error }),
    );
  }

  /** Closes the connection as lost for `error` (a server that stopped answering). */
  fail(error: SockitError): void {
    this.#failure ??= error;
    this.close();
  }

  send(message: ClientMessage): void {
    const bytes = encodeFrame(message);
    this.#writing = this.#writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
      this.#trace?.("write", this.#where, bytes);
    }).catch(() => {
      // The read side sees the broken connection and reports it.
    });
  }

  /** Waits for the writes so far to reach the socket. */
  flushed(): Promise<void> {
    return this.#writing;
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    closeQuietly(this.#conn);
  }

  async #read(): Promise<void> {
    const decoder = lengthPrefixDecoder({ maxLength: MAX_SERVER_FRAME });
    const buf = new Uint8Array(64 * 1024);
    const deliver = (frame: Uint8Array) => {
      const message = parseServerMessage(frame);
      if (!message) {
        throw new ProtocolError(
          `read tcp ${this.#where}: the server sent a frame that is not a JSON message: ` +
            preview(frame),
          { hint: "is it a sockit chat-serve?" },
        );
      }
      this.onMessage(message);
    };
    try {
      for (;;) {
        let n: number | null;
        try {
          n = await this.#conn.read(buf);
        } catch (err) {
          if (this.#isClosed) return; // we closed it
          throw netError(err, { op: "read", transport: "tcp", address: this.#where });
        }
        if (n === null) {
          decoder.finish(() => {});
          return;
        }
        this.#trace?.("read", this.#where, buf.subarray(0, n));
        decoder.push(buf.subarray(0, n), deliver);
      }
    } catch (err) {
      if (err instanceof FrameError) {
        throw new ProtocolError(`read tcp ${this.#where}: ${err.message}`, {
          cause: err,
          hint: "is it a sockit chat-serve?",
        });
      }
      throw err;
    } finally {
      this.close();
    }
  }
}

function preview(bytes: Uint8Array): string {
  const text = sanitize(new TextDecoder().decode(bytes.subarray(0, 60)));
  return JSON.stringify(bytes.length > 60 ? text + "…" : text);
}

/**
 * A joined chat session, re-joined after a lost connection with `reconnect`.
 *
 * @example
 * ```ts
 * const client = await ChatClient.join({
 *   address: { host: "127.0.0.1", port: 5555 }, name: "alice", io: systemIo(), timeout: 5000,
 *   onMessage: (m) => console.log(m),
 * });
 * client.send({ type: "say", text: "hello" });
 * await client.settled();
 * await client.leave();
 * ```
 */
export class ChatClient {
  /** Our name as the server knows it (it changes with a `nick`). */
  name: string;
  /** The last `welcome`. */
  welcome!: ServerMessageOf<"welcome">;
  /** Every message of ours the server refused. */
  readonly rejections: Rejection[] = [];
  /** Resolves when the session is over for good. */
  readonly ended: Promise<Ending>;

  #options: ChatClientOptions;
  #where: string;
  #session?: Session;
  #pending = new Map<string, { message: ClientMessage; sentAt: number }>();
  /** Replies expected without an id (`who`, `nick`, `help`), in the order asked. */
  #awaiting: { message: ClientMessage; sentAt: number }[] = [];
  /** Non-acknowledged messages sent while reconnecting, to send once back. */
  #outbox: ClientMessage[] = [];
  #nextId = 1;
  #leaving = false;
  #shutdown?: string;
  #end!: (ending: Ending) => void;
  #finished = false;
  #stop = new AbortController();
  #progress = new Set<() => void>();
  /** When the server last answered one of ours (for the acknowledgement timeout). */
  #answeredAt = 0;
  #keepAlive: KeepAlive | undefined;
  #pings = 0;
  /** The server refused our password: re-joining cannot help. */
  #refused = false;

  private constructor(options: ChatClientOptions) {
    this.#options = options;
    this.name = options.name;
    this.#where = formatAddress(options.address);
    this.ended = new Promise((resolve) => this.#end = resolve);
  }

  /**
   * Connects, says hello and waits for the welcome.
   *
   * @throws {ResolveError} exit 3, {@linkcode ConnectError} exit 4 (refused, or the
   * server is full), {@linkcode TimeoutError} exit 5 (no connection or no welcome within
   * `timeout`), {@linkcode ProtocolError} exit 6 (not a chat server), or a
   * {@linkcode SockitError} exit 1 when the name is taken or refused and no other was
   * chosen.
   */
  static async join(options: ChatClientOptions): Promise<ChatClient> {
    const client = new ChatClient(options);
    await client.#connect(true, options.signal);
    return client;
  }

  /** Where the client is connected, as `HOST:PORT`. */
  get address(): string {
    return this.#where;
  }

  /** Messages sent and not yet acknowledged (or refused). */
  get unacknowledged(): number {
    return this.#pending.size;
  }

  /** Whether the session is between connections (with `reconnect`). */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /**
   * Sends a message. `say`, `me` and `dm` get an id (returned) and count as pending
   * until the server acknowledges or refuses them; `who`, `nick` and `help` until their
   * reply comes. While reconnecting, messages wait and go out once re-joined.
   */
  send(message: ClientMessage): string | undefined {
    if (this.#leaving || this.#finished) return undefined;
    let id: string | undefined;
    let full = message;
    if (ACKED.has(message.type)) {
      id = `c${this.#nextId++}`;
      full = { ...message, id } as ClientMessage;
      this.#pending.set(id, { message: full, sentAt: Date.now() });
    } else if (message.type === "who" || message.type === "nick" || message.type === "help") {
      this.#awaiting.push({ message, sentAt: Date.now() });
    }
    if (this.#session) this.#session.send(full);
    else if (!id) this.#outbox.push(full);
    return id;
  }

  /**
   * Resolves when every message sent so far has been acknowledged or refused and
   * every reply has come; waits while reconnecting.
   *
   * @throws {TimeoutError} exit 5 when one was not answered within `timeout` of being
   * sent.
   */
  settled(): Promise<void> {
    return this.#waitUntil(() => this.#pending.size === 0 && this.#awaiting.length === 0);
  }

  /**
   * Resolves when fewer than `limit` messages are waiting for their acknowledgement (so
   * a script piping a million lines keeps a bounded number in flight).
   *
   * @throws {TimeoutError} as {@linkcode settled}.
   */
  window(limit: number): Promise<void> {
    return this.#waitUntil(() => this.#pending.size < limit);
  }

  /**
   * Says bye and waits (briefly) for the server to close, so nothing unread is left
   * to turn the close into a reset; then the session has ended with `left`.
   */
  async leave(): Promise<void> {
    if (this.#finished) return;
    this.#leaving = true;
    this.#stop.abort();
    const session = this.#session;
    if (session) {
      session.send({ type: "bye" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        session.closed,
        new Promise((resolve) =>
          timer = setTimeout(resolve, Math.min(this.#options.timeout, BYE_WAIT_MS))
        ),
      ]);
      clearTimeout(timer);
      session.close();
      await session.closed;
    }
    this.#finish({ kind: "left" });
  }

  /** Closes at once without a bye (the session ends as `left`). */
  async close(): Promise<void> {
    this.#leaving = true;
    this.#stop.abort();
    const session = this.#session;
    session?.close();
    await session?.closed;
    this.#finish({ kind: "left" });
  }

  #finish(ending: Ending): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#keepAlive?.stop();
    this.#session = undefined;
    this.#stop.abort();
    this.#wakeAll();
    this.#end(ending);
  }

  async #connect(first: boolean, cancel?: AbortSignal): Promise<void> {
    const { address, io, timeout, trace, tls } = this.#options;
    const signal = cancel ? AbortSignal.any([this.#stop.signal, cancel]) : this.#stop.signal;
    const conn = await dial(address, { io, timeout, signal, tls });
    const session = new Session(conn, this.#where, trace);
    // Reset before the handshake, not after it: messages read together with the welcome
    // (a shutdown notice, replies) are handled before the handshake's await returns.
    this.#shutdown = undefined;
    // The replies still expected on the old connection will not come.
    this.#awaiting = [];
    const onAbort = () => session.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      this.welcome = await this.#handshake(session, first);
    } catch (err) {
      session.close();
      await session.closed;
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    this.#session = session;
    // Whatever was not acknowledged on the old connection goes again, in order.
    const now = Date.now();
    for (const entry of this.#pending.values()) {
      entry.sentAt = now;
      session.send(entry.message);
    }
    for (const message of this.#outbox.splice(0)) this.send(message);
    this.#keepAlive?.stop();
    const everyMs = pingEvery(this.#options.keepalive ?? 0, this.welcome.limits?.idleTimeout);
    const alive = everyMs > 0
      ? keepAlive({
        everyMs,
        timeoutMs: this.#options.timeout,
        ping: () => session.send({ type: "ping", id: `${KEEPALIVE_ID}${++this.#pings}` }),
        onLost: () =>
          session.fail(
            new ConnectError(
              `chat ${this.#where}: the server did not answer a ping within ${
                formatDuration(this.#options.timeout)
              }`,
              { hint: "--reconnect re-joins automatically; raise --timeout if it is slow" },
            ),
          ),
      })
      : undefined;
    this.#keepAlive = alive;
    session.closed.then((result) => {
      alive?.stop();
      this.#lost(session, result.error);
    });
  }

  /** Hello → welcome, asking for another name while it is taken (first join only). */
  #handshake(session: Session, first: boolean): Promise<ServerMessageOf<"welcome">> {
    const { timeout } = this.#options;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          session.close();
          reject(
            new TimeoutError(
              `join ${this.#where}: no welcome within ${formatDuration(timeout)}`,
              { hint: "is it a sockit chat-serve? raise --timeout if it is slow" },
            ),
          );
        }, timeout);
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      let asking = false;
      session.onMessage = (message) => {
        if (asking) return;
        if (message.type === "welcome") {
          clearTimeout(timer);
          // Everything after builds on it (the name we go by, who is here): a welcome
          // without them is not one.
          if (!isWelcome(message)) {
            return fail(
              new ProtocolError(`join ${this.#where}: a welcome without a name and users`, {
                hint: "is it a sockit chat-serve?",
              }),
            );
          }
          this.name = message.name;
          // From here on messages go to the chat; the welcome first. This happens
          // synchronously, so history sent in the same read is not lost.
          session.onMessage = (m) => this.#handle(m);
          this.#options.onMessage?.(message, false);
          resolve(message);
          return;
        }
        if (message.type === "error") {
          const chooser = first ? this.#options.chooseName : undefined;
          const refusal = this.#refusalOf(message, chooser !== undefined);
          if (refusal) return fail(refusal);
          clearTimeout(timer); // the user is typing: no deadline
          asking = true;
          chooser!(this.name, message).then((name) => {
            asking = false;
            if (name === undefined) return fail(new JoinCancelled());
            this.name = name;
            arm();
            session.send(this.#hello());
          }, fail);
          return;
        }
        fail(
          new ProtocolError(
            `join ${this.#where}: expected a welcome, got ${
              JSON.stringify(sanitize(message.type))
            }`,
            { hint: "is it a sockit chat-serve?" },
          ),
        );
      };
      session.closed.then(({ error }) => {
        fail(
          error ??
            new ConnectError(
              `join ${this.#where}: the server closed the connection before a welcome`,
              {
                hint: "is it a sockit chat-serve?",
              },
            ),
        );
      });
      arm();
      session.send(this.#hello());
    });
  }

  /**
   * The error a hello's refusal ends the join with; undefined for a name refused when
   * another may be asked for (`mayAsk`).
   */
  #refusalOf(message: ServerMessageOf<"error">, mayAsk: boolean): Error | undefined {
    const problem = sanitize(String(message.message));
    switch (message.code) {
      case "server_full":
        return new ConnectError(`join ${this.#where}: the server is full`, { hint: problem });
      case "bad_password":
        this.#refused = true;
        return new SockitError(`join ${this.#where}: ${problem}`, ExitCode.checkFailed, {
          hint: "give the room's password with --password-file FILE or $SOCKIT_CHAT_PASSWORD",
        });
      case "name_taken":
      case "name_invalid":
        if (mayAsk) return undefined;
        return new SockitError(
          `join ${this.#where} as "${this.name}": ${problem}`,
          ExitCode.checkFailed,
          { hint: "choose another name with --name" },
        );
      default:
        return new ProtocolError(`join ${this.#where}: the server refused hello: ${problem}`);
    }
  }

  #hello(): ClientMessage {
    const { password } = this.#options;
    return password === undefined
      ? { type: "hello", name: this.name }
      : { type: "hello", name: this.name, password };
  }

  /** A server message during the chat: bookkeeping, then the caller's callback. */
  #handle(message: ServerMessage): void {
    this.#keepAlive?.heard();
    let own = false;
    switch (message.type) {
      case "pong":
        // Keepalive pongs are for us; a pong to the user's /ping is shown.
        if (isKeepalive(message.id)) return;
        break;
      case "msg":
      case "dm":
        if (message.id !== undefined && this.#pending.delete(message.id)) own = true;
        break;
      case "error": {
        // Told that we send faster than --rate: nothing was refused, only slowed down.
        if (message.code === "rate_limited") break;
        // A server that does not know ping refuses it: it answered, so it is alive.
        if (isKeepalive(message.id)) return;
        if (message.id !== undefined && this.#pending.has(message.id)) {
          this.rejections.push({ message: this.#pending.get(message.id)!.message, error: message });
          this.#pending.delete(message.id);
          own = true;
        } else if (message.id === undefined) {
          // A refused nick answers without an id; so may anything else refused.
          const asked = this.#awaiting.shift();
          own = true;
          this.rejections.push({ message: asked?.message, error: message });
        }
        break;
      }
      case "who":
      case "help":
        if (this.#awaiting[0]?.message.type === message.type) {
          this.#awaiting.shift();
          own = true;
        }
        break;
      case "nick":
        if (typeof message.from === "string" && nameKey(message.from) === nameKey(this.name)) {
          this.name = message.to;
          if (this.#awaiting[0]?.message.type === "nick") this.#awaiting.shift();
          own = true;
        }
        break;
      case "shutdown":
        this.#shutdown = typeof message.message === "string" ? message.message : "";
        break;
    }
    this.#options.onMessage?.(message, own);
    if (own) {
      this.#answeredAt = Date.now();
      this.#wakeAll();
    }
  }

  /** The connection ended: finish, or with `reconnect` start re-joining. */
  #lost(session: Session, error?: SockitError): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    if (this.#leaving) return this.#finish({ kind: "left" });
    const shutdown = this.#shutdown;
    const reason = shutdown !== undefined
      ? `the server shut down${shutdown ? `: ${sanitize(shutdown)}` : ""}`
      : error?.message ?? `connection to ${this.#where} closed by the server`;
    const reconnect = this.#options.reconnect ?? false;
    if (error instanceof ProtocolError) {
      return this.#finish({ kind: "lost", error }); // reconnecting would not help
    }
    this.#options.onStatus?.({ kind: "disconnected", reason, reconnect });
    if (!reconnect) {
      if (shutdown !== undefined) return this.#finish({ kind: "shutdown", message: shutdown });
      return this.#finish({
        kind: "lost",
        error: error ??
          new ConnectError(`read tcp ${this.#where}: connection closed by the server`, {
            hint: "--reconnect re-joins automatically",
          }),
      });
    }
    void this.#rejoin(error);
  }

  async #rejoin(cause?: SockitError): Promise<void> {
    let last: SockitError = cause ??
      new ConnectError(`read tcp ${this.#where}: connection closed by the server`);
    for (let attempt = 1; attempt <= MAX_RECONNECT_ATTEMPTS; attempt++) {
      const delayMs = backoffDelay(attempt, {
        random: this.#options.random,
        ...this.#options.backoff,
      });
      this.#options.onStatus?.({ kind: "reconnecting", attempt, delayMs });
      if (!await this.#sleep(delayMs)) return; // left meanwhile
      try {
        await this.#connect(false);
        this.#options.onStatus?.({
          kind: "reconnected",
          name: this.name,
          resent: this.#pending.size,
        });
        this.#wakeAll();
        return;
      } catch (err) {
        if (this.#leaving || this.#finished) return;
        last = err instanceof SockitError ? err : netError(err, {
          op: "join",
          address: this.#where,
        });
        if (last instanceof ProtocolError || this.#refused) break;
      }
    }
    this.#finish({
      kind: "lost",
      error: new SockitError(
        `join ${this.#where}: gave up re-joining after ${MAX_RECONNECT_ATTEMPTS} attempts: ${last.message}`,
        last.exitCode,
        { cause: last },
      ),
    });
  }

  /** Waits `ms`; false when the client stopped meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #wakeAll(): void {
    for (const wake of [...this.#progress]) wake();
  }

  /** Waits until `done()`, failing when the oldest pending message is overdue. */
  async #waitUntil(done: () => boolean): Promise<void> {
    const { timeout } = this.#options;
    while (!done()) {
      if (this.#finished) return;
      let overdueIn = Infinity;
      if (this.#session) {
        const oldest = this.#oldestSentAt();
        if (oldest !== undefined) {
          // Answers come in order: while the server keeps answering, the ones behind
          // are not overdue (a server pacing us with --rate answers steadily, slowly).
          overdueIn = Math.max(oldest, this.#answeredAt) + timeout - Date.now();
          if (overdueIn <= 0) {
            throw new TimeoutError(
              `chat ${this.#where}: ${
                counted(this.#pending.size + this.#awaiting.length, "message")
              } not acknowledged within ${formatDuration(timeout)}`,
              { hint: "raise --timeout if the server is slow" },
            );
          }
        }
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      let wake!: () => void;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#progress.add(wake);
        if (overdueIn !== Infinity) timer = setTimeout(resolve, overdueIn);
      });
      this.#progress.delete(wake);
      clearTimeout(timer);
    }
  }

  #oldestSentAt(): number | undefined {
    const times: number[] = [];
    const first = this.#pending.values().next();
    if (!first.done) times.push(first.value.sentAt);
    if (this.#awaiting.length > 0) times.push(this.#awaiting[0].sentAt);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}

/** Whether a `welcome` has what the client needs of it: its name and who is here. */
function isWelcome(message: ServerMessageOf<"welcome">): boolean {
  const { name, users } = message as { name: unknown; users: unknown };
  return typeof name === "string" && name !== "" && Array.isArray(users) &&
    users.every((u) => typeof u === "string");
}
