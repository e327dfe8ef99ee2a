/**
 * sockit's errors and the one map from an error to an exit code (README, "Exit codes").
 *
 * Commands throw these (or let Deno's own errors through); `main.ts` turns whatever
 * reached the top into one line on stderr and an exit code with {@linkcode exitCodeOf}
 * and {@linkcode formatError}. Expected failures never print a stack trace.
 *
 * @module
 */

/** The exit codes of the README's table, by name. */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  resolve: 3,
  refused: 4,
  timeout: 5,
  protocol: 6,
  listen: 7,
  tls: 8,
  interrupted: 130,
} as const;

/** One of the README's exit codes. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Options shared by every {@linkcode SockitError}. */
export interface SockitErrorOptions {
  /** Advice shown in parentheses after the message. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An expected failure: printed as one line, mapped to an exit code, no stack trace.
 *
 * @example
 * ```ts
 * throw new SockitError("listen tcp 127.0.0.1:7: address already in use", ExitCode.listen);
 * ```
 */
export class SockitError extends Error {
  /** The exit code the process ends with when this error reaches the top. */
  readonly exitCode: ExitCode;
  /** Advice shown in parentheses after the message. */
  readonly hint?: string;

  constructor(message: string, exitCode: ExitCode, options: SockitErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/**
 * A flag, value or argument the user gave is wrong (exit 2).
 *
 * @example
 * ```ts
 * throw new UsageError(`--port: "x" is not a port number`);
 * ```
 */
export class UsageError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.usage, { hint: "see --help", ...options });
  }
}

/**
 * A check the user asked for failed: echo mismatch, loss, clock offset (exit 1).
 *
 * @example
 * ```ts
 * throw new CheckFailedError("the local clock is off by +2.1s, over --max-offset 1s");
 * ```
 */
export class CheckFailedError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.checkFailed, options);
  }
}

/**
 * A host name did not resolve (exit 3).
 *
 * @example
 * ```ts
 * throw new ResolveError("resolve nowhere.invalid: host not found");
 * ```
 */
export class ResolveError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.resolve, options);
  }
}

/**
 * Connection refused or network unreachable (exit 4).
 *
 * @example
 * ```ts
 * throw new ConnectError("dial tcp 127.0.0.1:7: connection refused");
 * ```
 */
export class ConnectError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.refused, options);
  }
}

/**
 * Nothing came back in time (exit 5).
 *
 * @example
 * ```ts
 * throw new TimeoutError("read udp 127.0.0.1:123: no answer within 5s");
 * ```
 */
export class TimeoutError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.timeout, options);
  }
}

/**
 * The peer answered something that is not the protocol (exit 6).
 *
 * @example
 * ```ts
 * throw new ProtocolError('daytime 127.0.0.1:13: the answer is not a time: "garbage"');
 * ```
 */
export class ProtocolError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.protocol, options);
  }
}

/**
 * A server could not listen: address in use or permission denied (exit 7).
 *
 * @example
 * ```ts
 * throw new ListenError("listen tcp 127.0.0.1:7: address already in use");
 * ```
 */
export class ListenError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.listen, options);
  }
}

/**
 * The peer's TLS certificate could not be verified: untrusted, expired, wrong name
 * (exit 8).
 *
 * @example
 * ```ts
 * throw new TlsError("tls 127.0.0.1:7: the certificate has expired", { hint: "pass --ca FILE" });
 * ```
 */
export class TlsError extends SockitError {
  constructor(message: string, options: SockitErrorOptions = {}) {
    super(message, ExitCode.tls, options);
  }
}

/**
 * A client command was interrupted by a signal before its work finished (exit 130).
 *
 * @example
 * ```ts
 * if (signal.aborted) throw new InterruptedError();
 * ```
 */
export class InterruptedError extends SockitError {
  constructor(message = "interrupted", options: SockitErrorOptions = {}) {
    super(message, ExitCode.interrupted, options);
  }
}

/** What a network operation was doing when it failed, for {@linkcode netError}. */
export interface NetOp {
  /** `dial`, `listen`, `read`, `write`, `resolve`, ... */
  op: string;
  /** `tcp` or `udp`. */
  transport?: string;
  /** The address as the user would write it, e.g. `127.0.0.1:7` or `[::1]:7`. */
  address: string;
  /** For `listen`: the port, so a port below 1024 gets its hint. */
  port?: number;
  /** For timeouts: how long was waited, as text (e.g. `5s`). */
  waited?: string;
}

/**
 * Turns an error from Deno's networking into a {@linkcode SockitError} whose message
 * says the operation, the address and the cause, Go-style:
 * `dial tcp 127.0.0.1:7: connection refused`.
 *
 * Errors that are already {@linkcode SockitError}s pass through unchanged; unknown
 * errors become a {@linkcode SockitError} with exit code 1.
 *
 * @example
 * ```ts
 * try {
 *   await Deno.connect({ hostname: "127.0.0.1", port: 1 });
 * } catch (err) {
 *   throw netError(err, { op: "dial", transport: "tcp", address: "127.0.0.1:1" });
 * }
 * ```
 */
export function netError(err: unknown, at: NetOp): SockitError {
  if (err instanceof SockitError) return err;
  const where = `${at.op}${at.transport ? ` ${at.transport}` : ""} ${at.address}`;
  const cause = err;
  if (err instanceof Deno.errors.AddrInUse) {
    return new ListenError(`${where}: address already in use`, {
      cause,
      hint: "another program holds the port; choose another with --port, or --port 0 for any",
    });
  }
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    if (at.op === "listen") {
      const low = at.port !== undefined && at.port > 0 && at.port < 1024;
      return new ListenError(`${where}: permission denied`, {
        cause,
        hint: low
          ? `ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port ${at.port! + 10000}`
          : "the system refused the address",
      });
    }
    return new ConnectError(`${where}: permission denied`, { cause });
  }
  if (err instanceof Deno.errors.AddrNotAvailable && at.op === "listen") {
    return new ListenError(`${where}: address not available on this machine`, {
      cause,
      hint: "use an address of this machine, 127.0.0.1 or 0.0.0.0",
    });
  }
  if (err instanceof Deno.errors.ConnectionRefused) {
    return new ConnectError(`${where}: connection refused`, {
      cause,
      hint: "is a server listening there?",
    });
  }
  if (
    err instanceof Deno.errors.NetworkUnreachable || err instanceof Deno.errors.AddrNotAvailable ||
    errnoOf(err) === "ENETUNREACH"
  ) {
    return new ConnectError(`${where}: network unreachable`, { cause });
  }
  // Deno has no class for EHOSTUNREACH: it arrives as a plain Error with that code.
  if (errnoOf(err) === "EHOSTUNREACH") {
    return new ConnectError(`${where}: no route to host`, { cause });
  }
  if (isTimeout(err)) {
    return new TimeoutError(`${where}: timed out${at.waited ? ` after ${at.waited}` : ""}`, {
      cause,
      hint: "raise --timeout if the peer is slow",
    });
  }
  if (err instanceof Deno.errors.ConnectionReset) {
    return new ConnectError(`${where}: connection reset by peer`, { cause });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SockitError(`${where}: ${message}`, ExitCode.checkFailed, { cause });
}

/** The errno name (`EHOSTUNREACH`) Deno puts on some errors as `code`. */
function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Whether `err` is a timeout (Deno's, an aborted signal's, or sockit's own).
 *
 * @example
 * ```ts
 * isTimeout(new DOMException("deadline", "TimeoutError")); // true
 * isTimeout(new Deno.errors.ConnectionRefused()); // false
 * ```
 */
export function isTimeout(err: unknown): boolean {
  if (err instanceof Deno.errors.TimedOut || err instanceof TimeoutError) return true;
  return err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
}

/**
 * Errors that mean the peer or the socket went away: a normal end, not a failure.
 *
 * @example
 * ```ts
 * isDisconnect(new Deno.errors.ConnectionReset("reset")); // true: the peer left
 * isDisconnect(new TypeError("bug")); // false
 * ```
 */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.UnexpectedEof;
}

/**
 * Exit codes from the most telling failure to the least, for a command that tried several
 * servers and got no success: an answer that is wrong (the peer is there and says
 * something else: 6, TLS 8, a failed check 1) says more than a definite "no" (refused 4,
 * no such host 3), which says more than silence (timeout 5), the least specific failure
 * (a slow server, a firewall, a closed UDP port all look like it).
 */
const SPECIFICITY: readonly number[] = [
  ExitCode.interrupted,
  ExitCode.usage,
  ExitCode.protocol,
  8, // TLS verification, once it lands
  ExitCode.checkFailed,
  ExitCode.refused,
  ExitCode.resolve,
  ExitCode.timeout,
  ExitCode.listen,
];

/**
 * The failure whose exit code a command that tried several servers ends with: the most
 * telling by a fixed precedence (6, 8, 1, 4, 3, 5), the first given among equals, so
 * the code never depends on the order the servers were named in.
 *
 * @throws {RangeError} when `errors` is empty.
 *
 * @example
 * ```ts
 * mostTelling([new TimeoutError("t"), new ConnectError("r")]).exitCode; // 4
 * ```
 */
export function mostTelling(errors: readonly SockitError[]): SockitError {
  if (errors.length === 0) throw new RangeError("mostTelling() of no errors");
  const rank = (e: SockitError) => {
    const at = SPECIFICITY.indexOf(e.exitCode);
    return at < 0 ? SPECIFICITY.length : at;
  };
  return errors.reduce((best, e) => rank(e) < rank(best) ? e : best);
}

/**
 * The exit code for an error that reached the top of a command.
 *
 * @example
 * ```ts
 * exitCodeOf(new UsageError("unknown flag --bogus")); // 2
 * exitCodeOf(new Error("bug")); // 1
 * ```
 */
export function exitCodeOf(err: unknown): number {
  return err instanceof SockitError ? err.exitCode : ExitCode.checkFailed;
}

/**
 * The one line printed on stderr for an error: `sockit: <message> (<hint>)`.
 * Unexpected errors (bugs) keep their stack after the line so they can be reported.
 *
 * @example
 * ```ts
 * formatError(new UsageError("--port: \"x\" is not a port number"));
 * // 'sockit: --port: "x" is not a port number (see --help)'
 * ```
 */
export function formatError(err: unknown): string {
  if (err instanceof SockitError) {
    return `sockit: ${err.message}${err.hint ? ` (${err.hint})` : ""}`;
  }
  if (err instanceof Error) {
    return `sockit: internal error: ${err.message} (please report this)\n${err.stack ?? ""}`;
  }
  return `sockit: internal error: ${String(err)} (please report this)`;
}
