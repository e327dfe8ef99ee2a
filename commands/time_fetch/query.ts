/**
 * One question to one time server, in each protocol `time-fetch` speaks: daytime
 * (RFC 867) and time (RFC 868) over TCP or UDP, and SNTPv4 (RFC 4330) over UDP. Each
 * returns an {@linkcode Answer}: the server's time, the local clock's offset from it,
 * the round trip and how precise the answer is — or throws a SockitError whose exit
 * code says what went wrong.
 *
 * The local clock is read once per request (`io.now()`, injectable for tests); the time
 * until the answer arrives is measured on the monotonic clock and added to it, so the
 * round trip has sub-millisecond resolution and a clock step mid-exchange cannot make it
 * negative.
 *
 * @module
 */

import { type Address, formatNetAddr } from "../../lib/address.ts";
import {
  type DaytimeFormat,
  escapeText,
  type NistFields,
  parseDaytime,
} from "../../lib/daytime_format.ts";
import { closeQuietly } from "../../lib/close.ts";
import { formatDuration } from "../../lib/duration.ts";
import {
  InterruptedError,
  isDisconnect,
  netError,
  ProtocolError,
  SockitError,
  TimeoutError,
} from "../../lib/errors.ts";
import type { Io } from "../../lib/io.ts";
import { dial, type DialedConn, openUdp } from "../../lib/net.ts";
import { counted } from "../../lib/numbers.ts";
import { fromRfc868, type NtpTimestamp } from "../../lib/time.ts";
import type { Tracer } from "../../lib/trace.ts";
import { checkReply, clientRequest, ntpOffset, refIdText, serverTimes } from "./ntp.ts";

/**
 * An NTP server answered with a kiss-o'-death (stratum 0): a protocol error (exit 6)
 * after which RFC 4330 §8 says the client stops asking that server.
 *
 * @example
 * ```ts
 * throw new KissOfDeath("192.0.2.1:123", "RATE", "the server asks to be queried less often");
 * ```
 */
export class KissOfDeath extends ProtocolError {
  /** The kiss code: `RATE`, `DENY`, `RSTR`, ... */
  readonly code: string;

  constructor(where: string, code: string, meaning: string) {
    super(`ntp ${where}: kiss-o'-death ${code}: ${meaning}`, {
      hint: code === "RATE" ? "wait before asking again" : "ask another server",
    });
    this.code = code;
  }
}

/** The protocols `time-fetch --protocol` speaks. */
export type TimeProtocol = "daytime" | "time" | "ntp";

/** What to ask whom. */
export interface Query {
  /** The server as the user named it, with its port: `time.nist.gov:13`. */
  server: string;
  address: Address;
  protocol: TimeProtocol;
  /** Daytime and time over UDP (NTP always is). */
  udp: boolean;
  /** Milliseconds for the whole exchange: resolving, connecting, every retry. */
  timeout: number;
  /** UDP: requests sent again, evenly spread over the timeout, when none is answered. */
  retries: number;
}

/** One server's answer, compared with the local clock. Times in Unix epoch ms. */
export interface Answer {
  server: string;
  /** The address that answered, `192.0.2.1:123`. */
  address: string;
  protocol: TimeProtocol;
  transport: "tcp" | "udp";
  /** The local clock when the answer arrived. */
  localTimeMs: number;
  /** The server's clock at that same moment, as far as the answer tells. */
  serverTimeMs: number;
  /** How far the server's clock is ahead of the local one (negative: behind). */
  offsetMs: number;
  /** The round trip, server processing excluded where the protocol says (NTP). */
  delayMs: number;
  /** The resolution of the server's answer: 1000 for daytime's whole seconds. */
  precisionMs: number;
  /** The most the offset can be wrong by: half the round trip plus the resolution's half. */
  errorMs: number;
  /** Daytime: what the server said. */
  daytime?: { text: string; format: DaytimeFormat; zone?: string; nist?: NistFields };
  /** NTP: the header's fields. */
  ntp?: NtpDetails;
}

/** The fields of an NTP reply worth showing. */
export interface NtpDetails {
  version: number;
  stratum: number;
  leap: number;
  /** The reference ID as text: a clock name at stratum 1, the upstream server above. */
  refId: string;
  /** Precision exponent: the server's clock ticks every 2^precision seconds. */
  precision: number;
  rootDelayMs: number;
  rootDispersionMs: number;
}

/** What every query needs besides its question. */
export interface QueryContext {
  io: Io;
  /** Aborted on SIGINT: the query stops and throws InterruptedError. */
  signal: AbortSignal;
  trace?: Tracer;
}

/** The largest daytime answer read; a longer one is not a daytime server. */
export const DAYTIME_MAX_BYTES = 1024;
/** The largest RFC 868 answer read over TCP (4 bytes are expected). */
const TIME_MAX_BYTES = 64;

/**
 * Asks one server the time, as `query` says.
 *
 * @throws {ResolveError} exit 3 when the name does not resolve.
 * @throws {ConnectError} exit 4 when the connection is refused.
 * @throws {TimeoutError} exit 5 when no answer came within the timeout.
 * @throws {ProtocolError} exit 6 when the answer is not the protocol (its text is
 * shown), a kiss-o'-death, or from an unsynchronised server.
 * @throws {InterruptedError} exit 130 when `context.signal` aborts.
 *
 * @example
 * ```ts
 * const answer = await ask({
 *   server: "127.0.0.1:13", address: { host: "127.0.0.1", port: 13 },
 *   protocol: "daytime", udp: false, timeout: 5000, retries: 2,
 * }, { io: systemIo(), signal: new AbortController().signal });
 * console.log(answer.offsetMs);
 * ```
 */
export function ask(query: Query, context: QueryContext): Promise<Answer> {
  if (query.protocol === "ntp") return askNtp(query, context);
  return query.udp ? askUdp(query, context) : askTcp(query, context);
}

/** A local clock reading taken once, advanced by the monotonic clock. */
interface Stopwatch {
  /** The wall clock when it started. */
  readonly start: number;
  /** The wall clock at the monotonic instant `mono` (`performance.now()` by default). */
  at(mono?: number): number;
}

function stopwatch(io: Io): Stopwatch {
  const start = io.now();
  const began = performance.now();
  return { start, at: (mono = performance.now()) => start + (mono - began) };
}

/** A promise that rejects with InterruptedError when `signal` aborts, and its cleanup. */
function interruption(signal: AbortSignal): { promise: Promise<never>; done(): void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {}); // only raced; never unhandled
  return { promise, done: () => signal.removeEventListener("abort", onAbort) };
}

async function askTcp(query: Query, context: QueryContext): Promise<Answer> {
  const { io, signal, trace } = context;
  const deadline = performance.now() + query.timeout;
  let clock = stopwatch(io);
  // T1 is when connecting starts, after the name is resolved: a slow resolver must not
  // count as network delay.
  const resolve = async (host: string) => {
    const ips = await io.resolve(host);
    clock = stopwatch(io);
    return ips;
  };
  const conn = await dial(query.address, { io: { resolve }, timeout: query.timeout, signal })
    .catch((err) => {
      throw signal.aborted ? new InterruptedError() : err;
    });
  const where = formatNetAddr(conn.remoteAddr);
  const daytime = query.protocol === "daytime";
  try {
    const { bytes, arrived } = await readAnswer(conn, {
      where: `${query.protocol} ${where}`,
      address: where,
      max: daytime ? DAYTIME_MAX_BYTES : TIME_MAX_BYTES,
      left: deadline - performance.now(),
      timeout: query.timeout,
      complete: daytime ? hasLine : (b) => b.length >= 4,
      clock,
      signal,
      trace: trace && ((bytes) => trace("read", where, bytes)),
    });
    const at = { address: where, transport: "tcp" as const, t1: clock.start, t4: arrived };
    return daytime ? daytimeAnswer(query, bytes, at) : timeAnswer(query, bytes, at);
  } finally {
    closeQuietly(conn); // closed already when a read was abandoned
  }
}

function hasLine(bytes: Uint8Array): boolean {
  const nl = bytes.lastIndexOf(0x0a);
  return nl > 0 && bytes.subarray(0, nl).some((b) => b > 0x20);
}

/**
 * Reads an answer to the end of the stream (the server closes after it), at most `max`
 * bytes, until `left` ms have passed. If time runs out after a `complete` answer came
 * (a server that does not close), that answer is used.
 */
async function readAnswer(conn: DialedConn, options: {
  /** `daytime 192.0.2.1:13`, for messages. */
  where: string;
  /** `192.0.2.1:13`. */
  address: string;
  max: number;
  left: number;
  timeout: number;
  complete: (bytes: Uint8Array) => boolean;
  clock: Stopwatch;
  signal: AbortSignal;
  trace?: (bytes: Uint8Array) => void;
}): Promise<{ bytes: Uint8Array; arrived: number }> {
  const buf = new Uint8Array(options.max + 1);
  let got = 0;
  let arrived: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), Math.max(0, options.left))
  );
  const interrupted = interruption(options.signal);
  try {
    for (;;) {
      if (got > options.max) {
        throw new ProtocolError(
          `${options.where}: more than ${options.max} bytes, not a time answer: ${
            escapeText(buf.subarray(0, got), 120)
          }`,
          { hint: "is it a time server?" },
        );
      }
      const read = conn.read(buf.subarray(got));
      let result: number | null | "timeout";
      try {
        result = await Promise.race([read, expired, interrupted.promise]);
      } catch (err) {
        read.catch(() => {});
        if (err instanceof SockitError) throw err; // interrupted
        // A reset right after a complete answer loses nothing (some servers close with RST).
        const bytes = buf.subarray(0, got);
        if (arrived !== undefined && isDisconnect(err) && options.complete(bytes)) {
          return { bytes, arrived };
        }
        throw netError(err, { op: "read", transport: "tcp", address: options.address });
      }
      if (result === "timeout") {
        read.catch(() => {}); // fails when the caller closes the connection: expected
        const bytes = buf.subarray(0, got);
        if (arrived !== undefined && options.complete(bytes)) return { bytes, arrived };
        const what = got === 0 ? "no answer" : `an incomplete answer ${escapeText(bytes)}`;
        throw new TimeoutError(
          `${options.where}: ${what} within ${formatDuration(options.timeout)}`,
          { hint: "raise --timeout if the server is slow" },
        );
      }
      if (result === null) {
        return { bytes: buf.subarray(0, got), arrived: arrived ?? options.clock.at() };
      }
      arrived ??= options.clock.at();
      options.trace?.(buf.subarray(got, got + result));
      got += result;
    }
  } finally {
    clearTimeout(timer);
    interrupted.done();
  }
}

interface Exchange {
  address: string;
  transport: "tcp" | "udp";
  /** Local clock when the request left (TCP: when connecting began). */
  t1: number;
  /** Local clock when the answer arrived. */
  t4: number;
}

/**
 * The answer from a daytime text. The text names a whole second (or a finer unit) that
 * the true time lies somewhere in, so the best estimate is its middle; NIST's msADV (the
 * server advanced its time by the expected path delay) is taken back off, and the result
 * is compared with the middle of the round trip.
 */
function daytimeAnswer(query: Query, bytes: Uint8Array, at: Exchange): Answer {
  const text = new TextDecoder().decode(bytes);
  const reading = parseDaytime(text);
  if (!reading) {
    throw new ProtocolError(
      `daytime ${at.address}: the answer is not a time: ${escapeText(bytes)}`,
      { hint: "known formats: NIST, RFC 867-style, RFC 2822, ISO 8601, Unix seconds" },
    );
  }
  const told = reading.timeMs + reading.precisionMs / 2 - (reading.nist?.msAdvance ?? 0);
  return answerFrom(query, at, told, reading.precisionMs, {
    daytime: {
      text: text.trim(),
      format: reading.format,
      ...(reading.zone === undefined ? {} : { zone: reading.zone }),
      ...(reading.nist ? { nist: reading.nist } : {}),
    },
  });
}

/** The answer from RFC 868's 4 bytes: whole seconds since 1900, in the era nearest us. */
function timeAnswer(query: Query, bytes: Uint8Array, at: Exchange): Answer {
  if (bytes.length !== 4) {
    throw new ProtocolError(
      `time ${at.address}: the answer is ${bytes.length} bytes, not RFC 868's 4: ${
        escapeText(bytes)
      }`,
      { hint: "is it an RFC 868 time server? daytime servers answer with text" },
    );
  }
  const seconds = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  const told = fromRfc868(seconds, at.t1) + 500;
  return answerFrom(query, at, told, 1000, {});
}

/** An answer from a time told for the middle of the round trip. */
function answerFrom(
  query: Query,
  at: Exchange,
  toldMs: number,
  precisionMs: number,
  extra: Pick<Answer, "daytime">,
): Answer {
  const delayMs = at.t4 - at.t1;
  const offsetMs = toldMs - (at.t1 + at.t4) / 2;
  return {
    server: query.server,
    address: at.address,
    protocol: query.protocol,
    transport: at.transport,
    localTimeMs: at.t4,
    serverTimeMs: at.t4 + offsetMs,
    offsetMs,
    delayMs,
    precisionMs,
    errorMs: delayMs / 2 + precisionMs / 2,
    ...extra,
  };
}

/** Sends one request per try over UDP and waits for the answer. */
interface UdpRound<T> {
  /** Makes the request of try `n` (0 first), noting what it needs to check answers. */
  request(n: number): Uint8Array;
  /**
   * Looks at a datagram from the server `where`, which arrived at the monotonic instant
   * `arrived`: a result ends the exchange, `undefined` means "not an answer to us, keep
   * waiting" (it may throw to end it with an error).
   */
  receive(bytes: Uint8Array, arrived: number, where: string): T | undefined;
  /** The error when time runs out. */
  expired(tries: number, where: string): SockitError;
}

async function udpExchange<T>(query: Query, context: QueryContext, round: UdpRound<T>): Promise<T> {
  const { io, signal, trace } = context;
  const deadline = performance.now() + query.timeout;
  const udp = await openUdp(query.address, { io, timeout: query.timeout, signal });
  const interrupted = interruption(signal);
  const where = formatNetAddr(udp.server);
  const tries = query.retries + 1;
  try {
    for (let n = 0; n < tries; n++) {
      const bytes = round.request(n);
      await udp.send(bytes);
      trace?.("send", where, bytes);
      const until = n === tries - 1 ? deadline : Math.min(
        deadline,
        performance.now() + query.timeout / tries,
      );
      for (;;) {
        const left = until - performance.now();
        if (left <= 0) break;
        let data: Uint8Array;
        try {
          data = await Promise.race([udp.receive(left), interrupted.promise]);
        } catch (err) {
          if (err instanceof TimeoutError) break;
          throw err;
        }
        const arrived = performance.now();
        trace?.("recv", where, data);
        const result = round.receive(data, arrived, where);
        if (result !== undefined) return result;
      }
    }
    throw round.expired(tries, where);
  } finally {
    udp.close();
    interrupted.done();
  }
}

function noAnswer(query: Query, tries: number, where: string): TimeoutError {
  return new TimeoutError(
    `${query.protocol} ${where}: no answer within ${formatDuration(query.timeout)} ` +
      `(${counted(tries, "request")} over udp)`,
    // Deno's UDP sockets never see the ICMP refusal (README, "UDP to a closed port").
    {
      hint:
        "raise --timeout or --retries; is a server listening there? over UDP a closed port looks the same",
    },
  );
}

function askUdp(query: Query, context: QueryContext): Promise<Answer> {
  let clock: Stopwatch;
  return udpExchange(query, context, {
    request() {
      clock = stopwatch(context.io);
      // RFC 868 asks for an empty datagram; RFC 867 for any, and some servers ignore
      // empty ones, so daytime sends a newline.
      return query.protocol === "time" ? new Uint8Array(0) : new Uint8Array([0x0a]);
    },
    receive(bytes, arrived, where) {
      // The latest request is taken as the one answered: earlier ones went unanswered
      // for a whole try. (Daytime and time carry nothing to match an answer by.)
      const at: Exchange = {
        address: where,
        transport: "udp",
        t1: clock.start,
        t4: clock.at(arrived),
      };
      return query.protocol === "daytime"
        ? daytimeAnswer(query, bytes, at)
        : timeAnswer(query, bytes, at);
    },
    expired: (tries, where) => noAnswer(query, tries, where),
  });
}

function askNtp(query: Query, context: QueryContext): Promise<Answer> {
  const sent: NtpTimestamp[] = [];
  const clocks: Stopwatch[] = [];
  const rejected: string[] = [];
  return udpExchange(query, context, {
    request() {
      const clock = stopwatch(context.io);
      const { bytes, transmit } = clientRequest(clock.start);
      sent.push(transmit);
      clocks.push(clock);
      return bytes;
    },
    receive(bytes, arrived, where) {
      const check = checkReply(bytes, sent);
      switch (check.kind) {
        case "rejected":
          rejected.push(check.reason);
          return undefined;
        case "kiss":
          throw new KissOfDeath(where, check.code, check.meaning);
        case "unsynchronised":
          throw new ProtocolError(`ntp ${where}: the server is unsynchronised (${check.reason})`, {
            hint: "its time cannot be trusted; ask another server",
          });
        case "invalid":
          throw new ProtocolError(`ntp ${where}: invalid answer (${check.reason})`);
      }
      const { packet, request } = check;
      const clock = clocks[request];
      const t1 = clock.start;
      const t4 = clock.at(arrived);
      const { t2, t3 } = serverTimes(packet, t1);
      const { offsetMs, delayMs } = ntpOffset(t1, t2, t3, t4);
      const precisionMs = 2 ** packet.precision * 1000;
      return {
        server: query.server,
        address: where,
        protocol: "ntp" as const,
        transport: "udp" as const,
        localTimeMs: t4,
        serverTimeMs: t4 + offsetMs,
        offsetMs,
        delayMs,
        precisionMs,
        // The root distance of RFC 5905: what the offset can be off by, this path and
        // the server's own path to its reference together.
        errorMs: (Math.max(0, delayMs) + Math.abs(packet.rootDelayMs)) / 2 +
          packet.rootDispersionMs + precisionMs,
        ntp: {
          version: packet.version,
          stratum: packet.stratum,
          leap: packet.leap,
          refId: refIdText(packet),
          precision: packet.precision,
          rootDelayMs: packet.rootDelayMs,
          rootDispersionMs: packet.rootDispersionMs,
        },
      };
    },
    expired(tries, where) {
      if (rejected.length === 0) return noAnswer(query, tries, where);
      return new ProtocolError(
        `ntp ${where}: no valid answer within ${
          formatDuration(query.timeout)
        }; rejected ${rejected.length} repl${rejected.length === 1 ? "y" : "ies"}: ${
          rejected[rejected.length - 1]
        }`,
        { hint: "is it an NTP server? a stale or forged answer is never used" },
      );
    },
  });
}
