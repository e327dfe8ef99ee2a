/**
 * Raw test clients for `chat-serve` in each dialect (line, u32-framed JSON, ascii8),
 * written straight on Deno sockets so the tests see the exact bytes the server sends.
 * Each client pumps its socket into decoded frames in the background; `next()` waits
 * for the next one (with a deadline, never a sleep).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ascii8Decoder,
  ascii8Frame,
  type FrameDecoder,
  lengthPrefixDecoder,
  lengthPrefixFrame,
  lineDecoder,
} from "../lib/framing.ts";
import { writeAll } from "./helpers.ts";

export const LOOPBACK = "127.0.0.1";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A client on one connection: raw writes plus decoded reads. */
export class ChatClient {
  readonly conn: Deno.TcpConn;
  readonly dialect: "line" | "framed" | "ascii8";
  /** Every frame received so far, as text (JSON text for framed). */
  readonly seen: string[] = [];
  #frames: string[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;
  #error: unknown;
  #pump: Promise<void>;
  /** Resolves when the server closed the connection (EOF or reset). */
  readonly closed: Promise<void>;

  private constructor(conn: Deno.TcpConn, dialect: ChatClient["dialect"]) {
    this.conn = conn;
    this.dialect = dialect;
    const frameDecoder: FrameDecoder = dialect === "line"
      ? lineDecoder({ maxLength: 16 * 1024 * 1024 })
      : dialect === "framed"
      ? lengthPrefixDecoder({ maxLength: 16 * 1024 * 1024 })
      : ascii8Decoder({ maxLength: 16 * 1024 * 1024 });
    this.#pump = this.#read(frameDecoder);
    this.closed = this.#pump;
  }

  /** Connects without sending anything. */
  static async connect(port: number, dialect: ChatClient["dialect"]): Promise<ChatClient> {
    return new ChatClient(await Deno.connect({ hostname: LOOPBACK, port }), dialect);
  }

  /**
   * Connects and joins as `name`, waiting for the welcome (the framed `welcome` object
   * or the `*** welcome` text).
   */
  static async join(
    port: number,
    dialect: ChatClient["dialect"],
    name: string,
  ): Promise<ChatClient> {
    const client = await ChatClient.connect(port, dialect);
    if (dialect === "framed") await client.sendJson({ type: "hello", name });
    else await client.sendText(name);
    const welcome = await client.next() ?? "(closed)";
    assert.ok(
      dialect === "framed"
        ? JSON.parse(welcome).type === "welcome"
        : welcome.startsWith("*** welcome"),
      `${name} was not welcomed: ${welcome}`,
    );
    return client;
  }

  async #read(frameDecoder: FrameDecoder): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const emit = (frame: Uint8Array) => {
      const text = decoder.decode(frame);
      this.#frames.push(text);
      this.seen.push(text);
    };
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        frameDecoder.push(buf.subarray(0, n), emit);
        this.#wake();
      }
    } catch (err) {
      if (
        !(err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BadResource ||
          err instanceof Deno.errors.Interrupted)
      ) {
        this.#error = err;
      }
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): Promise<void> {
    return writeAll(this.conn, bytes);
  }

  /** Sends one message in this client's dialect (a line gets its LF here). */
  sendText(text: string): Promise<void> {
    if (this.dialect === "line") return this.write(encoder.encode(text + "\n"));
    if (this.dialect === "ascii8") return this.write(ascii8Frame(text));
    return this.write(lengthPrefixFrame(text));
  }

  /** Sends one JSON object as a framed message. */
  sendJson(value: unknown): Promise<void> {
    return this.write(lengthPrefixFrame(JSON.stringify(value)));
  }

  /** The next frame as text; `null` once the server closed and all was read. */
  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#frames.length > 0) return this.#frames.shift()!;
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.dialect} client: nothing within ${timeoutMs}ms; seen: ${
            JSON.stringify(this.seen.slice(-10))
          }`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** The next framed message, parsed. */
  async json(timeoutMs?: number): Promise<Record<string, unknown>> {
    const text = await this.next(timeoutMs);
    if (text === null) throw new Error(`connection closed; seen: ${JSON.stringify(this.seen)}`);
    return JSON.parse(text);
  }

  /** Reads frames until one satisfies `match`; returns it. */
  async until(match: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.next(Math.max(1, deadline - Date.now()));
      if (text === null) {
        throw new Error(`connection closed first; seen: ${JSON.stringify(this.seen.slice(-10))}`);
      }
      if (match(text)) return text;
    }
  }

  /** Reads framed messages until one has `type` (and the given fields); returns it. */
  async untilJson(
    fields: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const text = await this.until((t) => {
      const m = JSON.parse(t);
      return Object.entries(fields).every(([k, v]) => m[k] === v);
    }, timeoutMs);
    return JSON.parse(text);
  }

  /** Reads until the server closes; returns the frames that came before. */
  async rest(timeoutMs = 10_000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const text = await this.next(timeoutMs);
      if (text === null) return out;
      out.push(text);
    }
  }

  /** Closes the connection and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch { /* already closed */ }
    await this.#pump;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

let counter = 0;

/**
 * Checks that `from` and `to` still chat: `from` says something new and `to` gets it,
 * in its own dialect's form.
 */
export async function assertChatting(from: ChatClient, fromName: string, to: ChatClient) {
  const text = `still here ${++counter}`;
  if (from.dialect === "framed") await from.sendJson({ type: "say", text });
  else await from.sendText(text);
  if (to.dialect === "framed") {
    const m = await to.untilJson({ type: "msg", from: fromName, text });
    assert.equal(m.text, text);
  } else {
    await to.until((t) => t === `${fromName}: ${text}`);
  }
}
