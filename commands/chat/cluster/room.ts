/**
 * `ClusterRoom`: the chat {@linkcode Room} of a `chat-serve --cluster` node. Its actions
 * (join, say, `/me`, dm, rename, leave) are published to the room's Redis stream; what
 * its clients see comes only from reading that stream back, so every node delivers the
 * same events in the same order. People on other nodes are "ghosts" here: members
 * without a connection, so the room's own code (`who`, names, renames, history) sees
 * the whole room and its broadcasts reach only this node's clients. The design is in
 * `docs/ARCHITECTURE.md`, "One room over many machines".
 *
 * @module
 */

import { within } from "../../../lib/pause.ts";
import { Outbox } from "../outbox.ts";
import {
  type ErrorReply,
  type LeaveReason,
  nameKey,
  nameProblem,
  quote,
  runTexts,
  type ServerMessageOf,
} from "../protocol.ts";
import { type Member, Room, type RoomOptions } from "../room.ts";
import { type Beat, type Heartbeat, startHeartbeat } from "./heartbeat.ts";
import { type Link, neverRan } from "./link.ts";
import {
  type ClusterEvent,
  compareIds,
  decodeEvent,
  encodeEvent,
  type Entry,
  readStream,
} from "./stream.ts";
import type { ClusterTarget } from "./url.ts";

/** Options of {@linkcode ClusterRoom.start}. */
export interface ClusterRoomOptions extends RoomOptions {
  link: Link;
  target: ClusterTarget;
  /** This node's id (random per start). */
  node: string;
  /** `--node-timeout`, milliseconds. */
  nodeTimeout: number;
}

/** What the cluster counts, for the summary and `--json`. */
export interface ClusterStats {
  node: string;
  nodesSeen: number;
  published: number;
  received: number;
  linkLosses: number;
  refused: number;
  reaped: number;
  /** Times the node came back to find entries it had not read trimmed away. */
  gaps: number;
}

/** Someone on another node. */
interface Ghost extends Member {
  readonly node: string;
}

/**
 * The outbox every ghost has: ghosts have no dialect, so the room never queues anything
 * for them, and an empty outbox is never full nor stalled.
 */
const GHOST_OUTBOX = new Outbox({ write: () => Promise.resolve(0) }, { limit: 1 });

function ghost(node: string, conn: number, name: string): Ghost {
  return {
    name,
    dialect: undefined,
    outbox: GHOST_OUTBOX,
    id: conn,
    peer: `node ${node}`,
    node,
    end() {},
  };
}

function isGhost(member: Member): member is Ghost {
  return (member as Ghost).node !== undefined;
}

/**
 * Messages of one publish, between the script's call and its answer. When the link goes
 * down with the script sent, the answer is lost but the script may have run: the
 * node's entry in `P published` says which, once the link is back.
 */
interface InFlight {
  /** The `seq` of each of its events, in order. */
  seqs: number[];
  /** Read back already: it is in the stream. */
  seen: boolean;
  count: number;
  /** Tells the sender it was refused (nothing of it reached the room). */
  refuse: () => void;
}

/** Most messages of one client published by one script call. */
const MAX_BATCH = 256;

/**
 * The stream's cap (`XADD MAXLEN ~`) for a `--history`.
 *
 * @example
 * ```ts
 * streamCap(20); // 10000
 * ```
 */
export function streamCap(history: number): number {
  return Math.max(10_000, 2 * history);
}

/**
 * The room of one cluster node.
 *
 * @example
 * ```ts
 * const room = await ClusterRoom.start({ limits, out, now, link, target, node, nodeTimeout });
 * // ... serve sessions with it ...
 * await room.stop();
 * ```
 */
export class ClusterRoom extends Room {
  readonly #o: ClusterRoomOptions;
  readonly #link: Link;
  readonly #key: string;
  /** This node's people by connection id: joining, joined, or leaving. */
  readonly #local = new Map<number, Member>();
  /** Published their join; not read back yet. */
  readonly #joining = new Set<Member>();
  /** Published their leave; not read back yet. */
  readonly #leaving = new Set<Member>();
  /** Leaves that happened while the link was down, published when it is back. */
  #unsent: ClusterEvent[] = [];
  readonly #nodes = new Set<string>();
  readonly #stop = new AbortController();
  #reader: Promise<string> | undefined;
  #heart: Heartbeat | undefined;
  #publishing = new Set<Promise<unknown>>();
  /** The id of the last entry delivered. */
  #lastId = "0-0";
  /** The `seq` of this node's last event. */
  #seq = 0;
  /** Publishes not answered yet, by the `seq` of each of their events. */
  readonly #inFlight = new Map<number, InFlight>();
  /** Publishes whose answer the link lost: settled once it is back. */
  #unsure: InFlight[] = [];
  /**
   * The `seq` of each local member's latest join: its own events are told apart from
   * those of an earlier join of the same connection (refused, then taken back).
   */
  readonly #joinSeq = new WeakMap<Member, number>();
  /** The `ts` of the event being delivered: every node shows the publisher's time. */
  #ts: number | undefined;
  readonly cluster: ClusterStats;

  private constructor(options: ClusterRoomOptions) {
    super(options);
    this.#o = options;
    this.#link = options.link;
    this.#key = options.target.prefix + "events";
    this.cluster = {
      node: options.node,
      nodesSeen: 1,
      published: 0,
      received: 0,
      linkLosses: 0,
      refused: 0,
      reaped: 0,
      gaps: 0,
    };
    this.#nodes.add(options.node);
  }

  /**
   * Joins the cluster: the first heartbeat, a snapshot of who is here (and the history),
   * then the stream reader and the heartbeat run until {@linkcode stop}.
   */
  static async start(options: ClusterRoomOptions): Promise<ClusterRoom> {
    const room = new ClusterRoom(options);
    try {
      await room.#begin();
    } catch (err) {
      room.#stop.abort(); // the heartbeat's timer, started first
      throw err;
    }
    return room;
  }

  async #begin(): Promise<void> {
    const link = this.#link;
    this.#heart = startHeartbeat(link, {
      node: this.#o.node,
      nodeTimeout: this.#o.nodeTimeout,
      onBeat: (beat) => this.#afterBeat(beat),
      signal: this.#stop.signal,
    });
    await this.#heart.beat();
    const snap = await link.script("snapshot", []) as [string, ...string[][]];
    const [from, ...people] = snap;
    people.sort((a, b) => compareIds(a[4], b[4]));
    for (const [, name, node, conn] of people) {
      this.seat(ghost(node, Number(conn), name));
      this.#nodes.add(node);
    }
    this.#countNodes();
    if (this.limits.history > 0 && from !== "0-0") await this.#loadHistory(from);
    this.#reader = readStream(link, {
      key: this.#key,
      from,
      deliver: (entries) => this.#deliver(entries),
      ready: () => this.#drained(),
      signal: this.#stop.signal,
    });
  }

  async #loadHistory(upTo: string): Promise<void> {
    const want = this.limits.history;
    const found: ServerMessageOf<"msg">[] = [];
    let end = upTo;
    // Newest first, in pages, until enough messages or the stream's start.
    for (let page = 0; found.length < want && page < 100; page++) {
      const reply = await this.#link.command(
        ["XREVRANGE", this.#key, end, "-", "COUNT", "1000"],
      ) as [string, string[]][];
      if (reply.length === 0) break;
      for (const [, fields] of reply) {
        const record: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
        const event = decodeEvent(record);
        if (event?.type !== "msg") continue;
        const message: ServerMessageOf<"msg"> = {
          type: "msg",
          from: event.from,
          text: event.text,
          ts: event.ts,
        };
        if (event.action) message.action = true;
        found.push(message);
        if (found.length === want) break;
      }
      const oldest = reply[reply.length - 1][0];
      end = "(" + oldest;
      if (reply.length < 1000) break;
    }
    for (const message of found.reverse()) this.remember(message);
  }

  /**
   * Leaves the cluster (SIGTERM): waits for this node's last publishes (its people's
   * `shutdown` leaves), takes the node out of the room and closes the link.
   */
  async stop(): Promise<void> {
    await within(Promise.allSettled([...this.#publishing]), 500);
    if (this.#link.up) await within(this.#settleUnsure(), 300);
    this.#stop.abort();
    if (this.#link.up) {
      await within(this.#link.script("bye", [this.#o.node]).catch(() => {}), 300);
    }
    await this.#link.close();
    if (this.#reader) await within(this.#reader, 300);
  }

  /** Cluster numbers for the summary line. */
  clusterStats(): ClusterStats {
    this.cluster.linkLosses = this.#link.losses;
    return { ...this.cluster };
  }

  override now(): number {
    return this.#ts ?? super.now();
  }

  override has(member: Member): boolean {
    if (this.#leaving.has(member)) return false;
    return this.#joining.has(member) || super.has(member);
  }

  // -------------------------------------------------------------------------------------
  // What this node's clients do: published, delivered when read back.

  override join(member: Member, name: string): ErrorReply | undefined {
    const problem = nameProblem(name);
    if (problem) return { code: "name_invalid", message: problem };
    const key = nameKey(name);
    if (this.members.has(key) || this.#joiningAs(key)) return taken(name);
    if (this.members.size + this.#joining.size >= this.limits.maxClients) {
      return {
        code: "server_full",
        message: `The room is full: ${this.limits.maxClients} people (--max-clients)`,
      };
    }
    if (!this.#link.up) return this.#refused();
    member.name = name;
    this.#joining.add(member);
    this.#local.set(member.id, member);
    const event: ClusterEvent = { type: "join", name, ...this.#origin(member) };
    this.#joinSeq.set(member, event.seq!);
    const ttl = this.#o.nodeTimeout;
    this.#publish("join", [this.#o.node, member.id, key, name, ttl, encodeEvent(event)], {
      taken: () => {
        this.#forget(member);
        this.error(member, taken(name));
      },
      failed: (err) => {
        // A lost reply is not a lost join: the reader may have read it back already
        // (the two connections race), and then the member is in the room.
        if (!this.#joining.has(member)) return "published";
        this.#forget(member);
        this.error(member, this.#unavailable());
        // Or, sent and unanswered, it entered the stream unseen: take it back
        // (owner-checked) when the link is up, so that the others do not keep a name
        // nobody here holds.
        if (!neverRan(err)) {
          this.#unsent.push({ type: "leave", name, reason: "error", ...this.#origin(member) });
        }
      },
    });
    return undefined;
  }

  override say(member: Member, text: string, options: { action?: boolean; id?: string }): void {
    if (!this.#link.up) return this.error(member, this.#refused(options.id));
    const event: ClusterEvent = { type: "msg", from: member.name, text, ...this.#origin(member) };
    if (options.action) event.action = true;
    if (options.id !== undefined) event.id = options.id;
    this.#publishAs(member, event, options.id);
  }

  /** Each message is published on its own: the stream holds messages, not runs. */
  override sayLines(member: Member, lines: Uint8Array): void {
    for (const text of runTexts(lines)) this.say(member, text, {});
  }

  override dm(member: Member, to: string, text: string, id?: string): void {
    const target = this.members.get(nameKey(to));
    if (!target) return super.dm(member, to, text, id); // no_such_user
    if (!this.#link.up) return this.error(member, this.#refused(id));
    const event: ClusterEvent = {
      type: "dm",
      from: member.name,
      to: target.name,
      text,
      ...this.#origin(member),
    };
    if (id !== undefined) event.id = id;
    this.#publishAs(member, event, id);
  }

  override rename(member: Member, name: string): void {
    const key = nameKey(name);
    const holder = this.members.get(key);
    if (nameProblem(name) || (holder && holder !== member) || member.name === name) {
      return super.rename(member, name); // the errors, or a rename to the same name
    }
    if (this.#joiningAs(key)) return this.error(member, taken(name));
    if (!this.#link.up) return this.error(member, this.#refused());
    const from = member.name;
    const event: ClusterEvent = { type: "nick", from, to: name, ...this.#origin(member) };
    const args = [this.#o.node, member.id, nameKey(from), key, name, this.#o.nodeTimeout];
    this.#publish("nick", [...args, encodeEvent(event)], {
      taken: () => this.error(member, taken(name)),
      lost: () => this.error(member, this.#notHere()),
      failed: () => this.error(member, this.#unavailable()),
    });
  }

  override leave(member: Member, reason: LeaveReason): void {
    if (isGhost(member)) return super.leave(member, reason);
    if (!this.has(member)) return;
    const joined = super.has(member);
    this.#joining.delete(member);
    this.#leaving.add(member);
    // Its leave comes back from the stream later; its outbox must not hold the reader
    // (nor the room's senders) back meanwhile.
    this.pressure.set(member.outbox, false);
    const event: ClusterEvent = {
      type: "leave",
      name: member.name,
      reason,
      ...this.#origin(member),
    };
    const local = () => {
      // Not published (link down, or the name was already lost): this node's clients hear
      // of it now, the others when the link is back (or from the reaper).
      this.#leaving.delete(member);
      this.#local.delete(member.id);
      if (joined) super.leave(member, reason);
    };
    if (!this.#link.up) {
      this.#unsent.push(event);
      return local();
    }
    this.#publish("leave", [this.#o.node, member.id, nameKey(member.name), encodeEvent(event)], {
      lost: local,
      failed: () => {
        this.#unsent.push(event);
        local();
      },
    });
  }

  /**
   * Publishes a message of `member`'s. The messages one read of one client produced go
   * out as one script call (one round of work for Redis, one command for the client
   * library), in order, once the read is handled.
   */
  #publishAs(member: Member, event: ClusterEvent, id?: string): void {
    const open = this.#open;
    if (open && open.member === member && open.events.length < MAX_BATCH) {
      open.events.push(encodeEvent(event));
      open.ids.push(id);
      open.seqs.push(event.seq!);
      return;
    }
    this.#sendOpen();
    this.#open = { member, events: [encodeEvent(event)], ids: [id], seqs: [event.seq!] };
    queueMicrotask(this.#sendLater);
  }

  /** Messages of one member waiting to be published together. */
  #open: {
    member: Member;
    events: string[];
    ids: (string | undefined)[];
    seqs: number[];
  } | undefined;
  readonly #sendLater = () => this.#sendOpen();

  #sendOpen(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    const { member, events, ids, seqs } = open;
    const refuse = (reply: (id?: string) => ErrorReply) => {
      for (const id of ids) this.error(member, reply(id));
    };
    const unavailable = () => refuse((id) => this.#unavailable(id));
    const flight: InFlight = { seqs, seen: false, count: events.length, refuse: unavailable };
    for (const seq of seqs) this.#inFlight.set(seq, flight);
    this.#publish(
      "publish",
      [this.#o.node, member.id, nameKey(member.name), seqs.at(-1)!, ...events],
      { lost: () => refuse((id) => this.#notHere(id)), failed: unavailable },
      flight,
    );
  }

  /**
   * Runs a publishing script. Scripts go out on one connection in the order they are
   * called (messages waiting to go out together go first), so one client's events enter
   * the stream in the order it sent them.
   */
  #publish(
    script: "join" | "publish" | "leave" | "nick",
    args: (string | number)[],
    on: {
      taken?: () => void;
      lost?: () => void;
      /** Refuses it, or says it was published after all. */
      failed: (err?: unknown) => "published" | void;
    },
    flight?: InFlight,
  ): void {
    if (script !== "publish") this.#sendOpen();
    const done = this.#link.script(script, args).then((reply) => {
      if (flight) this.#land(flight);
      if (reply === "taken") return on.taken?.();
      if (reply === "lost") return void (on.lost ?? on.failed)();
      this.cluster.published += flight?.count ?? 1;
    }, (err) => {
      if (flight) {
        // Sent, then the link went down: it may have run. Not refused on a guess, or a
        // sender who tries again would say it twice.
        if (!neverRan(err) && !flight.seen) return void this.#unsure.push(flight);
        return this.#settle(flight, flight.seen);
      }
      if (on.failed(err) === "published") this.cluster.published++;
      else this.cluster.refused++;
    });
    this.#publishing.add(done);
    done.finally(() => this.#publishing.delete(done));
  }

  #origin(member: Member): { node: string; conn: number; ts: number; seq: number } {
    return { node: this.#o.node, conn: member.id, ts: this.now(), seq: ++this.#seq };
  }

  /** `flight` was answered (or settled): its events are no longer looked out for. */
  #land(flight: InFlight): void {
    for (const seq of flight.seqs) this.#inFlight.delete(seq);
  }

  /**
   * Settles the publishes whose answer the link lost, now that it is back: the publish
   * script notes the `seq` of the node's last batch in `P published`, atomically with
   * it, so each batch up to that one ran and went out; the rest never ran, and their
   * senders hear so.
   */
  async #settleUnsure(): Promise<void> {
    const unsure = this.#unsure;
    if (unsure.length === 0) return;
    this.#unsure = [];
    let last: number;
    try {
      const noted = await this.#link.command([
        "HGET",
        this.#o.target.prefix + "published",
        this.#o.node,
      ]);
      last = Number(noted ?? 0);
    } catch {
      this.#unsure.push(...unsure); // down again: settled the next time it is up
      return;
    }
    for (const flight of unsure) this.#settle(flight, flight.seen || flight.seqs.at(-1)! <= last);
  }

  /** `flight`'s answer, known at last: it went out (`ran`), or its sender is refused. */
  #settle(flight: InFlight, ran: boolean): void {
    this.#land(flight);
    if (ran) {
      this.cluster.published += flight.count;
    } else {
      this.cluster.refused += flight.count;
      flight.refuse();
    }
  }

  #joiningAs(key: string): boolean {
    for (const m of this.#joining) if (nameKey(m.name) === key) return true;
    return false;
  }

  #forget(member: Member): void {
    this.#joining.delete(member);
    this.#local.delete(member.id);
    member.name = "";
  }

  #unavailable(id?: string): ErrorReply {
    return {
      code: "cluster_unavailable",
      message: `The room's Redis (${this.#o.target.address}) is out of reach; ` +
        `nothing was sent, try again when the room is whole`,
      ...(id === undefined ? {} : { id }),
    };
  }

  /** The refusal of something a client sent while the link is down (counted). */
  #refused(id?: string): ErrorReply {
    this.cluster.refused++;
    return this.#unavailable(id);
  }

  #notHere(id?: string): ErrorReply {
    return {
      code: "not_joined",
      message: "This name is no longer held in the room; nothing was sent",
      ...(id === undefined ? {} : { id }),
    };
  }

  // -------------------------------------------------------------------------------------
  // What the stream says: delivered to this node's clients.

  #deliver(entries: Entry[]): void {
    this.#lastId = entries[entries.length - 1].id;
    for (const { event } of entries) {
      this.cluster.received++;
      if (event.seq !== undefined && event.node === this.#o.node) {
        const flight = this.#inFlight.get(event.seq);
        if (flight) flight.seen = true;
      }
      if (!this.#nodes.has(event.node)) {
        this.#nodes.add(event.node);
        this.#countNodes();
      }
      this.#ts = event.ts;
      try {
        this.#apply(event);
      } finally {
        this.#ts = undefined;
      }
    }
    this.flush();
  }

  #apply(event: ClusterEvent): void {
    const mine = event.node === this.#o.node;
    switch (event.type) {
      case "join": {
        if (mine) {
          const member = this.#local.get(event.conn);
          if (!member || !this.#joining.has(member)) return; // a re-announced join
          // An earlier join of this connection's, refused here and taken back since.
          if (event.seq !== undefined && event.seq !== this.#joinSeq.get(member)) return;
          this.#joining.delete(member);
          const problem = super.join(member, event.name);
          if (problem) this.error(member, problem);
          return;
        }
        const key = nameKey(event.name);
        const there = this.members.get(key);
        if (there && isGhost(there) && there.node === event.node) return; // re-announced
        super.join(ghost(event.node, event.conn, event.name), event.name);
        return;
      }
      case "leave": {
        if (mine) {
          // By connection: someone who left before their join was read back is not in
          // the room here, but still to be forgotten.
          const member = this.#local.get(event.conn);
          if (!member) return;
          // The take-back of an earlier, refused join of this connection's.
          if (event.seq !== undefined && event.seq < (this.#joinSeq.get(member) ?? 0)) return;
          // Others took this node for dead while it was cut off: its people are still
          // here, and the beat re-announces them.
          if (event.reason === "node_lost" && !this.#leaving.has(member)) return;
          this.#leaving.delete(member);
          this.#local.delete(member.id);
          if (super.has(member)) super.leave(member, event.reason);
          return;
        }
        const member = this.#sender(event, event.name);
        if (!member) return;
        super.leave(member, event.reason);
        return;
      }
      case "msg": {
        const member = this.#sender(event, event.from);
        if (!member) return;
        const id = mine ? event.id : undefined;
        super.say(member, event.text, { action: event.action, id });
        return;
      }
      case "dm": {
        const member = this.#sender(event, event.from);
        if (member) super.dm(member, event.to, event.text, mine ? event.id : undefined);
        return;
      }
      case "nick": {
        const member = this.#sender(event, event.from);
        if (member) super.rename(member, event.to);
        return;
      }
    }
  }

  /** The member an event is from: this node's by connection, a ghost by name. */
  #sender(event: ClusterEvent, name: string): Member | undefined {
    if (event.node === this.#o.node) {
      const member = this.#local.get(event.conn);
      return member && super.has(member) ? member : undefined;
    }
    const member = this.members.get(nameKey(name));
    return member && isGhost(member) && member.node === event.node ? member : undefined;
  }

  /**
   * Backpressure: the reader reads the next batch only once no client here has a full
   * outbox (the room's own gate, which holds its senders back too). A client that takes
   * no bytes for `--stall-timeout` is dropped by the room's sweep, so one stuck client
   * holds the room back once, not for ever.
   */
  async #drained(): Promise<void> {
    await this.pressure.wait();
  }

  // -------------------------------------------------------------------------------------
  // The link and the heartbeat.

  /** The link went down: every client here hears it once. */
  linkDown(): void {
    for (const member of this.#local.values()) {
      if (super.has(member)) this.error(member, this.#unavailable());
    }
  }

  /** The link is back: publish what waited, beat at once, tell the clients. */
  linkUp(): void {
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const event of unsent) {
      if (event.type !== "leave") continue;
      this.#link.script("leave", [event.node, event.conn, nameKey(event.name), encodeEvent(event)])
        .catch((err) => {
          if (!neverRan(err)) this.#unsent.push(event); // lost again: the next time it is up
        });
    }
    this.#heart?.beat();
    // Taken now: the reader is reading on already, and once it has delivered what came
    // after the gap, its last id no longer shows the gap.
    const lastId = this.#lastId;
    // What was refused in the outage is said before the room is said to be whole.
    this.#settleUnsure().finally(() => this.#tellRestored(lastId));
  }

  async #tellRestored(lastId: string): Promise<void> {
    const first = await this.#link.script("trimmed", []).catch(() => "0-0") as string;
    // The stream holds a suffix of the room's events: the entry after `lastId` is gone
    // when the oldest one kept is newer than `lastId` (or, in the rare case that the
    // trim stopped right after `lastId`, it is said with nothing lost).
    const gap = lastId !== "0-0" && compareIds(first, lastId) > 0;
    if (gap) this.cluster.gaps++;
    for (const member of this.#local.values()) {
      if (!super.has(member)) continue;
      if (gap) {
        this.send(member, {
          type: "notice",
          code: "cluster_gap",
          message: "the room said more while this server was cut off than Redis keeps; " +
            "some of it is missing here",
        });
      }
      this.send(member, {
        type: "notice",
        code: "cluster_restored",
        message: "the room is whole again",
      });
    }
  }

  async #afterBeat(beat: Beat): Promise<void> {
    this.cluster.reaped += beat.reaped;
    if (beat.status === "ok") return;
    // Redis lost the room, or the others took this node for dead: claim its people's
    // names again (and after a reap, announce them again: the others saw them leave).
    const args: (string | number)[] = [this.#o.node, this.#o.nodeTimeout];
    args.push(beat.status === "reaped" ? "1" : "0");
    const people = [...this.#local.values()].filter((m) => super.has(m));
    for (const m of people) {
      const event: ClusterEvent = { type: "join", name: m.name, ...this.#origin(m) };
      args.push(m.id, nameKey(m.name), m.name, encodeEvent(event));
    }
    const lost = await this.#link.script("rejoin", args).catch(() => []) as string[];
    for (const conn of lost) {
      const member = this.#local.get(Number(conn));
      if (!member) continue;
      this.error(member, taken(member.name));
      this.leave(member, "error");
      member.end({ flush: true });
    }
  }

  #countNodes(): void {
    this.cluster.nodesSeen = this.#nodes.size;
  }
}

function taken(name: string): ErrorReply {
  return {
    code: "name_taken",
    message: `The name ${quote(name)} is taken (names are unique ignoring case)`,
  };
}
