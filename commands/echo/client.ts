/**
 * The echo client: sends probes to an echo server, verifies every reply byte for byte
 * and reports like `ping` (README, `sockit echo`, client).
 *
 * @module
 */

import type { Address } from "../../lib/address.ts";
import { formatAddress, formatNetAddr } from "../../lib/address.ts";
import { closeQuietly } from "../../lib/close.ts";
import { formatDuration, formatElapsed } from "../../lib/duration.ts";
import {
  CheckFailedError,
  ExitCode,
  isDisconnect,
  isTimeout,
  netError,
  TimeoutError,
} from "../../lib/errors.ts";
import type { Io } from "../../lib/io.ts";
import { dial, type DialedConn, openUdp } from "../../lib/net.ts";
import { counted, round } from "../../lib/numbers.ts";
import type { Output } from "../../lib/output.ts";
import { after } from "../../lib/timer.ts";
import type { TlsClientOptions } from "../../lib/tls_flags.ts";
import type { Tracer } from "../../lib/trace.ts";

/** What the client was asked to do. */
export interface ProbePlan {
  to: Address;
  count: number;
  /** Makes the payload of probe `seq` (fresh random bytes, or the `--message`). */
  payload: (seq: number) => Uint8Array;
  interval: number;
  timeout: number;
  udp: boolean;
  /** Speak TLS (TCP only); plain when absent. */
  tls?: TlsClientOptions;
}

/** The result of one probe. */
export interface Probe {
  seq: number;
  bytes: number;
  status: "ok" | "mismatch" | "lost";
  /**
   * For a lost probe: no reply in time (`timeout`), or the server ended the connection
   * before a byte of the reply came back (`closed` by a FIN, `reset` by an RST).
   */
  reason?: LossReason;
  rttMs?: number;
  /** For a mismatch: the first byte that differs. */
  firstDiff?: { offset: number; sent: number; got: number | undefined };
}

/** Why a probe came back with nothing. */
export type LossReason = "timeout" | "closed" | "reset";

/**
 * The server ended the TCP connection before a byte of the reply came back. An EOF or
 * a reset there is neither a reply (nothing came back) nor a timeout (nothing is
 * pending): the probe is lost, for that reason.
 */
class ClosedBeforeReply extends Error {
  constructor(readonly how: "closed" | "reset") {
    super(`connection ${how} before replying`);
  }
}

/** Round-trip statistics over the probes that came back intact. */
export interface RttSummary {
  min: number;
  avg: number;
  max: number;
  p99: number;
}

/**
 * min/avg/max/p99 (nearest rank) of round trips, or undefined for none.
 *
 * @example
 * ```ts
 * rttSummary([1, 2, 3]); // { min: 1, avg: 2, max: 3, p99: 3 }
 * ```
 */
export function rttSummary(rtts: number[]): RttSummary | undefined {
  if (rtts.length === 0) return undefined;
  const sorted = [...rtts].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    min: sorted[0],
    avg: sum / sorted.length,
    max: sorted[sorted.length - 1],
    p99: sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)],
  };
}

/**
 * Where `got` first differs from `sent`, or undefined when they are equal.
 *
 * @example
 * ```ts
 * firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 3])); // { offset: 1, sent: 2, got: 3 }
 * ```
 */
export function firstDifference(
  sent: Uint8Array,
  got: Uint8Array,
): { offset: number; sent: number; got: number | undefined } | undefined {
  const n = Math.min(sent.length, got.length);
  for (let i = 0; i < n; i++) {
    if (sent[i] !== got[i]) return { offset: i, sent: sent[i], got: got[i] };
  }
  if (sent.length !== got.length) return { offset: n, sent: sent[n], got: got[n] };
  return undefined;
}

/**
 * `size` random bytes: a probe's payload, different every time so a late reply to an
 * earlier probe cannot pass for this one's. (getRandomValues fills at most 64 KiB per
 * call.)
 *
 * @example
 * ```ts
 * randomBytes(100_000).length; // 100000
 * ```
 */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let off = 0; off < size; off += 65_536) {
    crypto.getRandomValues(bytes.subarray(off, Math.min(size, off + 65_536)));
  }
  return bytes;
}

/** How many recent UDP probes a late reply is recognised as belonging to. */
const LATE_REPLY_WINDOW = 64;

/**
 * Something that sends one probe's payload and returns the reply, or throws. A TCP reply
 * can come back short: the server closed after part of it, or part of it came and then
 * nothing more within the timeout (`cut`).
 */
interface Exchanger {
  exchange(payload: Uint8Array, timeout: number, stop: AbortSignal): Promise<Reply>;
  close(): void;
}

interface Reply {
  bytes: Uint8Array;
  /** Why a short reply ended. */
  cut?: "closed" | "timeout";
}

/** The user interrupted the probe in flight: neither a reply nor a loss. */
class Interrupted extends Error {}

/**
 * Races `work` against `stop` and, when given, a deadline: {@linkcode Interrupted} when
 * `stop` is aborted first, whatever `deadline.onTimeout` gives when its time is up (it
 * may throw).
 */
async function bounded<T>(
  work: Promise<T>,
  stop: AbortSignal,
  deadline?: { ms: number; onTimeout: () => T },
): Promise<T> {
  let cancel: (() => void) | undefined;
  let onStop: (() => void) | undefined;
  const ended = new Promise<T>((resolve, reject) => {
    if (deadline) {
      cancel = after(deadline.ms, () => {
        try {
          resolve(deadline.onTimeout());
        } catch (err) {
          reject(err);
        }
      });
    }
    onStop = () => reject(new Interrupted());
    stop.addEventListener("abort", onStop, { once: true });
  });
  try {
    return await Promise.race([work, ended]);
  } finally {
    cancel?.();
    stop.removeEventListener("abort", onStop!);
  }
}

/** TCP: write the payload, read exactly as many bytes back. */
function tcpExchanger(conn: DialedConn, where: string, trace?: Tracer): Exchanger {
  const buf = new Uint8Array(64 * 1024);
  let closed = false;
  return {
    exchange(payload, timeout, stop) {
      // A timed-out read cannot be cancelled, only abandoned by closing the connection,
      // which the caller does: a late reply would otherwise be read as the next one's.
      const reply = { bytes: new Uint8Array(payload.length), got: 0 };
      return bounded(roundTrip(payload, reply), stop, {
        ms: timeout,
        onTimeout: () => {
          // Part of it came back: a short reply (a wrong one), not a missing one.
          if (reply.got > 0) return { bytes: reply.bytes.slice(0, reply.got), cut: "timeout" };
          throw new DOMException("timeout", "TimeoutError");
        },
      });
    },
    close() {
      if (closed) return;
      closed = true;
      closeQuietly(conn);
    },
  };

  /**
   * A read where a reset ends the reply like an EOF does: before any byte of it, it is
   * {@linkcode ClosedBeforeReply}; after some, the reply is short.
   */
  async function readOrReset(into: Uint8Array, got: number): Promise<number | null> {
    try {
      return await conn.read(into);
    } catch (err) {
      if (closed || !isDisconnect(err)) throw err;
      if (got === 0) throw new ClosedBeforeReply("reset");
      return null;
    }
  }

  /** Fills `reply` as bytes come (so a timeout can see what came); resolves when full or cut. */
  async function roundTrip(
    payload: Uint8Array,
    reply: { bytes: Uint8Array; got: number },
  ): Promise<Reply> {
    // Write and read at once: a payload bigger than both socket buffers together would
    // otherwise deadlock, the server blocked writing back what we are not yet reading.
    const writing = (async () => {
      let written = 0;
      while (written < payload.length) {
        const n = await conn.write(payload.subarray(written));
        trace?.("write", where, payload.subarray(written, written + n));
        written += n;
      }
    })();
    writing.catch(() => {}); // awaited below; a failed write ends the read too
    while (reply.got < payload.length) {
      const n = await readOrReset(
        buf.subarray(0, Math.min(buf.length, payload.length - reply.got)),
        reply.got,
      );
      // The server closed: a short reply, or none at all (an EOF is not a 0-byte reply).
      if (n === null) {
        if (reply.got === 0) throw new ClosedBeforeReply("closed");
        return { bytes: reply.bytes.subarray(0, reply.got), cut: "closed" };
      }
      trace?.("read", where, buf.subarray(0, n));
      reply.bytes.set(buf.subarray(0, n), reply.got);
      reply.got += n;
    }
    await writing;
    return { bytes: reply.bytes };
  }
}

/** Options of {@linkcode runProbes}. */
export interface ProbeOptions {
  io: Io;
  out: Output;
  trace?: Tracer;
}

/**
 * Runs the probes of `plan` and prints a line per probe and a summary; returns the exit
 * code: 0 when every probe came back intact, 1 for any loss or mismatch, 5 when nothing
 * at all came back, 130 when interrupted.
 *
 * @throws {SockitError} exit 3, 4 or 5 when the host does not resolve, the connection
 * is refused, or connecting times out.
 *
 * @example
 * ```ts
 * const code = await runProbes(
 *   { to: { host: "127.0.0.1", port: 7 }, count: 4, payload: () => randomBytes(64), interval: 1000, timeout: 5000, udp: false },
 *   { io, out: createOutput(io) },
 * );
 * ```
 */
export async function runProbes(plan: ProbePlan, options: ProbeOptions): Promise<number> {
  const { io, out, trace } = options;
  const interrupted = new AbortController();
  const unsubscribe = io.onSignal(() => interrupted.abort());
  const probes: Probe[] = [];
  let closedEarly: string | undefined;
  let endedBy: "closed" | "reset" | undefined;
  try {
    const transport = plan.udp ? "udp" : plan.tls ? "tls" : "tcp";
    const exchanger = await connect(plan, io, interrupted.signal, trace);
    const where = formatAddress(plan.to);
    out.result(
      "start",
      { transport, to: where, count: plan.count },
      `ECHO ${where} (${transport}): ${counted(plan.count, "probe")}`,
    );
    try {
      for (let seq = 1; seq <= plan.count && !interrupted.signal.aborted; seq++) {
        if (seq > 1 && plan.interval > 0) {
          // Imported here: a one-probe check never pauses (issue 10).
          const { pause } = await import("../../lib/pause.ts");
          await pause(plan.interval, interrupted.signal);
        }
        if (interrupted.signal.aborted) break;
        const payload = plan.payload(seq);
        const began = performance.now();
        let probe: Probe;
        try {
          const reply = await exchanger.exchange(payload, plan.timeout, interrupted.signal);
          const rttMs = performance.now() - began;
          const { bytes } = reply;
          const firstDiff = firstDifference(payload, bytes);
          probe = firstDiff
            ? { seq, bytes: bytes.length, status: "mismatch", rttMs, firstDiff }
            : { seq, bytes: bytes.length, status: "ok", rttMs };
          if (reply.cut === "closed") closedEarly = "the server closed the connection";
          if (reply.cut === "timeout") {
            closedEarly = `only ${bytes.length} of ${payload.length} bytes came back within ` +
              `${formatDuration(plan.timeout)}; a stream cannot be resynchronised`;
          }
        } catch (err) {
          // Ctrl-C during a probe: it is neither answered nor lost; stop here.
          if (err instanceof Interrupted) break;
          const reason = lossReason(err);
          if (reason === undefined) {
            throw netError(err, {
              op: "read",
              transport,
              address: where,
            });
          }
          probe = { seq, bytes: 0, status: "lost", reason };
          if (reason !== "timeout") endedBy = reason;
          if (!plan.udp) {
            closedEarly = reason === "timeout"
              ? `no reply within ${formatDuration(plan.timeout)}; a stream cannot be resynchronised`
              : `connection ${reason} by ${where}`;
          }
        }
        probes.push(probe);
        reportProbe(out, where, probe);
        if (closedEarly) break;
      }
    } finally {
      exchanger.close();
    }
    if (closedEarly && probes.length < plan.count) {
      const unsent = plan.count - probes.length;
      out.note(`sockit: ${closedEarly}; ${counted(unsent, "probe")} not sent`);
    }
    return summarize(out, where, plan, probes, {
      interrupted: interrupted.signal.aborted,
      endedBy,
    });
  } finally {
    unsubscribe();
  }
}

async function connect(
  plan: ProbePlan,
  io: Io,
  signal: AbortSignal,
  trace?: Tracer,
): Promise<Exchanger> {
  if (!plan.udp) {
    const conn = await dial(plan.to, { io, timeout: plan.timeout, signal, tls: plan.tls });
    return tcpExchanger(conn, formatNetAddr(conn.remoteAddr), trace);
  }
  const udp = await openUdp(plan.to, { io, timeout: plan.timeout, signal });
  const where = formatNetAddr(udp.server);
  const sent: Uint8Array[] = [];
  return {
    async exchange(payload, timeout, stop) {
      await udp.send(payload);
      trace?.("send", where, payload);
      sent.push(payload);
      // Only recent probes can still be answered late (each waited --timeout already);
      // keeping every payload grew without bound (-c 5000 --size 65000: 400 MB).
      if (sent.length > LATE_REPLY_WINDOW) sent.shift();
      const until = performance.now() + timeout;
      const answer = async (): Promise<Reply> => {
        for (;;) {
          const reply = await udp.receive(Math.max(1, until - performance.now()));
          trace?.("recv", where, reply);
          // A late answer to an earlier (lost) probe is not this probe's: skip it. An
          // answer equal to this payload is this probe's (with --message, all are equal).
          if (!firstDifference(payload, reply)) return { bytes: reply };
          const earlier = sent.slice(0, -1).some((p) => !firstDifference(p, reply));
          if (!earlier) return { bytes: reply };
        }
      };
      // receive() keeps the deadline; this adds the interruption.
      return await bounded(answer(), stop);
    },
    close: () => udp.close(),
  };
}

/** Why a probe's exchange failed with nothing back, or undefined for a real failure. */
function lossReason(err: unknown): LossReason | undefined {
  if (err instanceof ClosedBeforeReply) return err.how;
  if (isTimeout(err)) return "timeout";
  // A reset seen elsewhere than the read (the write, UDP): as ClosedBeforeReply says.
  if (isDisconnect(err)) return "reset";
  return undefined;
}

function reportProbe(out: Output, where: string, probe: Probe): void {
  const { paint } = out;
  const fields = {
    seq: probe.seq,
    bytes: probe.bytes,
    status: probe.status,
    ...(probe.reason ? { reason: probe.reason } : {}),
    rttMs: probe.rttMs === undefined ? null : round(probe.rttMs, 3),
    ...(probe.firstDiff ? { firstDiff: probe.firstDiff } : {}),
  };
  let text: string;
  if (probe.status === "ok") {
    text = `${probe.bytes} bytes from ${where}: seq=${probe.seq} time=${
      formatElapsed(probe.rttMs!)
    }`;
  } else if (probe.status === "mismatch") {
    const d = probe.firstDiff!;
    const got = d.got === undefined ? "nothing (reply too short)" : hex(d.got);
    const sent = d.sent === undefined ? "nothing (reply too long)" : hex(d.sent);
    text = paint.red(
      `${probe.bytes} bytes from ${where}: seq=${probe.seq} MISMATCH at byte ${d.offset}: ` +
        `sent ${sent}, got ${got}`,
    );
  } else {
    const why = probe.reason === "closed" || probe.reason === "reset"
      ? ` (connection ${probe.reason} before replying)`
      : "";
    text = paint.yellow(`no reply from ${where}: seq=${probe.seq} lost${why}`);
  }
  out.result("probe", fields, text);
}

function summarize(
  out: Output,
  where: string,
  plan: ProbePlan,
  probes: Probe[],
  ending: { interrupted: boolean; endedBy?: "closed" | "reset" },
): number {
  const { interrupted, endedBy } = ending;
  const sent = probes.length;
  const ok = probes.filter((p) => p.status === "ok");
  const mismatched = probes.filter((p) => p.status === "mismatch").length;
  // Interrupted, probes never sent are not lost (like ping); otherwise they are: the
  // check asked for --count and did not get them.
  const expected = interrupted ? sent : plan.count;
  const received = ok.length + mismatched;
  // sent = received + lost; --count = sent + unsent (unless interrupted: then unsent 0).
  const lost = sent - received;
  const unsent = expected - sent;
  const lossPercent = expected === 0 ? 0 : (100 * (expected - received)) / expected;
  const rtt = rttSummary(ok.map((p) => p.rttMs!));
  const rttFields = rtt
    ? {
      min: round(rtt.min, 3),
      avg: round(rtt.avg, 3),
      max: round(rtt.max, 3),
      p99: round(rtt.p99, 3),
    }
    : null;
  const healthy = !interrupted && ok.length === plan.count;
  const lines = [
    `--- ${where} echo statistics ---`,
    `${sent} sent, ${received} received, ${mismatched} mismatched, ${round(lossPercent, 3)}% loss` +
    (unsent > 0 ? `, ${unsent} not sent` : ""),
  ];
  if (rtt) {
    lines.push(
      `round trip min/avg/max/p99 = ${
        [rtt.min, rtt.avg, rtt.max, rtt.p99].map((n) => n.toFixed(3)).join("/")
      } ms`,
    );
  }
  out.result(
    "summary",
    {
      to: where,
      sent,
      received,
      mismatched,
      lost,
      unsent,
      lossPercent: round(lossPercent, 3),
      rttMs: rttFields,
      ok: healthy,
      interrupted,
    },
    lines.join("\n"),
  );
  if (interrupted) return ExitCode.interrupted;
  if (received === 0 && endedBy) {
    // Not a timeout (nothing was pending) and not exit 4 (the connection was made): the
    // server took the probe and gave nothing back, a failed check.
    throw new CheckFailedError(`echo ${where}: connection ${endedBy} by ${where} before replying`, {
      hint: "is it an echo server?",
    });
  }
  if (received === 0 && plan.count > 0) {
    throw new TimeoutError(
      `echo ${where}: no reply within ${formatDuration(plan.timeout)}`,
      {
        hint: plan.udp
          ? "is an echo server listening there? over UDP a closed port looks the same; " +
            "raise --timeout if it is slow"
          : "is it an echo server? raise --timeout if it is slow",
      },
    );
  }
  return healthy ? ExitCode.ok : ExitCode.checkFailed;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
