/**
 * One chat connection, from its first byte to its close: which dialect it speaks, the
 * read loop (one reused buffer; every complete frame of a read handled synchronously;
 * before each read, whatever holds reading back is waited for: see
 * {@linkcode ReadHold}), and what each message does in the room. Oversize messages are answered with
 * `too_long` and skipped without being buffered; a malformed frame header (a framed
 * length of 16 MiB or more, an ascii8 header that is not digits) gets `bad_frame` and
 * the connection is closed.
 *
 * @module
 */

import {
  ascii8Decoder,
  type FrameDecoder,
  FrameError,
  lengthPrefixDecoder,
  lineDecoder,
} from "../../lib/framing.ts";
import { isDisconnect } from "../../lib/errors.ts";
import type { Connection } from "../../lib/server/mod.ts";
import { prefixLines } from "./line_run.ts";
import { Outbox } from "./outbox.ts";
import { type PasswordCheck, passwordProblem } from "./password.ts";
import { PlainText } from "./plain_text.ts";
import {
  type ClientMessage,
  decodeText,
  type Dialect,
  parseClientMessage,
  parseCommandLine,
  sanitize,
} from "./protocol.ts";
import { Pacer, type Rate, rateLimitedMessage } from "./rate.ts";
import type { Member, Room } from "./room.ts";

/** How the server reads its clients. */
export interface SessionSettings {
  /** `auto`: the first byte picks framed (0x00) or line; `ascii8`: everyone speaks ascii8. */
  framing: "auto" | "ascii8";
  /** Most UTF-8 bytes of text in one message. */
  maxMessage: number;
  /** Largest framed payload read (the JSON around the text included). */
  maxFrame: number;
  /** Largest line or ascii8 payload read (room for `/msg NAME ` before the text). */
  maxLine: number;
  /** Bytes queued for one client past which its senders wait (`--max-queue`). */
  maxQueue: number;
  /** Longest wait for queued bytes to be written before a connection is closed anyway. */
  flushGrace: number;
  /** `--rate`: most messages per period from one client; more are delayed. */
  rate?: Rate;
  /** `--password-file`: the room's password, which every client must give to join. */
  password?: PasswordCheck;
}

/**
 * The read buffer of a connection starts at this size (an idle chat client costs
 * little: it is most of what an idle client holds), grows to at least
 * {@linkcode GROWN_READ_BUFFER} and then doubles each time a read fills it, up to
 * {@linkcode MAX_READ_BUFFER} (a client pasting or flooding is read in big gulps:
 * fewer reads, and each read's broadcasts go out as one bigger write per recipient),
 * and drops back when reads are small again.
 */
export const MIN_READ_BUFFER = 1024;
/** The size a read buffer grows to when a read first fills it. */
export const GROWN_READ_BUFFER = 64 * 1024;
/** The largest read buffer of a connection. */
export const MAX_READ_BUFFER = 256 * 1024;

/**
 * How often a connection whose reading is held back is marked active, so that
 * `--idle-timeout` (whose sweep ticks every 50 ms at the fastest) never drops a client
 * for the server's own pause.
 */
const HELD_TOUCH_MS = 25;

const encoder = new TextEncoder();

/**
 * Something that may hold a connection's next read back (the room being full, a rate
 * limit): undefined to read now, or a promise to wait for, after which every hold is
 * asked again. Cheap when nothing holds: it is asked before every read.
 *
 * @example
 * ```ts
 * session.holdReads(() => room.pressure.wait());
 * ```
 */
export type ReadHold = () => Promise<void> | undefined;

/**
 * Serves one chat connection. Create it when the runtime hands over a connection,
 * then `await session.run()`.
 *
 * @example
 * ```ts
 * tcp: async (c) => await new Session(c, room, settings).run(),
 * ```
 */
export class Session implements Member {
  name = "";
  dialect: Dialect | undefined;
  readonly outbox: Outbox;
  readonly id: number;
  readonly peer: string;
  readonly #c: Connection;
  readonly #room: Room;
  readonly #settings: SessionSettings;
  #decoder: FrameDecoder | undefined;
  readonly #plain = new PlainText();
  /** Input is no longer handled (quit, error, dropped, shutting down). */
  #ending = false;
  #ended = false;
  readonly #holds: ReadHold[] = [];
  #closed: Promise<void>;
  #markClosed!: () => void;
  /** `--rate`: holds this client's messages over the rate (and then its reads). */
  readonly #pacer: Pacer | undefined;
  /** Gave the room's password (or the room has none). */
  #admitted: boolean;
  /** A line or ascii8 client's name, kept while its password is asked for. */
  #nameAsked: string | undefined;

  constructor(c: Connection, room: Room, settings: SessionSettings) {
    this.#c = c;
    this.#room = room;
    this.#settings = settings;
    this.id = c.id;
    this.peer = c.peer;
    this.#closed = new Promise((resolve) => this.#markClosed = resolve);
    this.outbox = new Outbox(c, {
      limit: settings.maxQueue,
      onPressure: (full) => room.pressured(this, full),
      onError: () => this.end(),
    });
    if (settings.framing === "ascii8") this.#speak("ascii8");
    // Its own replies (errors, acknowledgements, /who) fill only its own outbox: a client
    // that does not read them is not read from. Joined, it waits for the whole room.
    this.holdReads(() => this.outbox.full ? this.outbox.flushed() : room.pressure.wait());
    this.#admitted = settings.password === undefined;
    const rate = settings.rate;
    this.#pacer = rate && new Pacer(rate, {
      handle: (frame) => this.#frame(frame),
      afterRelease: () => {
        c.touch(); // the client sent these; it is not idle while they wait here
        room.flush();
      },
      onLimited: () =>
        room.error(this, { code: "rate_limited", message: rateLimitedMessage(rate) }),
    });
    // Over --rate: read nothing more while messages are held (TCP slows the sender).
    const pacer = this.#pacer;
    if (pacer) this.holdReads(() => pacer.holding ? pacer.idle() : undefined);
  }

  /**
   * Adds a hold on this connection's reading: before each read, the read loop waits
   * for every hold that returns a promise (see {@linkcode ReadHold}).
   */
  holdReads(hold: ReadHold): void {
    this.#holds.push(hold);
  }

  /** Resolves when input stops being handled (made only when a hold is waited for). */
  #untilEnding(): Promise<void> {
    return this.#endingNow ??= new Promise((resolve) => this.#markEnding = resolve);
  }

  #endingNow: Promise<void> | undefined;
  #markEnding: (() => void) | undefined;

  /** The first hold that holds reading back now, if any. */
  #held(): Promise<void> | undefined {
    if (this.#ending) return undefined; // a lingering close drains whatever comes
    for (const hold of this.#holds) {
      const wait = hold();
      if (wait !== undefined) return wait;
    }
    return undefined;
  }

  /** Reads and handles the client's input until it leaves or the connection ends. */
  async run(): Promise<void> {
    const c = this.#c;
    let buf = new Uint8Array(MIN_READ_BUFFER);
    const pacer = this.#pacer;
    const onFrame = pacer
      ? (frame: Uint8Array) => this.#room.has(this) ? pacer.admit(frame) : this.#frame(frame)
      : (frame: Uint8Array) => this.#frame(frame);
    try {
      for (;;) {
        for (let held = this.#held(); held !== undefined; held = this.#held()) {
          // The client's input waits on us, not the other way round: not idle meanwhile.
          const awake = setInterval(() => c.touch(), HELD_TOUCH_MS);
          await Promise.race([held, this.#untilEnding()]);
          clearInterval(awake);
          c.touch();
        }
        let n: number | null;
        try {
          n = await c.read(buf);
        } catch (err) {
          if (this.#ended || isDisconnect(err)) break;
          throw err;
        }
        if (n === null) {
          if (!this.#ending) this.#endOfInput(onFrame);
          break;
        }
        const chunk = buf.subarray(0, n);
        if (this.#ending) continue; // dropped: this client's goodbye is under way
        if (!this.dialect) this.#speak(chunk[0] === 0 ? "framed" : "line");
        if (this.dialect === "line") this.#plain.prepare(chunk);
        try {
          this.#decoder!.push(chunk, onFrame);
          // This read's broadcasts go out as one chunk per recipient; when it filled the
          // small buffer of an idle client, together with those of the next read.
          if (n === MIN_READ_BUFFER) this.#room.holdBatch();
          else this.#room.flush();
        } catch (err) {
          if (!(err instanceof FrameError)) throw err;
          this.#room.error(this, { code: "bad_frame", message: err.message });
          this.#room.leave(this, "error");
          this.end({ flush: true });
          continue;
        }
        // Frames were views into `buf` and are all handled: it may be replaced now.
        if (n === buf.length && n < MAX_READ_BUFFER) {
          buf = new Uint8Array(Math.max(GROWN_READ_BUFFER, n * 2));
        } else if (n <= MIN_READ_BUFFER / 4 && buf.length > MIN_READ_BUFFER) {
          buf = new Uint8Array(MIN_READ_BUFFER);
        }
      }
    } finally {
      this.#room.leave(this, "disconnect"); // no-op when already gone for another reason
      this.end({ flush: true });
    }
    await this.#closed;
  }

  /**
   * Stops handling input and closes the connection: with `flush`, once what is queued
   * has been written or the flush grace ran out.
   */
  end(options: { flush?: boolean } = {}): void {
    this.#ending = true;
    this.#markEnding?.();
    this.#pacer?.stop();
    if (this.#ended) return;
    this.#ended = true;
    if (!options.flush || this.outbox.closed) return this.#close();
    const timer = setTimeout(() => this.#close(), this.#settings.flushGrace);
    this.outbox.flushed().then(() => {
      clearTimeout(timer);
      // The flush grace may have closed the connection already (closing the outbox is
      // what ended the wait); otherwise the goodbye must not be lost to a reset.
      if (this.outbox.closed) return this.#close();
      this.#c.lingeringClose().then(() => this.#close());
    });
  }

  #close(): void {
    this.outbox.close();
    this.#c.close();
    this.#markClosed();
  }

  /** The idle timeout ran out: tell the client, announce it, close. */
  timeout(): void {
    if (this.#room.has(this)) {
      this.#room.send(this, {
        type: "leave",
        name: this.name,
        reason: "timeout",
        ts: this.#room.now(),
      });
      this.#room.leave(this, "timeout");
    }
    this.end({ flush: true });
  }

  #speak(dialect: Dialect): void {
    this.dialect = dialect;
    const s = this.#settings;
    const onOversize = (length: number) => {
      const max = dialect === "framed" ? s.maxFrame : s.maxLine;
      const what = dialect === "line" ? "Line" : "Frame";
      const size = dialect === "line" ? `more than ${max}` : `${length}`;
      this.#room.error(this, {
        code: "too_long",
        message: `${what} of ${size} bytes exceeds the limit of ${max} bytes; it was skipped`,
      });
    };
    this.#decoder = dialect === "framed"
      ? lengthPrefixDecoder({ maxLength: s.maxFrame, onOversize })
      : dialect === "line"
      ? lineDecoder({ maxLength: s.maxLine, onOversize, lines: this.#sayLines })
      : ascii8Decoder({ maxLength: s.maxLine, onOversize });
  }

  /**
   * A read's complete lines at once, when they are all ordinary messages of a joined
   * client in plain ASCII (a paste, a flood): one item in the room's batch instead of
   * a message each. False leaves them to be handled line by line.
   */
  readonly #sayLines = (block: Uint8Array): boolean => {
    if (this.#ending || this.#pacer || !this.#room.has(this)) return false;
    const run = prefixLines(block, this.#linePrefix(), this.#settings.maxMessage);
    if (run === undefined) return false;
    this.#room.sayLines(this, block.slice(), run); // `block` may be in the read buffer
    return true;
  };

  /** `NAME: ` as bytes: how line clients see this client's messages begin. */
  #linePrefix(): Uint8Array {
    if (this.#prefixOf !== this.name) {
      this.#prefixOf = this.name;
      this.#prefix = encoder.encode(`${this.name}: `);
    }
    return this.#prefix;
  }

  #prefixOf = "";
  #prefix = new Uint8Array(0);

  #endOfInput(onFrame: (frame: Uint8Array) => void): void {
    try {
      this.#decoder?.finish(onFrame); // a last line without its newline still counts
    } catch (err) {
      if (!(err instanceof FrameError)) throw err; // a frame cut short: nothing to handle
    }
  }

  #frame(frame: Uint8Array): void {
    if (this.#ending) return;
    const room = this.#room;
    if (this.dialect === "framed") {
      const parsed = parseClientMessage(frame, { maxMessage: this.#settings.maxMessage });
      if (parsed.ok) this.#handle(parsed.message);
      else room.error(this, parsed.error);
      return;
    }
    // line and ascii8: text, commands start with "/"; the first message is the name.
    const plain = this.#plain.of(frame);
    const raw = plain ?? decodeText(frame);
    if (!room.has(this)) {
      if (this.#nameAsked !== undefined) return this.#password(raw);
      // The name as sent: control characters make it invalid rather than vanish.
      const name = raw.trim();
      if (name === "") return;
      if (name.toLowerCase() === "/quit") return this.#quit();
      if (!this.#admitted) {
        this.#nameAsked = name;
        return room.send(this, { type: "password" });
      }
      return this.#hello(name);
    }
    const text = plain ?? sanitize(raw);
    if (text.trim() === "") return; // an empty line is nothing to say
    const parsed = parseCommandLine(text, { maxMessage: this.#settings.maxMessage });
    if (parsed.ok) this.#handle(parsed.message);
    else room.error(this, parsed.error);
  }

  #handle(message: ClientMessage): void {
    const room = this.#room;
    if (message.type === "ping") { // answered whether joined or not: it is a keepalive
      return room.send(
        this,
        message.id === undefined ? { type: "pong" } : { ...message, type: "pong" },
      );
    }
    if (!room.has(this)) {
      if (message.type === "hello") {
        if (!this.#admitted) return this.#password(message.password, message.name);
        return this.#hello(message.name);
      }
      if (message.type === "bye") return this.#quit();
      const id = "id" in message ? message.id : undefined;
      return room.error(this, {
        code: "not_joined",
        message: `Send "hello" with your name first`,
        ...(id === undefined ? {} : { id }),
      });
    }
    switch (message.type) {
      case "hello":
        return room.error(this, {
          code: "bad_request",
          message: `Already joined as ${JSON.stringify(this.name)}; "nick" changes the name`,
        });
      case "say":
        return room.say(this, message.text, { id: message.id });
      case "me":
        return room.say(this, message.text, { action: true, id: message.id });
      case "dm":
        return room.dm(this, message.to, message.text, message.id);
      case "nick":
        return room.rename(this, message.name);
      case "who":
        return room.who(this);
      case "help":
        return room.help(this);
      case "bye":
        return this.#quit();
    }
  }

  #hello(name: string): void {
    const problem = this.#room.join(this, name);
    if (!problem) return;
    this.#room.error(this, problem);
    if (problem.code === "server_full") this.end({ flush: true });
  }

  /**
   * Checks the password a client gave (undefined: none) for the name it asked for, and
   * lets it join, or refuses it with `bad_password` and closes: no join is announced.
   */
  #password(given: string | undefined, name = this.#nameAsked ?? ""): void {
    this.#nameAsked = undefined;
    const problem = passwordProblem(this.#settings.password!, given);
    if (problem) {
      this.#room.error(this, problem);
      this.#room.refused(this, problem.code);
      return this.end({ flush: true });
    }
    this.#admitted = true; // a taken or invalid name may be tried again without it
    this.#hello(name);
  }

  #quit(): void {
    this.#room.leave(this, "quit");
    this.end({ flush: true });
  }
}
