/**
 * Unit and property tests of the time conversions (lib/time.ts), the daytime formats
 * and their parser (lib/daytime_format.ts), and the SNTP packet checks
 * (commands/time_fetch/ntp.ts): both NTP eras, the 2036 wrap, MJD, every format read
 * back, lines from real servers, and RFC 4330's reply checks.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DAYTIME_FORMATS,
  daytimeText,
  escapeText,
  formatDaytime,
  formatStamp,
  nistDstCode,
  parseDaytime,
  zoneOffset,
} from "../lib/daytime_format.ts";
import {
  dateToMjd,
  ERA_1_START_MS,
  fromEraSeconds,
  fromMjd,
  fromNtp,
  fromRfc868,
  mjdOf,
  mjdToDate,
  toNtp,
  toRfc868,
} from "../lib/time.ts";
import {
  checkReply,
  clientRequest,
  decodeNtp,
  encodeNtp,
  ntpOffset,
  refIdText,
  serverTimes,
} from "../commands/time_fetch/ntp.ts";
import { daytimeAnswer, timeAnswer } from "../commands/daytime.ts";

const RUNS = { numRuns: 300 };
const te = new TextEncoder();

/** Instants from 1900 to 2200, with sub-millisecond parts. */
const instant = fc.tuple(
  fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
).map(([ms, fraction]) => ms + fraction);

// --- NTP timestamps and eras -------------------------------------------------------

Deno.test("toNtp() counts from 1900: the Unix epoch is 2208988800 s", () => {
  assert.deepEqual(toNtp(0), { seconds: 2_208_988_800, fraction: 0 });
  assert.deepEqual(toNtp(1500), { seconds: 2_208_988_801, fraction: 2 ** 31 });
  assert.deepEqual(toNtp(Date.UTC(1900, 0, 1)), { seconds: 0, fraction: 0 });
});

Deno.test("toNtp() wraps to era 1 at 2036-02-07 06:28:16 UTC", () => {
  assert.equal(ERA_1_START_MS, Date.UTC(2036, 1, 7, 6, 28, 16));
  assert.deepEqual(toNtp(ERA_1_START_MS), { seconds: 0, fraction: 0 });
  assert.deepEqual(toNtp(ERA_1_START_MS - 1000), { seconds: 0xffff_ffff, fraction: 0 });
  assert.deepEqual(toNtp(ERA_1_START_MS + 250), { seconds: 0, fraction: 2 ** 30 });
});

Deno.test("fromNtp() without a reference follows RFC 4330: MSB set is era 0, clear is era 1", () => {
  assert.equal(fromNtp({ seconds: 0x8000_0000, fraction: 0 }), Date.UTC(1968, 0, 20, 3, 14, 8));
  assert.equal(fromNtp({ seconds: 2_208_988_800, fraction: 0 }), 0);
  assert.equal(fromNtp({ seconds: 0, fraction: 0 }), ERA_1_START_MS);
  assert.equal(fromNtp({ seconds: 0x7fff_ffff, fraction: 0 }), ERA_1_START_MS + 0x7fff_ffff * 1000);
});

Deno.test("fromNtp() picks the era nearest the local clock on both sides of the wrap", () => {
  const beforeWrap = Date.UTC(2036, 1, 7, 6, 28, 10);
  const afterWrap = Date.UTC(2036, 1, 7, 6, 28, 20);
  // A server 6 s ahead of a clock just before the wrap already answers in era 1 ...
  assert.equal(fromNtp(toNtp(afterWrap), beforeWrap), afterWrap);
  // ... and one behind a clock just after the wrap still answers in era 0.
  assert.equal(fromNtp(toNtp(beforeWrap), afterWrap), beforeWrap);
  // Far from the wrap the same 32-bit count means a time 136 years apart.
  assert.equal(
    fromNtp({ seconds: 100, fraction: 0 }, Date.UTC(1900, 0, 1)),
    Date.UTC(1900, 0, 1, 0, 1, 40),
  );
  assert.equal(
    fromNtp({ seconds: 100, fraction: 0 }, Date.UTC(2040, 0, 1)),
    ERA_1_START_MS + 100_000,
  );
});

Deno.test("fromNtp(toNtp(t), near) is t to within a nanosecond for any t within 68 years of near", () => {
  fc.assert(
    fc.property(
      instant,
      fc.double({ min: -60 * 365 * 86_400_000, max: 60 * 365 * 86_400_000, noNaN: true }),
      (t, skew) => {
        const back = fromNtp(toNtp(t), t + skew);
        assert.ok(Math.abs(back - t) < 1e-3, `${t} came back as ${back}`);
      },
    ),
    RUNS,
  );
});

Deno.test("fromEraSeconds() covers 136 years around its reference", () => {
  const near = Date.UTC(2050, 0, 1);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (seconds) => {
      const t = fromEraSeconds(seconds, near);
      assert.ok(Math.abs(t - near) <= 2 ** 31 * 1000);
      assert.equal(toRfc868(t), seconds);
    }),
    RUNS,
  );
});

// --- RFC 868 -----------------------------------------------------------------------

Deno.test("toRfc868() is whole seconds since 1900 and wraps to 0 in 2036", () => {
  assert.equal(toRfc868(0), 2_208_988_800);
  assert.equal(toRfc868(999), 2_208_988_800);
  assert.equal(toRfc868(Date.UTC(1900, 0, 1)), 0);
  assert.equal(toRfc868(ERA_1_START_MS - 1), 0xffff_ffff);
  assert.equal(toRfc868(ERA_1_START_MS), 0);
  assert.equal(toRfc868(Date.UTC(2040, 0, 1)), (Date.UTC(2040, 0, 1) - ERA_1_START_MS) / 1000);
});

Deno.test("fromRfc868() reads a post-2036 answer right with a post-2036 clock", () => {
  const t = Date.UTC(2037, 5, 1, 12);
  assert.equal(fromRfc868(toRfc868(t), t + 3000), t);
  assert.equal(fromRfc868(toRfc868(t), Date.UTC(2036, 0, 1)), t);
  assert.equal(fromRfc868(toRfc868(Date.UTC(2026, 0, 1)), t), Date.UTC(2026, 0, 1));
});

Deno.test("timeAnswer() is the 4 big-endian bytes of RFC 868", () => {
  assert.deepEqual(timeAnswer(0), new Uint8Array([0x83, 0xaa, 0x7e, 0x80]));
  assert.deepEqual(timeAnswer(ERA_1_START_MS + 1000), new Uint8Array([0, 0, 0, 1]));
});

// --- MJD ---------------------------------------------------------------------------

Deno.test("MJD: known days convert both ways", () => {
  const known: [number, number, number, number][] = [
    [0, 1858, 11, 17],
    [40_587, 1970, 1, 1],
    [51_544, 2000, 1, 1],
    [60_000, 2023, 2, 25],
    [64_730, 2036, 2, 7],
  ];
  for (const [mjd, year, month, day] of known) {
    assert.deepEqual(mjdToDate(mjd), { year, month, day }, `MJD ${mjd}`);
    assert.equal(dateToMjd(year, month, day), mjd, `${year}-${month}-${day}`);
    assert.equal(mjdOf(fromMjd(mjd)), mjd);
    assert.equal(fromMjd(mjd), Date.UTC(year, month - 1, day));
  }
  assert.equal(mjdOf(Date.UTC(2000, 0, 1, 23, 59, 59, 999)), 51_544);
});

Deno.test("MJD: mjdOf() is the UTC day of any instant", () => {
  fc.assert(
    fc.property(instant, (t) => {
      const start = fromMjd(mjdOf(t));
      assert.ok(start <= t && t < start + 86_400_000);
    }),
    RUNS,
  );
});

// --- daytime formats ---------------------------------------------------------------

const SAMPLE = Date.UTC(2026, 10, 21, 23, 59, 1, 234);

Deno.test("formatDaytime() writes each format as documented (UTC)", () => {
  assert.equal(
    formatDaytime(SAMPLE, "rfc867", { utc: true }),
    "Saturday, November 21, 2026 23:59:01-UTC",
  );
  assert.equal(formatDaytime(SAMPLE, "nist"), "61365 26-11-21 23:59:01 00 0 0 0.0 UTC(NIST) *");
  assert.equal(formatDaytime(SAMPLE, "iso", { utc: true }), "2026-11-21T23:59:01.234Z");
  assert.equal(formatDaytime(SAMPLE, "rfc2822", { utc: true }), "Sat, 21 Nov 2026 23:59:01 +0000");
  assert.equal(formatDaytime(SAMPLE, "unix"), "1795305541");
});

Deno.test("formatDaytime() writes local time with the zone's name or offset", () => {
  const la = { timeZone: "America/Los_Angeles" };
  assert.equal(formatDaytime(SAMPLE, "rfc867", la), "Saturday, November 21, 2026 15:59:01-PST");
  assert.equal(formatDaytime(SAMPLE, "iso", la), "2026-11-21T15:59:01.234-08:00");
  assert.equal(formatDaytime(SAMPLE, "rfc2822", la), "Sat, 21 Nov 2026 15:59:01 -0800");
  const kolkata = { timeZone: "Asia/Kolkata" };
  assert.equal(
    formatDaytime(SAMPLE, "rfc867", kolkata),
    "Sunday, November 22, 2026 05:29:01-GMT+5:30",
  );
  assert.equal(formatDaytime(SAMPLE, "rfc2822", kolkata), "Sun, 22 Nov 2026 05:29:01 +0530");
  // NIST's format is UTC whatever the zone.
  assert.equal(formatDaytime(SAMPLE, "nist", kolkata), formatDaytime(SAMPLE, "nist"));
});

Deno.test("daytimeText() ends lines with CRLF, and wraps NIST's in LFs as NIST does", () => {
  assert.equal(daytimeText(SAMPLE, "unix"), "1795305541\r\n");
  assert.equal(daytimeText(SAMPLE, "nist"), "\n61365 26-11-21 23:59:01 00 0 0 0.0 UTC(NIST) *\n");
});

Deno.test("every format, in UTC and in local zones, parses back to the second it names", () => {
  const zones = [
    undefined,
    "UTC",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(1980, 0, 1), max: Date.UTC(2199, 0, 1) }),
      fc.constantFrom(...DAYTIME_FORMATS),
      fc.constantFrom(...zones),
      fc.boolean(),
      (t, format, timeZone, utc) => {
        const text = daytimeText(t, format, { utc, timeZone });
        const reading = parseDaytime(text);
        assert.ok(reading, `${JSON.stringify(text)} did not parse`);
        assert.equal(reading.format, format);
        const precision = reading.precisionMs;
        assert.equal(reading.timeMs, Math.floor(t / precision) * precision, JSON.stringify(text));
      },
    ),
    RUNS,
  );
});

Deno.test("parseDaytime() reads lines from real servers", () => {
  const cases: [string, number, string, number][] = [
    // NIST (time.nist.gov): MJD, yy-mm-dd, time, TT, L, H, msADV, label, OTM
    [
      "\n60000 23-02-25 17:12:34 00 0 0 253.3 UTC(NIST) *\n",
      Date.UTC(2023, 1, 25, 17, 12, 34),
      "nist",
      1000,
    ],
    // RFC 867's own example
    [
      "Tuesday, February 22, 1982 17:37:43-PST\r\n",
      Date.UTC(1982, 1, 23, 1, 37, 43),
      "rfc867",
      1000,
    ],
    // xinetd's built-in daytime
    ["22 NOV 2026 01:29:04 UTC\r\n", Date.UTC(2026, 10, 22, 1, 29, 4), "rfc867", 1000],
    // BSD inetd: ctime(), no zone (read as UTC)
    ["Sat Nov 21 23:59:01 2026\r\n", Date.UTC(2026, 10, 21, 23, 59, 1), "rfc867", 1000],
    // date(1)
    ["Sat Nov 21 23:59:01 CET 2026\n", Date.UTC(2026, 10, 21, 22, 59, 1), "rfc867", 1000],
    ["Sat, 21 Nov 2026 23:59:01 +0100", Date.UTC(2026, 10, 21, 22, 59, 1), "rfc2822", 1000],
    ["21 Nov 26 23:59 GMT", Date.UTC(2026, 10, 21, 23, 59), "rfc2822", 60_000],
    ["2026-11-21T23:59:01Z", Date.UTC(2026, 10, 21, 23, 59, 1), "iso", 1000],
    ["2026-11-21T23:59:01.5+01:00", Date.UTC(2026, 10, 21, 22, 59, 1, 500), "iso", 100],
    ["20261121T235901Z", Date.UTC(2026, 10, 21, 23, 59, 1), "iso", 1000],
    ["1795305541\r\n", 1_795_305_541_000, "unix", 1000],
  ];
  for (const [text, timeMs, format, precisionMs] of cases) {
    const reading = parseDaytime(text);
    assert.ok(reading, `${JSON.stringify(text)} did not parse`);
    assert.deepEqual(
      { timeMs: reading.timeMs, format: reading.format, precisionMs: reading.precisionMs },
      { timeMs, format, precisionMs },
      JSON.stringify(text),
    );
  }
});

Deno.test("parseDaytime() reports NIST's status fields, health included", () => {
  const reading = parseDaytime("60000 23-02-25 17:12:34 50 1 2 253.3 UTC(NIST) *");
  assert.deepEqual(reading?.nist, { mjd: 60_000, dst: 50, leap: 1, health: 2, msAdvance: 253.3 });
});

Deno.test("parseDaytime() refuses anything that is not a time", () => {
  const garbage = [
    "",
    "\r\n",
    "hello, world",
    "SSH-2.0-OpenSSH_9.6\r\n",
    "HTTP/1.1 400 Bad Request\r\n\r\n",
    "60000 23-02-26 17:12:34 00 0 0 253.3 UTC(NIST) *", // MJD and date disagree
    "February 30, 2026 12:00:00",
    "Saturday, November 21, 2026 25:59:01-UTC",
    "Saturday, November 21, 2026 23:59:01-XYZ",
    "2026-11-21T23:59:01Z\n2026-11-21T23:59:02Z",
    "12345",
    "\x00\x01\x02\x03",
  ];
  for (const text of garbage) assert.equal(parseDaytime(text), undefined, JSON.stringify(text));
});

Deno.test("zoneOffset() knows UTC, RFC 822 zones and GMT±h[:mm], and nothing else", () => {
  assert.equal(zoneOffset("UTC"), 0);
  assert.equal(zoneOffset("pst"), -480);
  assert.equal(zoneOffset("GMT+5:30"), 330);
  assert.equal(zoneOffset("-0800"), -480);
  assert.equal(zoneOffset("+01:00"), 60);
  assert.equal(zoneOffset("XYZ"), undefined);
  assert.equal(zoneOffset("+2500"), undefined);
});

Deno.test("nistDstCode() counts down to the US changes in March and November", () => {
  // 2026: DST starts Sunday March 8, ends Sunday November 1.
  assert.equal(nistDstCode(Date.UTC(2026, 0, 15)), 0);
  assert.equal(nistDstCode(Date.UTC(2026, 2, 1)), 8);
  assert.equal(nistDstCode(Date.UTC(2026, 2, 8)), 1);
  assert.equal(nistDstCode(Date.UTC(2026, 2, 9)), 50);
  assert.equal(nistDstCode(Date.UTC(2026, 6, 4)), 50);
  assert.equal(nistDstCode(Date.UTC(2026, 10, 1)), 51);
  assert.equal(nistDstCode(Date.UTC(2026, 10, 2)), 0);
  assert.equal(nistDstCode(Date.UTC(2027, 10, 1)), 57); // Nov 7, 2027
});

Deno.test("formatStamp() shows sntp's date, time with N decimals, and offset", () => {
  assert.equal(
    formatStamp(Date.UTC(2026, 10, 21, 23, 59, 1, 234) + 0.5678, { digits: 6, utc: true }),
    "2026-11-21 23:59:01.234567 (+0000)",
  );
  assert.equal(
    formatStamp(SAMPLE, { digits: 0, timeZone: "Asia/Kolkata" }),
    "2026-11-22 05:29:01 (+0530)",
  );
});

Deno.test("escapeText() shows control bytes and non-ASCII escaped, cut at the limit", () => {
  assert.equal(escapeText(te.encode('hi\r\n\t"\\')), '"hi\\r\\n\\t\\"\\\\"');
  assert.equal(escapeText(new Uint8Array([0, 0xff, 0x41])), '"\\x00\\xffA"');
  assert.equal(escapeText(te.encode("abcdef"), 3), '"abc" ... (3 more bytes)');
});

Deno.test("daytimeAnswer() reuses the bytes within a second and changes with it", () => {
  const answer = daytimeAnswer("rfc867", { utc: true });
  const a = answer(SAMPLE);
  assert.equal(answer(SAMPLE + 500), a);
  assert.notEqual(answer(SAMPLE + 1000), a);
  assert.equal(new TextDecoder().decode(a), "Saturday, November 21, 2026 23:59:01-UTC\r\n");
  const iso = daytimeAnswer("iso", { utc: true });
  assert.notEqual(new TextDecoder().decode(iso(SAMPLE)), new TextDecoder().decode(iso(SAMPLE + 1)));
});

// --- SNTP packets and RFC 4330's checks --------------------------------------------

function serverReply(
  request: Uint8Array,
  overrides: Parameters<typeof encodeNtp>[0] = {},
): Uint8Array {
  const origin = decodeNtp(request)!.transmit;
  const now = toNtp(Date.now());
  return encodeNtp({
    leap: 0,
    version: 4,
    mode: 4,
    stratum: 2,
    precision: -20,
    refId: new Uint8Array([192, 0, 2, 1]),
    origin,
    receive: now,
    transmit: now,
    ...overrides,
  });
}

Deno.test("clientRequest() is 48 bytes, mode 3 version 4, our time with random low bits", () => {
  const t = Date.UTC(2026, 10, 21, 12);
  const a = clientRequest(t), b = clientRequest(t);
  assert.equal(a.bytes.length, 48);
  assert.equal(a.bytes[0], 0x23);
  const packet = decodeNtp(a.bytes)!;
  assert.deepEqual(packet.transmit, a.transmit);
  assert.ok(Math.abs(fromNtp(a.transmit, t) - t) < 1);
  assert.notDeepEqual(a.transmit, b.transmit, "two requests in the same ms must differ");
});

Deno.test("encodeNtp() and decodeNtp() are inverse", () => {
  const packet = {
    leap: 1,
    version: 4,
    mode: 4,
    stratum: 3,
    poll: 6,
    precision: -23,
    rootDelayMs: (819 / 65536) * 1000, // 16.16 fixed point: multiples of 2^-16 s
    rootDispersionMs: (213 / 65536) * 1000,
    refId: new Uint8Array([10, 0, 0, 1]),
    reference: { seconds: 1, fraction: 2 },
    origin: { seconds: 3, fraction: 4 },
    receive: { seconds: 5, fraction: 6 },
    transmit: { seconds: 0xffff_ffff, fraction: 0xffff_ffff },
  };
  assert.deepEqual(decodeNtp(encodeNtp(packet)), packet);
  assert.equal(decodeNtp(new Uint8Array(47)), undefined);
});

Deno.test("checkReply() accepts a server answer to our request, naming which one", () => {
  const first = clientRequest(Date.now()), second = clientRequest(Date.now());
  const check = checkReply(serverReply(first.bytes), [first.transmit, second.transmit]);
  assert.equal(check.kind, "ok");
  if (check.kind === "ok") assert.equal(check.request, 0);
});

Deno.test("checkReply() rejects a wrong origin, a wrong mode and a short packet", () => {
  const req = clientRequest(Date.now());
  const other = clientRequest(Date.now() - 5000);
  const wrongOrigin = checkReply(serverReply(other.bytes), [req.transmit]);
  assert.equal(wrongOrigin.kind, "rejected");
  assert.match((wrongOrigin as { reason: string }).reason, /origin timestamp/);
  assert.equal(checkReply(req.bytes, [req.transmit]).kind, "rejected"); // our own, echoed
  assert.equal(checkReply(serverReply(req.bytes).subarray(0, 40), [req.transmit]).kind, "rejected");
});

Deno.test("checkReply() reads stratum 0 as a kiss-o'-death with its code", () => {
  const req = clientRequest(Date.now());
  const check = checkReply(
    serverReply(req.bytes, { stratum: 0, leap: 3, refId: te.encode("RATE") }),
    [req.transmit],
  );
  assert.deepEqual(check, {
    kind: "kiss",
    code: "RATE",
    meaning: "the server asks to be queried less often",
  });
});

Deno.test("checkReply() refuses leap 3, stratum 16 and zero timestamps", () => {
  const req = clientRequest(Date.now());
  const kind = (o: Parameters<typeof encodeNtp>[0]) =>
    checkReply(serverReply(req.bytes, o), [req.transmit]).kind;
  assert.equal(kind({ leap: 3 }), "unsynchronised");
  assert.equal(kind({ stratum: 16 }), "unsynchronised");
  assert.equal(kind({ transmit: { seconds: 0, fraction: 0 } }), "invalid");
  assert.equal(kind({ receive: { seconds: 0, fraction: 0 } }), "invalid");
});

Deno.test("ntpOffset() is RFC 4330's formula", () => {
  assert.deepEqual(ntpOffset(0, 30_005, 30_006, 11), { offsetMs: 30_000, delayMs: 10 });
  assert.deepEqual(ntpOffset(1000, 1000, 1000, 1000), { offsetMs: 0, delayMs: 0 });
  assert.deepEqual(ntpOffset(100, 50, 60, 120), { offsetMs: -55, delayMs: 10 });
});

Deno.test("serverTimes() reads a server's timestamps across the 2036 wrap", () => {
  const t1 = ERA_1_START_MS - 2000; // our clock: 2 s before the wrap
  const reply = decodeNtp(
    encodeNtp({
      mode: 4,
      receive: toNtp(ERA_1_START_MS + 500),
      transmit: toNtp(ERA_1_START_MS + 501),
    }),
  )!;
  const { t2, t3 } = serverTimes(reply, t1);
  // 32-bit fractions are exact to 2^-32 s, not to the millisecond's decimal.
  assert.ok(Math.abs(t2 - (ERA_1_START_MS + 500)) < 1e-3, `t2 ${t2}`);
  assert.ok(Math.abs(t3 - (ERA_1_START_MS + 501)) < 1e-3, `t3 ${t3}`);
});

Deno.test("refIdText() is ASCII at stratum 0-1 and an IPv4 address above", () => {
  assert.equal(refIdText({ stratum: 1, refId: te.encode("GPS\0") }), "GPS");
  assert.equal(refIdText({ stratum: 0, refId: te.encode("DENY") }), "DENY");
  assert.equal(refIdText({ stratum: 3, refId: new Uint8Array([192, 0, 2, 1]) }), "192.0.2.1");
  // chrony's local clock at stratum 1 is 127.127.1.1, bytes that are no text.
  assert.equal(
    refIdText({ stratum: 1, refId: new Uint8Array([0x7f, 0x7f, 1, 1]) }),
    "127.127.1.1",
  );
  assert.equal(refIdText({ stratum: 1, refId: new Uint8Array(4) }), "");
  assert.equal(refIdText({ stratum: 1, refId: te.encode("PPS ") }), "PPS");
});
