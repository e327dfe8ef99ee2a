/**
 * The chat room: who is here, and everything that is said, announced or replayed.
 * Broadcasts are encoded once per dialect (not per recipient), batched per read, and
 * handed to each member's {@linkcode Outbox} without waiting. A member whose outbox is
 * full holds the room's senders back (`pressure`, see `pressure.ts`) until it catches
 * up; one that takes no bytes at all for `--stall-timeout` is dropped as `too_slow`.
 *
 * @module
 */

import { counted } from "../../lib/numbers.ts";
import type { Output } from "../../lib/output.ts";
import { Announcer } from "./announce.ts";
import { concat, type Outbox } from "./outbox.ts";
import { Pressure } from "./pressure.ts";
import {
  type BatchItem,
  type Dialect,
  encodeBatch,
  encodeFor,
  encodeWelcome,
  type ErrorCode,
  type ErrorReply,
  HELP_LINES,
  type LeaveReason,
  type Limits,
  type MessageRun,
  nameKey,
  nameProblem,
  quote,
  runMessages,
  type ServerMessage,
  type ServerMessageOf,
} from "./protocol.ts";
import type { LineRun } from "./line_run.ts";
import type { Transcript } from "./transcript.ts";
import { UserList } from "./user_list.ts";

/** A connection in the room (or waiting to join it), as the room sees it. */
export interface Member {
  /** The chat name; empty until joined. */
  name: string;
  /** How this client talks; undefined until its first byte arrived. */
  readonly dialect: Dialect | undefined;
  readonly outbox: Outbox;
  /** The connection's id and peer address, for events. */
  readonly id: number;
  readonly peer: string;
  /**
   * Ends the connection: once what is queued has been written (bounded by a grace
   * time) with `flush`, at once without.
   */
  end(options?: { flush?: boolean }): void;
}

/** Options of {@linkcode Room}. */
export interface RoomOptions {
  limits: Limits;
  out: Output;
  /** Wall clock, epoch milliseconds. */
  now: () => number;
  /** `--log FILE`. */
  transcript?: Transcript;
  /** Don't print chat events (`--quiet`). */
  quiet?: boolean;
  /**
   * Milliseconds a member may take no bytes at all while bytes wait for it before it
   * is dropped as `too_slow` (`--stall-timeout`).
   */
  stallTimeout: number;
  /**
   * `--announce-limit`: joins and leaves in a room of more people are summarised
   * (see `announce.ts`); no limit when absent.
   */
  announceLimit?: number;
  /** How often summaries go out, at most (tests shorten it); 10 s by default. */
  summaryEveryMs?: number;
}

/** What the room counts, for the server's summary line. */
export interface RoomStats {
  joins: number;
  messages: number;
  tooSlow: number;
  timeouts: number;
}

/**
 * The room. Members are kept in join order (`who` lists them so).
 *
 * @example
 * ```ts
 * const room = new Room({ limits, out, now: () => Date.now(), stallTimeout: 1000 });
 * const problem = room.join(member, "alice"); // undefined: joined
 * room.say(member, "hi", {});
 * ```
 */
export class Room {
  /** Joined members by {@linkcode nameKey}, in join order. */
  readonly members = new Map<string, Member>();
  readonly stats: RoomStats = { joins: 0, messages: 0, tooSlow: 0, timeouts: 0 };
  /**
   * The members whose outboxes are full: while any is, senders wait before reading
   * more (`await room.pressure.wait()`), and so does anything else that feeds the room.
   */
  readonly pressure = new Pressure();
  readonly #options: RoomOptions;
  readonly #history: ServerMessageOf<"msg">[] = [];
  readonly #announcer: Announcer;

  constructor(options: RoomOptions) {
    this.#options = options;
    this.#announcer = new Announcer({
      limit: options.announceLimit ?? Infinity,
      everyMs: options.summaryEveryMs,
      publish: (joined, left) =>
        this.broadcast({ type: "summary", joined, left, here: this.members.size, ts: this.now() }),
    });
  }

  /** Tells the room that `member`'s outbox became full (true) or has room again. */
  pressured(member: Member, full: boolean): void {
    if (this.has(member)) this.pressure.set(member.outbox, full);
  }

  // The stall check: one coarse sweep over the members, only while there are any,
  // rather than a timer per write.
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /** `shutdown()` began: this server's own people leave with the shutdown notice. */
  #stopping = false;

  #sweepTick(): number {
    return Math.max(10, Math.min(250, this.#options.stallTimeout / 4));
  }

  readonly #sweep = () => {
    if (this.members.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
      return;
    }
    // More than this many ticks without progress: at least stallTimeout passed.
    const ticks = Math.ceil(this.#options.stallTimeout / this.#sweepTick());
    const stalled: Member[] = [];
    for (const member of this.members.values()) {
      if (member.outbox.stalledTicks() > ticks) stalled.push(member);
    }
    for (const member of stalled) {
      this.leave(member, "too_slow");
      member.end();
    }
  };

  /** The limits, as told to clients in `welcome`. */
  get limits(): Limits {
    return this.#options.limits;
  }

  /**
   * The room's clock: epoch milliseconds, for `ts`. Read once per burst of work (until
   * the current task ends): every message of one read gets the same time, and a
   * thousand-line paste does not ask the clock a thousand times.
   */
  now(): number {
    if (this.#clock === undefined) {
      this.#clock = this.#options.now();
      queueMicrotask(this.#tick);
    }
    return this.#clock;
  }

  #clock: number | undefined;
  readonly #tick = () => this.#clock = undefined;

  /** Names of everyone here, in join order. */
  users(): string[] {
    return [...this.members.values()].map((m) => m.name);
  }

  /** Whether `member` is in the room. */
  has(member: Member): boolean {
    return this.#joined.has(member); // asked for every message: no name lookup
  }

  readonly #joined = new Set<Member>();
  /** Everyone's names, encoded, for `welcome`. */
  readonly #names = new UserList(() => this.members.values().map((m) => m.name));

  /**
   * Lets `member` in as `name`: sends it `welcome` and the history, and announces
   * `join` to the others. Returns the error to reply with when the name is invalid or
   * taken or the room is full (`server_full`: the caller then closes the connection).
   */
  join(member: Member, name: string): ErrorReply | undefined {
    const problem = nameProblem(name);
    if (problem) return { code: "name_invalid", message: problem };
    const key = nameKey(name);
    if (this.members.has(key)) {
      return {
        code: "name_taken",
        message: `The name ${
          quote(name)
        } is taken (names are unique ignoring case and lookalike letters)`,
      };
    }
    if (this.members.size >= this.limits.maxClients) {
      return {
        code: "server_full",
        message: `The server is full: ${counted(this.limits.maxClients, "client")} (--max-clients)`,
      };
    }
    this.flush(); // what was said before the newcomer came is not for it
    member.name = name;
    this.members.set(key, member);
    this.#joined.add(member);
    if (member.outbox.full) this.pressure.set(member.outbox, true);
    this.#sweeper ??= setInterval(this.#sweep, this.#sweepTick());
    this.stats.joins++;
    const ts = this.now();
    this.#names.add(name);
    if (member.dialect) {
      const welcome = encodeWelcome(member.dialect, { name, limits: this.limits, ts }, this.#names);
      // A short list is copied into one write; a long one is shared, not copied.
      if (welcome[1].length < SHARED_LIST) this.#sendBytes(member, concat(welcome));
      else for (const part of welcome) this.#sendBytes(member, part);
    }
    for (const message of this.#replayable()) this.send(member, { ...message, history: true });
    const join: ServerMessage = { type: "join", name, ts };
    if (this.#announcer.individually(this.members.size)) this.broadcast(join, member);
    else this.#announcer.joined();
    this.#record(join);
    this.#event("join", { name, id: member.id, peer: member.peer }, `join ${name} (#${member.id})`);
    return undefined;
  }

  /**
   * Takes in `member`, already in the room elsewhere, without a welcome or an
   * announcement: a cluster node's first view of the people on the other nodes.
   */
  seat(member: Member): void {
    this.members.set(nameKey(member.name), member);
    this.#joined.add(member);
    this.#names.changed();
  }

  /**
   * Takes `member` out of the room and announces why to the others; does nothing when
   * it is not in the room. Ending the connection is the caller's business.
   */
  leave(member: Member, reason: LeaveReason): void {
    if (!this.has(member)) return;
    this.flush();
    const announced = this.#announcer.individually(this.members.size);
    this.members.delete(nameKey(member.name));
    this.#joined.delete(member);
    this.#names.changed();
    this.pressure.set(member.outbox, false);
    if (reason === "too_slow") this.stats.tooSlow++;
    if (reason === "timeout") this.stats.timeouts++;
    const leave: ServerMessage = {
      type: "leave",
      name: member.name,
      reason,
      ts: this.now(),
    };
    // At this server's shutdown everyone here gets the shutdown notice instead; another
    // cluster node's shutdown is a leave like any other.
    if (reason !== "shutdown" || !this.#stopping) {
      if (announced) this.broadcast(leave);
      else this.#announcer.left();
    }
    this.#record(leave);
    this.#event(
      "leave",
      { name: member.name, id: member.id, peer: member.peer, reason },
      `leave ${member.name} (#${member.id}, ${reason})`,
    );
  }

  /**
   * Broadcasts `text` from `member` to everyone else; a framed sender gets its own
   * copy with `id`, the acknowledgement.
   */
  say(member: Member, text: string, options: { action?: boolean; id?: string }): void {
    const message: ServerMessageOf<"msg"> = {
      type: "msg",
      from: member.name,
      text,
      ts: this.now(),
    };
    if (options.action) message.action = true;
    this.stats.messages++;
    this.broadcast(message, member);
    if (member.dialect === "framed") {
      this.send(member, options.id === undefined ? message : { ...message, id: options.id });
    }
    this.remember(message);
    this.#record(message);
  }

  /**
   * {@linkcode say} for many plain messages of a line client at once: `lines`, each one
   * a message ended by LF, already checked and encoded for line clients by
   * `prefixLines` in line_run.ts (see {@linkcode MessageRun}). They are batched as one item,
   * and become an object each only for what needs one (framed or ascii8 recipients,
   * `--history`, `--log`).
   */
  sayLines(member: Member, lines: Uint8Array, encoded: LineRun): void {
    const { line, count } = encoded;
    const run: MessageRun = { type: "run", from: member.name, lines, line, count, ts: this.now() };
    this.stats.messages += count;
    this.#queue(run, member);
    if (this.limits.history === 0 && !this.#options.transcript) return;
    for (const message of runMessages(run)) {
      this.remember(message);
      this.#record(message);
    }
  }

  /**
   * Keeps `message` for `--history` (the newest N); `say` does it, and a cluster node
   * fills its history from the room's stream when it starts.
   */
  remember(message: ServerMessageOf<"msg">): void {
    const keep = this.limits.history;
    if (keep === 0) return;
    // A copy of the text: it may be a slice of a whole read's text, which would stay
    // in memory for as long as the history holds the message.
    this.#history.push({ ...message, text: detach(message.text) });
    if (this.#history.length > keep) this.#history.shift();
  }

  /** Sends `text` from `member` to `to` only; the sender gets a copy (with `id`). */
  dm(member: Member, to: string, text: string, id?: string): void {
    const target = this.members.get(nameKey(to));
    if (!target) {
      this.error(member, {
        code: "no_such_user",
        message: `No one called ${quote(to)} is here`,
        ...(id === undefined ? {} : { id }),
      });
      return;
    }
    const message: ServerMessageOf<"dm"> = {
      type: "dm",
      from: member.name,
      to: target.name,
      text,
      ts: this.now(),
    };
    this.stats.messages++;
    if (target !== member) this.send(target, message);
    this.send(member, id === undefined ? message : { ...message, id });
    // The transcript notes that a private message was sent, not what it said.
    this.#record({ type: "dm", from: message.from, to: message.to, ts: message.ts });
  }

  /** Renames `member`, announcing it to everyone (the renamed member included). */
  rename(member: Member, name: string): void {
    const problem = nameProblem(name);
    if (problem) return this.error(member, { code: "name_invalid", message: problem });
    const key = nameKey(name);
    const holder = this.members.get(key);
    if (holder && holder !== member) {
      return this.error(member, {
        code: "name_taken",
        message: `The name ${
          quote(name)
        } is taken (names are unique ignoring case and lookalike letters)`,
      });
    }
    const from = member.name;
    if (from === name) {
      // Nothing changes; the client still hears back, as if it had.
      return this.send(member, { type: "nick", from, to: name, ts: this.now() });
    }
    this.flush();
    // Re-insert under the new key; keep join order for everyone else.
    const order = [...this.members.entries()].map(([k, m]) =>
      m === member ? [key, m] as const : [k, m] as const
    );
    this.members.clear();
    for (const [k, m] of order) this.members.set(k, m);
    member.name = name;
    this.#names.changed();
    const nick: ServerMessage = { type: "nick", from, to: name, ts: this.now() };
    this.broadcast(nick);
    this.#record(nick);
    this.#event(
      "nick",
      { from, to: name, id: member.id, peer: member.peer },
      `nick ${from} -> ${name} (#${member.id})`,
    );
  }

  /** Logs a client turned away before it joined (`bad_password`). */
  refused(member: Member, code: ErrorCode): void {
    this.#event(
      "refused",
      { id: member.id, peer: member.peer, code },
      `refused #${member.id} from ${member.peer} (${code})`,
    );
  }

  /** Answers `who`. */
  who(member: Member): void {
    this.send(member, { type: "who", users: this.users() });
  }

  /** Answers `help`. */
  help(member: Member): void {
    this.send(member, { type: "help", lines: [...HELP_LINES] });
  }

  /** Sends an `error` to `member`. */
  error(member: Member, reply: ErrorReply): void {
    this.send(member, { type: "error", ...reply });
  }

  /**
   * Sends one message to one member, in its dialect. Broadcasts waiting in the batch
   * that this member is to get go out first, so it sees everything in order.
   */
  send(member: Member, message: ServerMessage): void {
    if (!member.dialect) return;
    this.#sendBytes(member, encodeFor(member.dialect, message, { viewer: member.name }));
  }

  /** {@linkcode send} for a message already encoded in `member`'s dialect. */
  #sendBytes(member: Member, bytes: Uint8Array): void {
    if (this.#batch.length > 0 && member !== this.#batchExcept) this.flush();
    member.outbox.send(bytes);
  }

  /**
   * Sends `message` to every member but `except`. Consecutive broadcasts with the same
   * `except` (every line of one read from one sender) are batched until
   * {@linkcode flush}: then the bytes are built once per dialect, the whole batch as one
   * buffer, and that same buffer is queued for every member of the dialect, so a read
   * of a thousand lines costs each recipient one queued chunk and one write.
   */
  broadcast(message: ServerMessage, except?: Member): void {
    this.#queue(message, except);
  }

  #queue(item: BatchItem, except: Member | undefined): void {
    if (this.#batch.length > 0 && except !== this.#batchExcept) this.flush();
    this.#batchExcept = except;
    this.#batch.push(item);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushLater);
    }
  }

  /**
   * Keeps the batch from being flushed at the end of this task: the sender reads again
   * at once (its last read filled its small idle-time buffer, so the rest of a burst
   * is likely waiting), and the broadcasts of that next read join the same writes.
   * Deno completes a read of bytes already there within two microtask turns, without
   * a turn of the event loop; so the batch is flushed after {@linkcode HOLD_TURNS}
   * microtask turns if that read did not come in them. (A timer or `setImmediate`
   * would cost more than the whole burst: Deno 2.9's are Node's, and one
   * `setImmediate` plus its `clearImmediate` takes 10-60 µs here.)
   */
  holdBatch(): void {
    this.#held = true;
    if (this.#holdTurns === 0) queueMicrotask(this.#holdTurn);
    this.#holdTurns = HOLD_TURNS;
  }

  #held = false;
  #holdTurns = 0;
  readonly #holdTurn = () => {
    if (!this.#held) {
      this.#holdTurns = 0;
    } else if (--this.#holdTurns > 0) {
      queueMicrotask(this.#holdTurn);
    } else {
      this.flush();
    }
  };

  /** Queues the batched broadcasts for their recipients (see {@linkcode broadcast}). */
  flush(): void {
    this.#held = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    const except = this.#batchExcept;
    this.#batch = [];
    this.#batchExcept = undefined;
    let framed: Uint8Array | undefined;
    let line: Uint8Array | undefined;
    let ascii8: Uint8Array | undefined;
    for (const member of this.members.values()) {
      if (member === except) continue;
      switch (member.dialect) {
        case "line":
          member.outbox.send(line ??= encodeBatch("line", batch));
          break;
        case "framed":
          member.outbox.send(framed ??= encodeBatch("framed", batch));
          break;
        case "ascii8":
          member.outbox.send(ascii8 ??= encodeBatch("ascii8", batch));
          break;
      }
    }
  }

  #batch: BatchItem[] = [];
  #batchExcept: Member | undefined;
  #flushScheduled = false;
  readonly #flushLater = () => {
    this.#flushScheduled = false;
    if (!this.#held) this.flush();
  };

  /**
   * Tells each of `members` (joined or not) that the server is shutting down, notes
   * their leave, and ends each connection once the notice is written.
   */
  shutdown(members: Iterable<Member>): void {
    this.#stopping = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#announcer.stop();
    this.flush();
    const notice: ServerMessage = {
      type: "shutdown",
      message: "server shutting down",
      ts: this.now(),
    };
    const bytes = new Map<Dialect, Uint8Array>();
    for (const member of members) {
      if (member.dialect) {
        let encoded = bytes.get(member.dialect);
        if (!encoded) bytes.set(member.dialect, encoded = encodeFor(member.dialect, notice));
        member.outbox.send(encoded);
      }
      this.leave(member, "shutdown");
      member.end({ flush: true });
    }
  }

  /**
   * The newest history messages that fit in half of a client's `--max-queue`: replaying
   * more would drop every newcomer as too slow before it could read its welcome.
   */
  #replayable(): ServerMessageOf<"msg">[] {
    const budget = this.limits.maxQueue / 2;
    let used = 0;
    let from = this.#history.length;
    while (from > 0) {
      const m = this.#history[from - 1];
      const size = 3 * (m.text.length + m.from.length) + 128; // UTF-8 worst case + JSON
      if (used + size > budget) break;
      used += size;
      from--;
    }
    return this.#history.slice(from);
  }

  #record(message: ServerMessage | { type: "dm"; from: string; to: string; ts: number }): void {
    this.#options.transcript?.write(message);
  }

  #event(event: string, fields: Record<string, unknown>, human: string): void {
    if (!this.#options.quiet) this.#options.out.log(event, fields, human);
  }
}

/** A welcome's list of names this long is queued as the shared bytes, not copied. */
const SHARED_LIST = 2048;

/**
 * Microtask turns a held batch waits for its sender's next read (Deno completes a read
 * of bytes already there in two; the rest is margin, at well under a microsecond each).
 */
const HOLD_TURNS = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A string with the same characters that shares no memory with `text`. */
function detach(text: string): string {
  return decoder.decode(encoder.encode(text));
}
