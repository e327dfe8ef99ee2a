/**
 * `sockit time-fetch`: asks time servers — daytime (RFC 867), time (RFC 868) or SNTPv4
 * (RFC 4330) — and compares their time with the local clock, for a person or a script
 * (README, `sockit time-fetch`). Several servers are asked in parallel; the answer with
 * the shortest round trip is the best one, and `--max-offset` is checked against it.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../../lib/address.ts";
import { defineCommand, type RunOptions } from "../../lib/command.ts";
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
import { counted, round } from "../../lib/numbers.ts";
import type { Output } from "../../lib/output.ts";
import { createOutput } from "../../lib/output.ts";
import type { Io } from "../../lib/io.ts";
import { pause } from "../../lib/pause.ts";
import { createTracer, type Tracer } from "../../lib/trace.ts";
import { DEFAULT_SERVER, timeFetchMeta } from "./meta.ts";
import { NTP_PORT } from "./ntp.ts";
import { type Answer, ask, KissOfDeath, type Query, type TimeProtocol } from "./query.ts";

export { DEFAULT_SERVER };

/** The well-known port of each protocol. */
export const DEFAULT_PORTS: Record<TimeProtocol, number> = { daytime: 13, time: 37, ntp: NTP_PORT };

/**
 * The resolve step: `--retries` only means something over UDP (TCP connects once and
 * reads to the end), so given for TCP it is a usage error rather than silently ignored.
 *
 * @throws {UsageError} for `--retries` without `--udp` or `--protocol ntp`.
 */
function checkTransport(options: RunOptions<typeof timeFetchMeta.flags>): void {
  const udp = options.udp || options.protocol === "ntp";
  if (!udp && options.given.includes("retries")) {
    throw new UsageError(
      `--retries is for UDP; ${options.protocol} over TCP connects once (add --udp)`,
    );
  }
}

/** `sockit time-fetch`. */
export const timeFetch = defineCommand({
  ...timeFetchMeta,
  async run(options, io) {
    checkTransport(options);
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    const queries = queriesOf(options, out);
    const interrupted = new AbortController();
    const unsubscribe = io.onSignal(() => interrupted.abort());
    const trace = options.trace ? createTracer(out.note) : undefined;
    const many = queries.length * options.count > 1;
    let asked: Asked;
    try {
      const ctx = { io, out, signal: interrupted.signal, trace, many };
      asked = await askRounds(queries, options, ctx);
    } finally {
      unsubscribe();
    }
    const { answers, failures } = asked;
    const best = bestOf(answers);
    if (many) reportSummary(out, answers, failures, best, options.maxOffset);
    if (interrupted.signal.aborted) throw new InterruptedError();
    if (!best) throw noAnswer(queries.length, failures);
    checkOffset(out, best, options.maxOffset);
    return 0;
  },
});

type TimeFetchOptions = RunOptions<typeof timeFetchMeta.flags>;

/** One query per server named (or the default one), each with its port filled in. */
function queriesOf(options: TimeFetchOptions, out: Output): Query[] {
  const port = DEFAULT_PORTS[options.protocol];
  const names = options.positionals.length > 0 ? options.positionals : [DEFAULT_SERVER];
  return names.map((name) => {
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
}

/** What the rounds of {@linkcode askRounds} got. */
interface Asked {
  answers: Answer[];
  failures: SockitError[];
}

/**
 * Asks every server, `--count` rounds `--interval` apart, reporting each answer and
 * failure as it comes. With one server and one round (not `many`), a failure is thrown
 * (it is the command's error); a server that sent a kiss-o'-death is not asked again (RFC 4330 §8).
 */
async function askRounds(
  queries: Query[],
  options: TimeFetchOptions,
  ctx: { io: Io; out: Output; signal: AbortSignal; trace?: Tracer; many: boolean },
): Promise<Asked> {
  const { io, out, signal, trace, many } = ctx;
  const answers: Answer[] = [];
  const failures: SockitError[] = [];
  const kissed = new Set<Query>();
  for (let round = 1; round <= options.count; round++) {
    if (round > 1) await pause(options.interval, signal);
    if (signal.aborted) break;
    const asking = queries.filter((q) => !kissed.has(q));
    if (asking.length === 0) break;
    const results = await Promise.all(
      asking.map((q) =>
        ask(q, { io, signal, trace }).then(
          (answer) => answer,
          (err: unknown) => err instanceof SockitError ? err : Promise.reject(err),
        )
      ),
    );
    if (signal.aborted) break;
    const got = results.filter((r): r is Answer => !(r instanceof SockitError));
    const best = bestOf(got);
    for (const [i, result] of results.entries()) {
      if (!(result instanceof SockitError)) {
        answers.push(result);
        reportAnswer(out, result, { round, best: result === best, mark: got.length > 1 });
        continue;
      }
      failures.push(result);
      if (!many) throw result; // one server: the command's error (and --json error event)
      reportFailure(out, asking[i].server, round, result);
      if (result instanceof KissOfDeath) {
        kissed.add(asking[i]);
        if (round < options.count) {
          out.note(
            `sockit: note: not asking ${asking[i].server} again: it sent ` +
              `kiss-o'-death ${result.code} (RFC 4330)`,
          );
        }
      }
    }
  }
  return { answers, failures };
}

/** The error when no server answered; its exit code must not depend on their order. */
function noAnswer(servers: number, failures: SockitError[]): SockitError {
  const telling = mostTelling(failures);
  return new SockitError(
    servers > 1
      ? `no server answered (${failures.length} failures; most telling: ${telling.message})`
      : `no answer in ${failures.length} tries (most telling: ${telling.message})`,
    telling.exitCode,
    { hint: telling.hint },
  );
}

/**
 * `--max-offset`: a note when it is finer than the answer can tell, and exit 1 when
 * the clock is off by more.
 *
 * @throws {CheckFailedError} when the best answer's offset is over `maxOffset`.
 */
function checkOffset(out: Output, best: Answer, maxOffset: number | undefined): void {
  if (maxOffset === undefined) return;
  if (maxOffset < best.errorMs) {
    out.note(
      `sockit: note: --max-offset ${formatDuration(maxOffset)} is finer than the ` +
        `answer can tell (+/- ${formatElapsed(best.errorMs)}); ` +
        (best.protocol === "ntp" ? "a closer server helps" : "--protocol ntp is precise"),
    );
  }
  if (Math.abs(best.offsetMs) > maxOffset) {
    throw new CheckFailedError(
      `the local clock is off by ${signed(best.offsetMs)} from ${best.server}, over ` +
        `--max-offset ${formatDuration(maxOffset)}`,
      { hint: `measured to +/- ${formatElapsed(best.errorMs)}` },
    );
  }
}

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
