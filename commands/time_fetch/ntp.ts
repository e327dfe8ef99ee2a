/**
 * SNTPv4 packets (RFC 4330, RFC 5905 §7.3): the 48-byte header, encoded and decoded,
 * the client's checks on a reply, and the offset and delay from the four timestamps.
 * Pure functions, no I/O: the exchange is in `query.ts`, and tests build fake servers'
 * answers with {@linkcode encodeNtp}.
 *
 * @module
 */

import { fromNtp, isZeroNtp, type NtpTimestamp, readNtp, toNtp, writeNtp } from "../../lib/time.ts";

/** The size of an NTP header without extensions or a MAC. */
export const NTP_HEADER_SIZE = 48;

/** NTP's well-known port. */
export const NTP_PORT = 123;

/** Association modes of the header's low three bits. */
export const NtpMode = { client: 3, server: 4, broadcast: 5 } as const;

/** A decoded NTP header. Durations are in milliseconds. */
export interface NtpPacket {
  /** LI: 0 no warning, 1 last minute has 61 s, 2 last minute has 59 s, 3 unsynchronised. */
  leap: number;
  version: number;
  mode: number;
  /** 0 kiss-o'-death, 1 primary (reference clock), 2–15 secondary, 16 unsynchronised. */
  stratum: number;
  /** Poll interval exponent (log2 seconds). */
  poll: number;
  /** Clock precision exponent (log2 seconds), e.g. -20 for about a microsecond. */
  precision: number;
  rootDelayMs: number;
  rootDispersionMs: number;
  /** The 4 reference ID bytes: a kiss code or clock name at stratum 0/1, an IPv4 or hash above. */
  refId: Uint8Array;
  reference: NtpTimestamp;
  origin: NtpTimestamp;
  receive: NtpTimestamp;
  transmit: NtpTimestamp;
}

const ZERO: NtpTimestamp = { seconds: 0, fraction: 0 };

/**
 * Encodes an NTP header; absent fields are zero.
 *
 * @example
 * ```ts
 * const reply = encodeNtp({ mode: 4, version: 4, stratum: 2, origin, receive, transmit });
 * ```
 */
export function encodeNtp(packet: Partial<NtpPacket>): Uint8Array {
  const bytes = new Uint8Array(NTP_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = ((packet.leap ?? 0) << 6) | ((packet.version ?? 4) << 3) | (packet.mode ?? 0);
  bytes[1] = packet.stratum ?? 0;
  view.setInt8(2, packet.poll ?? 0);
  view.setInt8(3, packet.precision ?? 0);
  view.setInt32(4, Math.round(((packet.rootDelayMs ?? 0) / 1000) * 65536));
  view.setUint32(8, Math.round(((packet.rootDispersionMs ?? 0) / 1000) * 65536));
  if (packet.refId) bytes.set(packet.refId.subarray(0, 4), 12);
  writeNtp(view, 16, packet.reference ?? ZERO);
  writeNtp(view, 24, packet.origin ?? ZERO);
  writeNtp(view, 32, packet.receive ?? ZERO);
  writeNtp(view, 40, packet.transmit ?? ZERO);
  return bytes;
}

/**
 * Decodes an NTP header, or returns `undefined` when `bytes` is too short to be one.
 * Extension fields and a MAC after the header are ignored.
 *
 * @example
 * ```ts
 * const packet = decodeNtp(reply);
 * if (packet?.mode === 4) console.log(packet.stratum);
 * ```
 */
export function decodeNtp(bytes: Uint8Array): NtpPacket | undefined {
  if (bytes.length < NTP_HEADER_SIZE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    leap: bytes[0] >> 6,
    version: (bytes[0] >> 3) & 7,
    mode: bytes[0] & 7,
    stratum: bytes[1],
    poll: view.getInt8(2),
    precision: view.getInt8(3),
    rootDelayMs: (view.getInt32(4) / 65536) * 1000,
    rootDispersionMs: (view.getUint32(8) / 65536) * 1000,
    refId: bytes.slice(12, 16),
    reference: readNtp(view, 16),
    origin: readNtp(view, 24),
    receive: readNtp(view, 32),
    transmit: readNtp(view, 40),
  };
}

/**
 * A client request (mode 3, version 4) carrying our transmit timestamp for the local
 * time `nowMs`. The bits of the fraction below the clock's millisecond resolution are
 * random, so an off-path attacker cannot guess the timestamp a reply must echo.
 *
 * @returns the packet, and the exact timestamp sent (what the reply's origin must be).
 *
 * @example
 * ```ts
 * const { bytes, transmit } = clientRequest(Date.now());
 * await udp.send(bytes); // a reply must carry `transmit` as its origin
 * ```
 */
export function clientRequest(nowMs: number): { bytes: Uint8Array; transmit: NtpTimestamp } {
  const ts = toNtp(nowMs);
  const noise = crypto.getRandomValues(new Uint32Array(1))[0] & 0x3f_ffff; // < 2^-10 s
  const transmit = { seconds: ts.seconds, fraction: ((ts.fraction & ~0x3f_ffff) | noise) >>> 0 };
  return { bytes: encodeNtp({ version: 4, mode: NtpMode.client, transmit }), transmit };
}

/**
 * Whether two NTP timestamps are the same 64 bits.
 *
 * @example
 * ```ts
 * sameNtp({ seconds: 1, fraction: 2 }, { seconds: 1, fraction: 2 }); // true
 * ```
 */
export function sameNtp(a: NtpTimestamp, b: NtpTimestamp): boolean {
  return a.seconds === b.seconds && a.fraction === b.fraction;
}

/**
 * An NTP timestamp as RFC 5905 prints it: `e1b2c3d4.12345678`.
 *
 * @example
 * ```ts
 * ntpHex({ seconds: 0xe1b2c3d4, fraction: 0x12345678 }); // "e1b2c3d4.12345678"
 * ```
 */
export function ntpHex(ts: NtpTimestamp): string {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  return `${hex(ts.seconds)}.${hex(ts.fraction)}`;
}

/** What the kiss codes of RFC 5905 §7.4 mean, for the error a client shows. */
export const KISS_CODES: Record<string, string> = {
  RATE: "the server asks to be queried less often",
  DENY: "the server denies access",
  RSTR: "the server restricts access",
  NKEY: "no key was found",
  CRYP: "cryptographic authentication failed",
  AUTH: "server authentication failed",
  AUTO: "autokey sequence failed",
  BCST: "broadcast server",
  INIT: "the association has not synchronised yet",
  STEP: "the server's clock stepped",
  ACST: "unicast server",
  DROP: "lost peer in symmetric mode",
  MCST: "multicast server",
  NCST: "manycast server",
  RMOT: "altered by a remote host",
};

/**
 * The reference ID as text: ASCII (a kiss code or a reference clock's name) at
 * stratum 0 and 1 when it is text, else (and above stratum 1) as an IPv4 address: the
 * upstream server's (or an IPv6 hash), or a local clock's such as chrony's 127.127.1.1.
 *
 * @example
 * ```ts
 * refIdText({ stratum: 1, refId: new TextEncoder().encode("GPS\0") }); // "GPS"
 * refIdText({ stratum: 1, refId: new Uint8Array([127, 127, 1, 1]) }); // "127.127.1.1"
 * refIdText({ stratum: 2, refId: new Uint8Array([192, 0, 2, 1]) }); // "192.0.2.1"
 * ```
 */
export function refIdText(packet: Pick<NtpPacket, "stratum" | "refId">): string {
  if (packet.stratum <= 1) {
    const end = packet.refId.indexOf(0);
    const bytes = end < 0 ? packet.refId : packet.refId.subarray(0, end);
    // A kiss code or a reference source's name is ASCII; some servers put an IPv4
    // address here instead (chrony's local clock: 127.127.1.1), shown as one.
    if (bytes.every((b) => b >= 0x20 && b < 0x7f)) {
      return new TextDecoder().decode(bytes).trimEnd();
    }
  }
  return [...packet.refId].join(".");
}

/**
 * What a datagram that came back is: `rejected` (not an answer to our request: ignore it
 * and keep waiting), an answer the client cannot use (`kiss`, `unsynchronised`,
 * `invalid`), or `ok`.
 */
export type ReplyCheck =
  | { kind: "rejected"; reason: string }
  | { kind: "kiss"; code: string; meaning: string }
  | { kind: "unsynchronised"; reason: string }
  | { kind: "invalid"; reason: string }
  | { kind: "ok"; packet: NtpPacket; request: number };

/**
 * The checks of RFC 4330 §5 on a datagram that came back, in order:
 *
 * 1. a full header in mode 4 (server), with our transmit timestamp as its origin —
 *    else the datagram is not an answer to us (stale, forged or not NTP): `rejected`;
 * 2. stratum 0 is a kiss-o'-death: `kiss` with its code (RATE, DENY, ...);
 * 3. leap indicator 3 or stratum 16 and above: `unsynchronised`;
 * 4. a zero transmit or receive timestamp: `invalid`.
 *
 * @param sent The transmit timestamps of our requests (retries each send one).
 * @returns which check failed, or `ok` with the packet and the index of the request
 * it answers.
 *
 * @example
 * ```ts
 * const check = checkReply(reply, sent);
 * if (check.kind === "ok") console.log(check.packet.stratum, "answers request", check.request);
 * ```
 */
export function checkReply(bytes: Uint8Array, sent: readonly NtpTimestamp[]): ReplyCheck {
  const packet = decodeNtp(bytes);
  if (!packet) {
    return { kind: "rejected", reason: `${bytes.length} bytes, shorter than an NTP header (48)` };
  }
  if (packet.mode !== NtpMode.server) {
    return {
      kind: "rejected",
      reason: `mode ${packet.mode}${packet.mode === NtpMode.client ? " (client)" : ""}, not 4 ` +
        "(server)",
    };
  }
  const request = sent.findIndex((ts) => sameNtp(ts, packet.origin));
  if (request < 0) {
    return {
      kind: "rejected",
      reason: `origin timestamp ${ntpHex(packet.origin)} is not our transmit timestamp ${
        ntpHex(sent[sent.length - 1] ?? ZERO)
      } (a stale or forged answer)`,
    };
  }
  if (packet.stratum === 0) {
    const code = refIdText(packet);
    return { kind: "kiss", code, meaning: KISS_CODES[code] ?? "unknown kiss code" };
  }
  if (packet.leap === 3) {
    return { kind: "unsynchronised", reason: "leap indicator 3: its clock is not synchronised" };
  }
  if (packet.stratum >= 16) {
    return { kind: "unsynchronised", reason: `stratum ${packet.stratum}: it is not synchronised` };
  }
  if (isZeroNtp(packet.transmit)) {
    return { kind: "invalid", reason: "its transmit timestamp is zero" };
  }
  if (isZeroNtp(packet.receive)) {
    return { kind: "invalid", reason: "its receive timestamp is zero" };
  }
  return { kind: "ok", packet, request };
}

/** Clock offset and round-trip delay, in milliseconds. */
export interface OffsetDelay {
  offsetMs: number;
  delayMs: number;
}

/**
 * RFC 4330's offset and delay from the four timestamps (all Unix epoch ms): T1 our
 * request left, T2 the server received it, T3 the server answered, T4 the answer
 * arrived. offset = ((T2−T1)+(T3−T4))/2, delay = (T4−T1)−(T3−T2).
 *
 * @example
 * ```ts
 * ntpOffset(0, 30_005, 30_006, 11); // { offsetMs: 30000, delayMs: 10 }
 * ```
 */
export function ntpOffset(t1: number, t2: number, t3: number, t4: number): OffsetDelay {
  return { offsetMs: ((t2 - t1) + (t3 - t4)) / 2, delayMs: (t4 - t1) - (t3 - t2) };
}

/**
 * The server's receive and transmit times of a reply, in the era nearest `t1`.
 *
 * @example
 * ```ts
 * const { t2, t3 } = serverTimes(packet, t1);
 * ntpOffset(t1, t2, t3, t4).offsetMs;
 * ```
 */
export function serverTimes(packet: NtpPacket, t1: number): { t2: number; t3: number } {
  return { t2: fromNtp(packet.receive, t1), t3: fromNtp(packet.transmit, t1) };
}
