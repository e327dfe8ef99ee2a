/** Unit tests of the one error → exit code map and the one-line error format. */

import assert from "node:assert/strict";
import {
  CheckFailedError,
  ConnectError,
  ExitCode,
  exitCodeOf,
  formatError,
  InterruptedError,
  isDisconnect,
  isTimeout,
  ListenError,
  mostTelling,
  netError,
  ProtocolError,
  ResolveError,
  SockitError,
  TimeoutError,
  TlsError,
  UsageError,
} from "../lib/errors.ts";

Deno.test("ExitCode: the README's table", () => {
  assert.deepStrictEqual(ExitCode, {
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
  });
});

Deno.test("each SockitError class carries its exit code and name", () => {
  const cases: [SockitError, number, string][] = [
    [new CheckFailedError("x"), 1, "CheckFailedError"],
    [new UsageError("x"), 2, "UsageError"],
    [new ResolveError("x"), 3, "ResolveError"],
    [new ConnectError("x"), 4, "ConnectError"],
    [new TimeoutError("x"), 5, "TimeoutError"],
    [new TlsError("x"), 8, "TlsError"],
    [new ProtocolError("x"), 6, "ProtocolError"],
    [new ListenError("x"), 7, "ListenError"],
    [new InterruptedError(), 130, "InterruptedError"],
  ];
  for (const [err, code, name] of cases) {
    assert(err instanceof SockitError);
    assert.equal(err.exitCode, code, name);
    assert.equal(exitCodeOf(err), code, name);
    assert.equal(err.name, name);
  }
  assert.equal(new UsageError("x").hint, "see --help");
  assert.equal(new UsageError("x", { hint: "see sockit --help" }).hint, "see sockit --help");
});

Deno.test("exitCodeOf: anything that is not a SockitError is 1", () => {
  assert.equal(exitCodeOf(new Error("bug")), 1);
  assert.equal(exitCodeOf("thrown string"), 1);
  assert.equal(exitCodeOf(undefined), 1);
});

const dialAt = { op: "dial", transport: "tcp", address: "127.0.0.1:7" };

Deno.test("netError: address in use → ListenError, exit 7, says op, address and cause", () => {
  const cause = new Deno.errors.AddrInUse("Address already in use (os error 98)");
  const err = netError(cause, { op: "listen", transport: "tcp", address: "127.0.0.1:7", port: 7 });
  assert(err instanceof ListenError);
  assert.equal(err.exitCode, 7);
  assert.equal(err.message, "listen tcp 127.0.0.1:7: address already in use");
  assert.equal(err.cause, cause);
  assert.match(err.hint!, /--port 0/);
});

Deno.test("netError: permission denied on a port below 1024 → exit 7 with the low-port hint", () => {
  for (
    const cause of [new Deno.errors.PermissionDenied("denied"), new Deno.errors.NotCapable("x")]
  ) {
    const err = netError(cause, {
      op: "listen",
      transport: "tcp",
      address: "0.0.0.0:80",
      port: 80,
    });
    assert(err instanceof ListenError);
    assert.equal(err.exitCode, 7);
    assert.equal(err.message, "listen tcp 0.0.0.0:80: permission denied");
    assert.match(err.hint!, /below 1024/);
    assert.match(err.hint!, /--port 10080/);
  }
  const high = netError(new Deno.errors.PermissionDenied("denied"), {
    op: "listen",
    transport: "udp",
    address: "10.0.0.1:5000",
    port: 5000,
  });
  assert.equal(high.exitCode, 7);
  assert.doesNotMatch(high.hint!, /1024/);
  // Port 0 is not "below 1024" in the sense of the hint: the kernel picks a high one.
  const zero = netError(new Deno.errors.PermissionDenied("denied"), {
    op: "listen",
    address: "x:0",
    port: 0,
  });
  assert.doesNotMatch(zero.hint!, /1024/);
});

Deno.test("netError: permission denied while dialing is not a listen error", () => {
  const err = netError(new Deno.errors.PermissionDenied("denied"), dialAt);
  assert(err instanceof ConnectError);
  assert.equal(err.exitCode, 4);
});

Deno.test("netError: address not available when listening → exit 7", () => {
  const err = netError(new Deno.errors.AddrNotAvailable("x"), {
    op: "listen",
    transport: "tcp",
    address: "192.0.2.1:7",
    port: 7,
  });
  assert(err instanceof ListenError);
  assert.match(err.message, /^listen tcp 192\.0\.2\.1:7: address not available/);
});

Deno.test("netError: connection refused → ConnectError, exit 4", () => {
  const cause = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
  const err = netError(cause, dialAt);
  assert(err instanceof ConnectError);
  assert.equal(err.exitCode, 4);
  assert.equal(err.message, "dial tcp 127.0.0.1:7: connection refused");
  assert.equal(err.cause, cause);
  assert.equal(
    formatError(err),
    "sockit: dial tcp 127.0.0.1:7: connection refused (is a server listening there?)",
  );
});

Deno.test("netError: network unreachable → exit 4", () => {
  for (
    const cause of [new Deno.errors.NetworkUnreachable("x"), new Deno.errors.AddrNotAvailable("x")]
  ) {
    const err = netError(cause, { op: "dial", transport: "tcp", address: "[2001:db8::1]:7" });
    assert(err instanceof ConnectError);
    assert.equal(err.message, "dial tcp [2001:db8::1]:7: network unreachable");
  }
});

Deno.test("netError: connection reset → exit 4", () => {
  const err = netError(new Deno.errors.ConnectionReset("x"), { op: "read", address: "h:7" });
  assert.equal(err.exitCode, 4);
  assert.equal(err.message, "read h:7: connection reset by peer");
});

Deno.test("netError: timeouts (TimedOut, TimeoutError, AbortError) → TimeoutError, exit 5", () => {
  const causes = [
    new Deno.errors.TimedOut("x"),
    new DOMException("Signal timed out.", "TimeoutError"),
    new DOMException("The signal has been aborted", "AbortError"),
  ];
  for (const cause of causes) {
    assert(isTimeout(cause));
    const err = netError(cause, { ...dialAt, waited: "5s" });
    assert(err instanceof TimeoutError, String(cause));
    assert.equal(err.exitCode, 5);
    assert.equal(err.message, "dial tcp 127.0.0.1:7: timed out after 5s");
    assert.equal(err.cause, cause);
  }
  assert.equal(
    netError(new Deno.errors.TimedOut("x"), dialAt).message,
    "dial tcp 127.0.0.1:7: timed out",
  );
  // sockit's own TimeoutError (a UDP read with no answer) is a timeout too.
  assert(isTimeout(new TimeoutError("read udp h:7: no answer within 1s")));
  assert(!isTimeout(new ConnectError("x")));
  assert(!isTimeout(new Error("x")));
  assert(!isTimeout(new DOMException("x", "NetworkError")));
});

Deno.test("netError: a SockitError passes through unchanged", () => {
  const original = new ResolveError("resolve nowhere.invalid: host not found");
  assert.equal(netError(original, dialAt), original);
});

Deno.test("netError: an unknown error keeps its message after op and address, exit 1", () => {
  const err = netError(new Error("something odd"), {
    op: "write",
    transport: "udp",
    address: "h:9",
  });
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, "write udp h:9: something odd");
  assert.equal(netError("plain", { op: "x", address: "y" }).message, "x y: plain");
});

Deno.test("formatError: one line `sockit: <message> (<hint>)` for expected errors", () => {
  const expected = [
    new UsageError("unknown flag --bogus"),
    netError(new Deno.errors.AddrInUse("x"), {
      op: "listen",
      transport: "tcp",
      address: "127.0.0.1:7",
      port: 7,
    }),
    netError(new Deno.errors.PermissionDenied("x"), {
      op: "listen",
      address: "127.0.0.1:7",
      port: 7,
    }),
    new ResolveError("resolve nowhere.invalid: host not found", { hint: "check the name" }),
    netError(new Deno.errors.ConnectionRefused("x"), dialAt),
    netError(new Deno.errors.TimedOut("x"), dialAt),
  ];
  for (const err of expected) {
    const line = formatError(err);
    assert(!line.includes("\n"), line);
    assert(!/\bat \S+:\d+/.test(line), `stack in ${line}`);
    assert.match(line, /^sockit: .+ \(.+\)$/);
  }
  assert.equal(
    formatError(new UsageError("unknown flag --bogus")),
    "sockit: unknown flag --bogus (see --help)",
  );
  assert.equal(
    formatError(new CheckFailedError("2 of 4 probes lost")),
    "sockit: 2 of 4 probes lost",
  );
});

Deno.test("formatError: an unexpected error says so and keeps its stack for the report", () => {
  const text = formatError(new TypeError("x is undefined"));
  const [first, ...rest] = text.split("\n");
  assert.equal(first, "sockit: internal error: x is undefined (please report this)");
  assert(rest.join("\n").includes("TypeError"), text);
  assert.equal(formatError(42), "sockit: internal error: 42 (please report this)");
});

Deno.test("isDisconnect: the peer going away is a normal end, other errors are not", () => {
  for (
    const err of [
      new Deno.errors.BadResource("x"),
      new Deno.errors.ConnectionReset("x"),
      new Deno.errors.BrokenPipe("x"),
      new Deno.errors.NotConnected("x"),
      new Deno.errors.UnexpectedEof("x"),
    ]
  ) assert(isDisconnect(err), err.name);
  assert(!isDisconnect(new Error("x")));
  assert(!isDisconnect(new Deno.errors.PermissionDenied("x")));
});

Deno.test("netError: no route to host (EHOSTUNREACH, a plain Error in Deno) is exit 4", () => {
  const err = Object.assign(new Error("No route to host (os error 113)"), { code: "EHOSTUNREACH" });
  const mapped = netError(err, { op: "dial", transport: "tcp", address: "[::1:1]:7" });
  assert.equal(mapped.exitCode, 4);
  assert.equal(mapped.message, "dial tcp [::1:1]:7: no route to host");
});

Deno.test("mostTelling: a wrong answer, then refused, then not found, then a timeout", () => {
  const t = new TimeoutError("t");
  const r = new ConnectError("r");
  const n = new ResolveError("n");
  const p = new ProtocolError("p");
  assert.equal(mostTelling([t, r]), r);
  assert.equal(mostTelling([r, t]), r);
  assert.equal(mostTelling([t, n, r]), r);
  assert.equal(mostTelling([t, n]), n);
  assert.equal(mostTelling([r, p, t]), p);
  const first = new TimeoutError("first");
  assert.equal(mostTelling([first, new TimeoutError("second")]), first, "the first among equals");
  assert.throws(() => mostTelling([]), RangeError);
});
