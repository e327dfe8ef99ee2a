/**
 * `sockit time-fetch`: asks time servers — daytime (RFC 867), time (RFC 868) or SNTPv4
 * (RFC 4330) — and compares their time with the local clock, for a person or a script
 * (README, `sockit time-fetch`). Several servers are asked in parallel; the answer with
 * the shortest round trip is the best one, and `--max-offset` is checked against it.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../../lib/address.ts";
import { commonFlags, defineCommand, type RunOptions } from "../../lib/command.ts";
import { formatStamp } from "../../lib/daytime_format.ts";
import { formatDuration, formatElapsed } from "../../lib/duration.ts";
import {
  CheckFailedError,
  exitCodeOf,
  formatError,
  InterruptedError,
  mostTelling,
  SockitError,
  UsageError,
} from "../../lib/errors.ts";
import { defineFlags } from "../../lib/flags.ts";
import { counted, round } from "../../lib/numbers.ts";
import type { Output } from "../../lib/output.ts";
import { createOutput } from "../../lib/output.ts";
import { pause } from "../../lib/pause.ts";
import { createTracer } from "../../lib/trace.ts";
import { NTP_PORT } from "./ntp.ts";
import { type Answer, ask, KissOfDeath, type Query, type TimeProtocol } from "./query.ts";

/** Where `time-fetch` asks when no server is named. */
export const DEFAULT_SERVER = "time.nist.gov";

/** The well-known port of each protocol. */
export const DEFAULT_PORTS: Record<TimeProtocol, number> = { daytime: 13, time: 37, ntp: NTP_PORT };

const flags = defineFlags({
  protocol: {
    type: "enum",
    choices: ["daytime", "time", "ntp"],
    default: "daytime",
    short: "p",
    help: "daytime (RFC 867 text, port 13), time (RFC 868, port 37) or ntp (SNTPv4, port 123)",
  },
  udp: { type: "boolean", short: "u", help: "daytime and time over UDP (ntp always is)" },
  count: { type: "integer", short: "c", default: 1, min: 1, help: "ask each server N times" },
  interval: {
    type: "duration",
    short: "i",
    default: 4000,
    help: "pause between the --count rounds (NIST asks for 4 s at least)",
  },
  timeout: {
    type: "duration",
    short: "W",
    default: 5000,
    min: 1,
    help: "longest wait for one answer: resolving, connecting and every retry together",
  },
  retries: {
    type: "integer",
    default: 2,
    min: 0,
    max: 100,
    help: "UDP: send the request again this many times, spread over --timeout",
  },
  maxOffset: {
    type: "duration",
    valueName: "DURATION",
    help: "exit 1 when the best answer puts the local clock further off than this",
  },
  ...commonFlags,
});

/**
 * The resolve step: `--retries` only means something over UDP (TCP connects once and
 * reads to the end), so given for TCP it is a usage error rather than silently ignored.
 *
 * @throws {UsageError} for `--retries` without `--udp` or `--protocol ntp`.
 */
function checkTransport(options: RunOptions<typeof flags>): void {
  const udp = options.udp || options.protocol === "ntp";
  if (!udp && options.given.includes("retries")) {
    throw new UsageError(
      `--retries is for UDP; ${options.protocol} over TCP connects once (add --udp)`,
    );
  }
}

/** `sockit time-fetch`. */
export const timeFetch = defineCommand({
  name: "time-fetch",
  summary: "ask time servers (daytime, time, NTP) and compare with the local clock",
  usage: ["[SERVER ...] [--protocol daytime|time|ntp] [--max-offset DURATION] [flags]"],
  positional: {
    name: "SERVER ...",
    help: `HOST, HOST:PORT or [IPv6]:PORT, asked in parallel (default ${DEFAULT_SERVER})`,
  },
  description: `
Prints a line per answer, like sntp's: the server's time in the local zone, the local
clock's offset from it (positive: the server is ahead) +/- how far that can be off, the
server, and then the details: what a daytime server said, both clocks, the round trip
and the precision. Time answers and most daytime answers name whole seconds, so their
offset is only good to +/- 0.5 s plus half the round trip (an ISO 8601 answer with
milliseconds does better); NTP's to about the round trip.

Daytime answers are read in the NIST format, RFC 867-style lines (ctime, inetd),
RFC 2822, ISO 8601 or Unix seconds; anything else is a protocol error that shows the
text. NTP answers are checked as RFC 4330 says: mode 4, our transmit timestamp as their
origin (others are ignored), a kiss-o'-death (stratum 0, e.g. RATE) or an unsynchronised
server (leap indicator 3) is an error.

With several servers or --count, the answer with the shortest round trip in each round
is marked best, and a summary names the best of all; --max-offset is checked against it.

Exit codes: 0 ok, 1 offset over --max-offset, 3 host not found, 4 refused, 5 no answer
within --timeout, 6 not a time answer / kiss-o'-death / unsynchronised, 130 interrupted.
With several servers, 0 when any answered; when none did, the most telling failure's
code, whatever the order of the servers: 6, then 1, 4, 3, 5 (a timeout). A server that
sends a kiss-o'-death is not asked again in later --count rounds (RFC 4330).`,
  flags,
  examples: [
    "sockit time-fetch                                  # time.nist.gov, daytime",
    "sockit time-fetch --protocol ntp pool.ntp.org time.google.com",
    "sockit time-fetch --protocol ntp --max-offset 100ms ntp.example.org   # check the clock",
    "sockit time-fetch 127.0.0.1:1313 --udp --timeout 1s --retries 3",
    "sockit time-fetch --protocol time [::1]:3737 --json",
  ],
  async run(options, io) {
    checkTransport(options);
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    const port = DEFAULT_PORTS[options.protocol];
    const names = options.positionals.length > 0 ? options.positionals : [DEFAULT_SERVER];
    const queries: Query[] = names.map((name) => {
      const address = parseAddress(name, port, { onNote: out.note });
      return {
        server: formatAddress(address),
        address,
        protocol: options.protocol,
        udp: options.udp || options.protocol === "ntp",
        timeout: options.timeout,
        retries: options.retries,
      };
    });
    const interrupted = new AbortController();
    const unsubscribe = io.onSignal(() => interrupted.abort());
    const trace = options.trace ? createTracer(out.note) : undefined;
    const many = queries.length * options.count > 1;
    const answers: Answer[] = [];
    const failures: SockitError[] = [];
    // RFC 4330 §8: a server that sent a kiss-o'-death is not asked again.
    const kissed = new Set<Query>();
    try {
      for (let round = 1; round <= options.count; round++) {
        if (round > 1) await pause(options.interval, interrupted.signal);
        if (interrupted.signal.aborted) break;
        const asking = queries.filter((q) => !kissed.has(q));
        if (asking.length === 0) break;
        const results = await Promise.all(
          asking.map((q) =>
            ask(q, { io, signal: interrupted.signal, trace }).then(
              (answer) => answer,
              (err: unknown) => err instanceof SockitError ? err : Promise.reject(err),
            )
          ),
        );
        if (interrupted.signal.aborted) break;
        const got = results.filter((r): r is Answer => !(r instanceof SockitError));
        const best = bestOf(got);
        for (const [i, result] of results.entries()) {
          if (result instanceof SockitError) {
            failures.push(result);
            if (many) reportFailure(out, asking[i].server, round, result);
            else throw result; // one server: the command's error (and --json error event)
            if (result instanceof KissOfDeath) {
              kissed.add(asking[i]);
              if (round < options.count) {
                out.note(
                  `sockit: note: not asking ${asking[i].server} again: it sent ` +
                    `kiss-o'-death ${result.code} (RFC 4330)`,
                );
              }
            }
          } else {
            answers.push(result);
            reportAnswer(out, result, { round, best: result === best, mark: got.length > 1 });
          }
        }
      }
    } finally {
      unsubscribe();
    }
    const best = bestOf(answers);
    if (many) reportSummary(out, answers, failures, best, options.maxOffset);
    if (interrupted.signal.aborted) throw new InterruptedError();
    if (!best) {
      // The exit code must not depend on the order the servers were named in.
      const telling = mostTelling(failures);
      throw new SockitError(
        queries.length > 1
          ? `no server answered (${failures.length} failures; most telling: ${telling.message})`
          : `no answer in ${failures.length} tries (most telling: ${telling.message})`,
        telling.exitCode,
        { hint: telling.hint },
      );
    }
    if (options.maxOffset !== undefined && options.maxOffset < best.errorMs) {
      out.note(
        `sockit: note: --max-offset ${formatDuration(options.maxOffset)} is finer than the ` +
          `answer can tell (+/- ${formatElapsed(best.errorMs)}); ` +
          (best.protocol === "ntp" ? "a closer server helps" : "--protocol ntp is precise"),
      );
    }
    if (options.maxOffset !== undefined && Math.abs(best.offsetMs) > options.maxOffset) {
      throw new CheckFailedError(
        `the local clock is off by ${signed(best.offsetMs)} from ${best.server}, over ` +
          `--max-offset ${formatDuration(options.maxOffset)}`,
        { hint: `measured to +/- ${formatElapsed(best.errorMs)}` },
      );
    }
    return 0;
  },
});

/**
 * The valid answer with the shortest round trip, or undefined for none.
 *
 * @example
 * ```ts
 * bestOf([{ ...a, delayMs: 40 }, { ...b, delayMs: 12 }]); // the second: the shortest round trip
 * ```
 */
export function bestOf(answers: readonly Answer[]): Answer | undefined {
  let best: Answer | undefined;
  for (const a of answers) if (!best || a.delayMs < best.delayMs) best = a;
  return best;
}

/** Milliseconds as signed seconds for humans: `+30.000s`, `-0.214s`, `+0.000123s`. */
function signed(ms: number): string {
  const s = ms / 1000;
  const digits = Math.abs(s) >= 1 ? 3 : 6;
  return `${s < 0 ? "-" : "+"}${Math.abs(s).toFixed(digits)}s`;
}

function signedElapsed(ms: number): string {
  return (ms < 0 ? "" : "+") + formatElapsed(ms);
}

function precisionText(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s (whole seconds)`;
  if (ms >= 1) return formatElapsed(ms);
  if (ms >= 0.001) return `${round(ms * 1000, 1)}µs`;
  return `${round(ms * 1e6, 1)}ns`;
}

const LEAP_TEXT = ["no-leap", "add-leap", "del-leap", "unsync"];

function reportAnswer(
  out: Output,
  a: Answer,
  at: { round: number; best: boolean; mark: boolean },
): void {
  const { paint } = out;
  const fields = {
    server: a.server,
    address: a.address,
    protocol: a.protocol,
    transport: a.transport,
    round: at.round,
    serverTime: new Date(a.serverTimeMs).toISOString(),
    localTime: new Date(a.localTimeMs).toISOString(),
    offsetMs: round(a.offsetMs, 3),
    delayMs: round(a.delayMs, 3),
    errorMs: round(a.errorMs, 3),
    precisionMs: a.precisionMs,
    best: at.best,
    ...(a.daytime ? { daytime: a.daytime } : {}),
    ...(a.ntp ? { ntp: { ...a.ntp, leap: LEAP_TEXT[a.ntp.leap] } } : {}),
  };
  // sntp's line: server time in the local zone, offset +/- error (seconds), server.
  const digits = a.precisionMs >= 1000 ? 3 : 6;
  const kind = a.ntp
    ? `s${a.ntp.stratum} ${LEAP_TEXT[a.ntp.leap]}`
    : `${a.protocol}/${a.transport}${a.daytime ? ` ${a.daytime.format}` : ""}`;
  const where = a.address === a.server ? a.server : `${a.server} ${a.address}`;
  const head = `${formatStamp(a.serverTimeMs, { digits })} ${
    (a.offsetMs < 0 ? "-" : "+") + Math.abs(a.offsetMs / 1000).toFixed(6)
  } +/- ${(a.errorMs / 1000).toFixed(6)} ${where} ${kind}`;
  const lines = [at.best && at.mark ? `${head} ${paint.green("(best)")}` : head];
  if (a.daytime) {
    const zone = a.daytime.zone === undefined
      ? "no zone given: read as UTC"
      : `zone ${a.daytime.zone}`;
    lines.push(`    said ${JSON.stringify(a.daytime.text)} (${a.daytime.format}, ${zone})`);
    const nist = a.daytime.nist;
    if (nist && nist.health !== 0) {
      lines.push(
        paint.yellow(`    NIST health ${nist.health}: the server says its time may be wrong`),
      );
    }
    if (nist && nist.leap !== 0) {
      lines.push(`    NIST leap ${nist.leap}: a leap second is announced for the end of the month`);
    }
  }
  lines.push(
    `    server time ${new Date(a.serverTimeMs).toISOString()}, local time ${
      new Date(a.localTimeMs).toISOString()
    }`,
    `    offset ${signedElapsed(a.offsetMs)} +/- ${formatElapsed(a.errorMs)}, round trip ${
      formatElapsed(a.delayMs)
    }, precision ${precisionText(a.precisionMs)}`,
  );
  if (a.ntp) {
    lines.push(
      `    stratum ${a.ntp.stratum}, reference ${a.ntp.refId || "-"}, version ${a.ntp.version}, ` +
        `root delay ${formatElapsed(a.ntp.rootDelayMs)}, root dispersion ${
          formatElapsed(a.ntp.rootDispersionMs)
        }`,
    );
  }
  out.result("answer", fields, lines.join("\n"));
}

function reportFailure(out: Output, server: string, round: number, err: SockitError): void {
  out.log(
    "error",
    { server, round, message: err.message, exitCode: exitCodeOf(err) },
    formatError(err),
  );
}

function reportSummary(
  out: Output,
  answers: readonly Answer[],
  failures: readonly SockitError[],
  best: Answer | undefined,
  maxOffset: number | undefined,
): void {
  const ok = best !== undefined &&
    (maxOffset === undefined || Math.abs(best.offsetMs) <= maxOffset);
  const count = `${counted(answers.length, "answer")}, ${failures.length} failed`;
  const text = best
    ? `--- ${count}; best: ${best.server}, offset ${signedElapsed(best.offsetMs)} +/- ${
      formatElapsed(best.errorMs)
    }, round trip ${formatElapsed(best.delayMs)}`
    : `--- ${count}; no answer`;
  out.result("summary", {
    answers: answers.length,
    failed: failures.length,
    best: best
      ? {
        server: best.server,
        address: best.address,
        offsetMs: round(best.offsetMs, 3),
        delayMs: round(best.delayMs, 3),
        errorMs: round(best.errorMs, 3),
      }
      : null,
    maxOffsetMs: maxOffset ?? null,
    ok,
  }, text);
}
