/**
 * The text of the daytime protocol (RFC 867): the formats `sockit daytime` serves, and
 * the reader `sockit time-fetch` uses on whatever a daytime server says.
 *
 * RFC 867 fixes no syntax ("an ASCII printable string"), so servers differ: NIST sends
 * its own format (`60000 23-02-25 17:12:34 00 0 0 0.0 UTC(NIST) *`), inetd-style
 * servers send `ctime()` or `22 NOV 2026 01:29:04 UTC`, others RFC 2822 or ISO 8601.
 * {@linkcode parseDaytime} reads all of these and says which it saw and how precise it
 * is (whole seconds, unless the text carries a fraction).
 *
 * @module
 */

import { type DaytimeFormat } from "./daytime_format_names.ts";
import { mjdOf, mjdToDate } from "./time.ts";

export { DAYTIME_FORMATS, type DaytimeFormat } from "./daytime_format_names.ts";

/** Options of {@linkcode formatDaytime}. */
export interface FormatOptions {
  /** Write UTC instead of the local zone (the NIST format is always UTC). */
  utc?: boolean;
  /** The IANA zone that "local" means; the system's zone when absent. */
  timeZone?: string;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** A time broken into calendar fields in some zone. */
interface Fields {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC. */
  offset: number;
  /** `UTC`, `PST`, `GMT+1`, ... */
  zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? "";
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    });
    formatters.set(key, f);
  }
  return f;
}

function fieldsOf(ms: number, options: FormatOptions): Fields {
  const d = new Date(ms);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  if (options.utc) {
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      weekday: d.getUTCDay(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: ms - wholeSecond,
      offset: 0,
      zone: "UTC",
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatterFor(options.timeZone).formatToParts(d)) parts[p.type] = p.value;
  const year = Number(parts.year), month = Number(parts.month), day = Number(parts.day);
  const hour = Number(parts.hour), minute = Number(parts.minute), second = Number(parts.second);
  const offset = Math.round(
    (Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond) /
      60_000,
  );
  const zone = parts.timeZoneName === "GMT" && offset === 0 ? "UTC" : parts.timeZoneName;
  return {
    year,
    month,
    day,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    hour,
    minute,
    second,
    millisecond: ms - wholeSecond,
    offset,
    zone,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function clock(f: Fields): string {
  return `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`;
}

function numericOffset(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ":" : ""}${pad(abs % 60)}`;
}

/**
 * The NIST daylight-saving code TT for a UTC day, by the US rules NIST reports: 00 in
 * standard time, 50 in daylight time; in March the days left until the change (1 on
 * the day), in November 50 plus the days left (51 on the day). Days are UTC days, not
 * US local ones.
 *
 * @example
 * ```ts
 * nistDstCode(Date.UTC(2026, 6, 1)); // 50
 * nistDstCode(Date.UTC(2026, 2, 1)); // 8 (the change is on March 8, 2026)
 * ```
 */
export function nistDstCode(ms: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear(), month = d.getUTCMonth() + 1, day = d.getUTCDate();
  const nthSunday = (m: number, n: number) => {
    const first = new Date(Date.UTC(year, m - 1, 1)).getUTCDay();
    return 1 + ((7 - first) % 7) + 7 * (n - 1);
  };
  if (month < 3 || month > 11) return 0;
  if (month > 3 && month < 11) return 50;
  if (month === 3) {
    const change = nthSunday(3, 2);
    return day <= change ? change - day + 1 : 50;
  }
  const change = nthSunday(11, 1);
  return day <= change ? 50 + change - day + 1 : 0;
}

/**
 * Formats an instant as one daytime line, without its line ending.
 *
 * - `rfc867`: `Saturday, November 21, 2026 23:59:01-UTC` (RFC 867's example style)
 * - `nist`: `61365 26-11-21 23:59:01 00 0 0 0.0 UTC(NIST) *` (NIST's format: MJD,
 *   date, time, DST code, leap second, health, ms advance, label, on-time marker)
 * - `iso`: `2026-11-21T23:59:01.234Z` (ISO 8601 with milliseconds)
 * - `rfc2822`: `Sat, 21 Nov 2026 23:59:01 +0000`
 * - `unix`: `1795305541` (seconds since 1970-01-01 UTC)
 *
 * @example
 * ```ts
 * formatDaytime(Date.UTC(2026, 10, 21, 23, 59, 1), "rfc867", { utc: true });
 * // "Saturday, November 21, 2026 23:59:01-UTC"
 * ```
 */
export function formatDaytime(
  ms: number,
  format: DaytimeFormat,
  options: FormatOptions = {},
): string {
  switch (format) {
    case "unix":
      return String(Math.floor(ms / 1000));
    case "nist": {
      const f = fieldsOf(ms, { utc: true });
      // L (leap second pending) and H (health) are 0: this server announces no leap
      // second and does not know better than its own clock; msADV is 0 because it does
      // not estimate the path delay.
      return `${mjdOf(ms)} ${pad(f.year % 100)}-${pad(f.month)}-${pad(f.day)} ${clock(f)} ${
        pad(nistDstCode(ms))
      } 0 0 0.0 UTC(NIST) *`;
    }
    case "iso": {
      const f = fieldsOf(ms, options);
      const zone = f.offset === 0 && options.utc ? "Z" : numericOffset(f.offset, true);
      return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${clock(f)}.${
        pad(Math.floor(f.millisecond), 3)
      }${zone}`;
    }
    case "rfc2822": {
      const f = fieldsOf(ms, options);
      return `${WEEKDAYS[f.weekday].slice(0, 3)}, ${pad(f.day)} ${
        MONTHS[f.month - 1].slice(0, 3)
      } ${pad(f.year, 4)} ${clock(f)} ${numericOffset(f.offset, false)}`;
    }
    case "rfc867": {
      const f = fieldsOf(ms, options);
      return `${WEEKDAYS[f.weekday]}, ${MONTHS[f.month - 1]} ${f.day}, ${f.year} ${
        clock(f)
      }-${f.zone}`;
    }
  }
}

/**
 * An instant for people, as `sntp` shows it: date, time with `digits` decimals (cut,
 * not rounded) and the zone's offset, in the local zone unless `utc`.
 *
 * @example
 * ```ts
 * formatStamp(Date.UTC(2026, 10, 21, 23, 59, 1, 234) + 0.5, { digits: 6, utc: true });
 * // "2026-11-21 23:59:01.234500 (+0000)"
 * ```
 */
export function formatStamp(ms: number, options: FormatOptions & { digits?: number } = {}): string {
  const f = fieldsOf(ms, options);
  const digits = options.digits ?? 3;
  const fraction = digits > 0
    ? "." + String(Math.floor((f.millisecond / 1000) * 10 ** digits)).padStart(digits, "0")
    : "";
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${clock(f)}${fraction} (${
    numericOffset(f.offset, false)
  })`;
}

/**
 * The bytes a daytime server sends: the line and its ending. NIST's servers wrap the
 * line in LFs (`\n...\n`); the others end it with CRLF, as inetd does.
 *
 * @example
 * ```ts
 * daytimeText(0, "unix"); // "0\r\n"
 * ```
 */
export function daytimeText(
  ms: number,
  format: DaytimeFormat,
  options: FormatOptions = {},
): string {
  const line = formatDaytime(ms, format, options);
  return format === "nist" ? `\n${line}\n` : `${line}\r\n`;
}

/** The NIST format's status fields. */
export interface NistFields {
  mjd: number;
  /** TT: 00 standard time, 50 daylight time, other values count down to a change. */
  dst: number;
  /** L: 0 none, 1 a leap second is added at the end of the month, 2 one is removed. */
  leap: number;
  /** H: 0 healthy; other values mean the server's time may be wrong. */
  health: number;
  /** msADV: milliseconds the server advanced the time to make up for the path delay. */
  msAdvance: number;
}

/** What {@linkcode parseDaytime} read. */
export interface DaytimeReading {
  /** The instant the text names, in Unix epoch ms (truncated to its precision). */
  timeMs: number;
  /** Which syntax it was in. */
  format: DaytimeFormat;
  /** The resolution of the text: 1000 for whole seconds, 1 for milliseconds. */
  precisionMs: number;
  /** The zone as written (`UTC`, `+0100`, `PST`), or `undefined` when none was. */
  zone?: string;
  /** The NIST format's status fields. */
  nist?: NistFields;
}

const MONTH_INDEX = new Map<string, number>();
MONTHS.forEach((name, i) => {
  MONTH_INDEX.set(name.toLowerCase(), i + 1);
  MONTH_INDEX.set(name.slice(0, 3).toLowerCase(), i + 1);
});
MONTH_INDEX.set("sept", 9);
const WEEKDAY_NAMES = new Set(
  WEEKDAYS.flatMap((name) => [name.toLowerCase(), name.slice(0, 3).toLowerCase()]),
);

/** Zone abbreviations in common use that mean one offset (minutes east of UTC). */
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  wet: 0,
  west: 60,
  bst: 60,
  cet: 60,
  cest: 120,
  met: 60,
  mest: 120,
  eet: 120,
  eest: 180,
  msk: 180,
  jst: 540,
  kst: 540,
  aest: 600,
  aedt: 660,
  nzst: 720,
  nzdt: 780,
  hst: -600,
  akst: -540,
  akdt: -480,
  pst: -480,
  pdt: -420,
  mst: -420,
  mdt: -360,
  cst: -360,
  cdt: -300,
  est: -300,
  edt: -240,
};

/**
 * Minutes east of UTC for a zone as written, or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * zoneOffset("EST"); // -300
 * zoneOffset("+05:30"); // 330
 * zoneOffset("Mars"); // undefined
 * ```
 */
export function zoneOffset(zone: string): number | undefined {
  const named = ZONES[zone.toLowerCase()];
  if (named !== undefined) return named;
  const m = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (!m) return undefined;
  const hours = Number(m[2]), minutes = Number(m[3] ?? 0);
  if (hours > 14 || minutes > 59) return undefined;
  return (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

/** `Date.UTC` for calendar fields, or `undefined` when they are not a real time. */
function utcOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCDate() !== day) return undefined; // February 30
  d.setUTCHours(hour, minute, second, 0); // a leap second :60 becomes the next minute's :00
  return d.getTime();
}

function fractionOf(digits: string | undefined): { ms: number; precisionMs: number } {
  if (!digits) return { ms: 0, precisionMs: 1000 };
  const used = digits.slice(0, 3);
  return {
    ms: Number(used.padEnd(3, "0")),
    precisionMs: 10 ** (3 - used.length),
  };
}

const NIST =
  /^(\d{5,6}) (\d{2})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) +(\d{1,2}) +(\d) +(\d) +(\d+(?:\.\d+)?) +UTC\(NIST\)(?: +\*| +#)?$/;

function parseNist(line: string): DaytimeReading | undefined {
  const m = NIST.exec(line);
  if (!m) return undefined;
  const mjd = Number(m[1]);
  const date = mjdToDate(mjd);
  // The two-digit year, month and day must be the MJD's: that is what makes this NIST's.
  if (date.year % 100 !== Number(m[2]) || date.month !== Number(m[3])) return undefined;
  if (date.day !== Number(m[4])) return undefined;
  const timeMs = utcOf(date.year, date.month, date.day, Number(m[5]), Number(m[6]), Number(m[7]));
  if (timeMs === undefined) return undefined;
  return {
    timeMs,
    format: "nist",
    precisionMs: 1000,
    zone: "UTC",
    nist: {
      mjd,
      dst: Number(m[8]),
      leap: Number(m[9]),
      health: Number(m[10]),
      msAdvance: Number(m[11]),
    },
  };
}

function parseUnix(line: string): DaytimeReading | undefined {
  const m = /^(\d{9,12})(?:\.(\d+))?$/.exec(line);
  if (!m) return undefined;
  const fraction = fractionOf(m[2]);
  return {
    timeMs: Number(m[1]) * 1000 + fraction.ms,
    format: "unix",
    precisionMs: fraction.precisionMs,
    zone: "UTC",
  };
}

const ISO =
  /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))? ?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function parseIso(line: string): DaytimeReading | undefined {
  const m = ISO.exec(line);
  if (!m) return undefined;
  const offset = m[8] === undefined ? 0 : zoneOffset(m[8]);
  if (offset === undefined) return undefined;
  const base = utcOf(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]);
  if (base === undefined) return undefined;
  const fraction = fractionOf(m[7]);
  return {
    timeMs: base + fraction.ms - offset * 60_000,
    format: "iso",
    precisionMs: fraction.precisionMs,
    zone: m[8]?.toUpperCase(),
  };
}

const RFC2822 =
  /^(?:([A-Za-z]{3}), *)?(\d{1,2}) ([A-Za-z]{3}) (\d{2,4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-]\d{4}|UT|GMT|[ECMP][SD]T|[A-IK-Za-ik-z])(?: *\(.*\))?$/;

function parseRfc2822(line: string): DaytimeReading | undefined {
  const m = RFC2822.exec(line);
  if (!m) return undefined;
  if (m[1] && !WEEKDAY_NAMES.has(m[1].toLowerCase())) return undefined;
  const month = MONTH_INDEX.get(m[3].toLowerCase());
  if (month === undefined) return undefined;
  let year = Number(m[4]);
  if (m[4].length === 2) year += year < 50 ? 2000 : 1900; // RFC 2822 §4.3
  else if (m[4].length === 3) year += 1900;
  // Military single-letter zones are unreliable (RFC 2822 §4.3): read them as UTC.
  const offset = m[8].length === 1 ? 0 : zoneOffset(m[8]);
  if (offset === undefined) return undefined;
  const base = utcOf(year, month, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7] ?? 0));
  if (base === undefined) return undefined;
  return {
    timeMs: base - offset * 60_000,
    format: "rfc2822",
    precisionMs: m[7] === undefined ? 60_000 : 1000,
    zone: m[8],
  };
}

const CLOCK =
  /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:-?([A-Za-z][A-Za-z0-9:+-]*|[+-]\d{2}:?\d{2}))?$/;

/**
 * RFC 867-style lines: a month name, a day, a four-digit year and a clock time in any
 * of the usual orders, with an optional weekday and zone — RFC 867's own example
 * (`Tuesday, February 22, 1982 17:37:43-PST`), `ctime()` (`Sat Nov 21 23:59:01 2026`),
 * xinetd's (`22 NOV 2026 01:29:04 UTC`) and `date`'s (`Sat Nov 21 23:59:01 UTC 2026`).
 */
function parseRfc867(line: string): DaytimeReading | undefined {
  const tokens = line.replace(/,/g, " ").split(/\s+/).filter((t) => t !== "");
  let month: number | undefined, day: number | undefined, year: number | undefined;
  let time: RegExpExecArray | undefined, zone: string | undefined;
  let weekdays = 0;
  for (const token of tokens) {
    const lower = token.toLowerCase();
    const clockMatch = CLOCK.exec(token);
    if (WEEKDAY_NAMES.has(lower) && weekdays++ === 0) continue;
    if (MONTH_INDEX.has(lower) && month === undefined) month = MONTH_INDEX.get(lower);
    else if (/^\d{4}$/.test(token) && year === undefined) year = Number(token);
    else if (/^\d{1,2}$/.test(token) && day === undefined) day = Number(token);
    else if (clockMatch && time === undefined) {
      time = clockMatch;
      if (clockMatch[5] !== undefined) zone = clockMatch[5];
    } else if (zone === undefined && zoneOffset(token) !== undefined) zone = token;
    else return undefined;
  }
  if (month === undefined || day === undefined || year === undefined || !time) return undefined;
  const offset = zone === undefined ? 0 : zoneOffset(zone);
  if (offset === undefined) return undefined;
  const base = utcOf(year, month, day, Number(time[1]), Number(time[2]), Number(time[3]));
  if (base === undefined) return undefined;
  const fraction = fractionOf(time[4]);
  return {
    timeMs: base + fraction.ms - offset * 60_000,
    format: "rfc867",
    precisionMs: fraction.precisionMs,
    zone,
  };
}

/**
 * Reads what a daytime server sent: the NIST format, RFC 867-style lines (including
 * `ctime()` and inetd's), RFC 2822, ISO 8601, or a bare count of Unix seconds. Leading
 * and trailing whitespace and blank lines are ignored; the text must hold one line.
 * A time without a zone is read as UTC (`zone` is then undefined).
 *
 * @returns What it read, or `undefined` when the text is none of these.
 *
 * @example
 * ```ts
 * parseDaytime("\n60000 23-02-25 17:12:34 00 0 0 253.3 UTC(NIST) *\n")?.timeMs;
 * // Date.UTC(2023, 1, 25, 17, 12, 34)
 * parseDaytime("hello")?.timeMs; // undefined
 * ```
 */
export function parseDaytime(text: string): DaytimeReading | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length !== 1) return undefined;
  const [line] = lines;
  if (line.length > 200) return undefined;
  return parseNist(line) ?? parseUnix(line) ?? parseIso(line) ?? parseRfc2822(line) ??
    parseRfc867(line);
}

/**
 * Shows text received from a peer safely in one line: printable ASCII as is,
 * `\r` `\n` `\t` `\\` `\"` escaped, every other byte as `\xHH`, cut after `max` bytes.
 *
 * @example
 * ```ts
 * escapeText(new TextEncoder().encode("hi\r\n\x00")); // '"hi\\r\\n\\x00"'
 * ```
 */
export function escapeText(bytes: Uint8Array, max = 200): string {
  let out = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x0d) out += "\\r";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  const more = bytes.length > max ? ` ... (${bytes.length - max} more bytes)` : "";
  return `"${out}"${more}`;
}
