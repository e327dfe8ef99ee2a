/**
 * Addresses as people type them: `HOST:PORT`, `[IPv6]:PORT`,
 * a bare `HOST` (the command's default port), and a bare IPv6 literal such as `::1`.
 *
 * @module
 */

import { dottedQuadProblem, parseIpv4, parseIpv6 } from "./cidr.ts";
import { UsageError } from "./errors.ts";

/** A host (name or IP literal, IPv6 without brackets) and a port. */
export interface Address {
  host: string;
  port: number;
}

/**
 * Parses a port number, or returns `undefined` when `text` is not one (0–65535).
 *
 * @example
 * ```ts
 * parsePort("8080"); // 8080
 * parsePort("70000"); // undefined
 * ```
 */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** Options of {@linkcode parseAddress}. */
export interface ParseAddressOptions {
  /** Accept port 0 ("any free port", which only a listener can use). Default false. */
  allowPortZero?: boolean;
  /**
   * Called with a note when the text is valid but may not mean what was typed: a bare
   * IPv6 address whose last group looks like a port (`::1:123`).
   */
  onNote?: (note: string) => void;
}

/**
 * Parses `HOST:PORT`, `[v6]:PORT`, `HOST` or a bare IPv6 literal. A bare IPv6 literal
 * never carries a port (its last group would be ambiguous with one), so `::1:38425`,
 * which is no IPv6 address (a group has at most 4 hex digits), is an error that names
 * the fix `[::1]:38425`; `::1:123` is the address `::1:123`, with a note.
 *
 * @param text What the user typed.
 * @param defaultPort The port used when `text` names none.
 * @throws {UsageError} (exit 2) when the text is empty, the brackets are unbalanced, the
 * host is an IPv6 address written with a port but no brackets, or the port is not a
 * number from 1 (0 with `allowPortZero`) to 65535.
 *
 * @example
 * ```ts
 * parseAddress("example.org", 13); // { host: "example.org", port: 13 }
 * parseAddress("[::1]:7", 13); // { host: "::1", port: 7 }
 * parseAddress("::1", 13); // { host: "::1", port: 13 }
 * parseAddress("::1:38425", 7); // throws: 'write "[::1]:38425" for port 38425 on ::1'
 * ```
 */
export function parseAddress(
  text: string,
  defaultPort: number,
  options: ParseAddressOptions = {},
): Address {
  const bad = (why: string, hint?: string) =>
    new UsageError(`address "${text}": ${why}`, hint ? { hint } : {});
  const port = (digits: string) => portOf(digits, bad, options.allowPortZero ?? false);
  if (text === "") throw bad("empty");
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw bad('missing "]"');
    const host = text.slice(1, close);
    if (host.includes("[")) throw bad('unbalanced "["');
    if (!host.includes(":")) throw bad("brackets are for IPv6 addresses");
    if (!isIPv6(host)) throw bad(`"${host}" is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest === "") return { host, port: defaultPort };
    if (!rest.startsWith(":")) throw bad('expected ":PORT" after "]"');
    return { host, port: port(rest.slice(1)) };
  }
  if (text.includes("]") || text.includes("[")) throw bad("unbalanced brackets");
  const colons = text.split(":").length - 1;
  // Not passed on as a host name: the system resolver would read 010 as octal 8.
  const quad = dottedQuadProblem(colons === 1 ? text.split(":")[0] : text);
  if (quad) throw bad(`not an IPv4 address: ${quad}`);
  if (colons === 0) return { host: text, port: defaultPort };
  if (colons > 1) {
    const split = splitTrailingPort(text);
    if (!isIPv6(text)) {
      throw split
        ? bad(
          "an IPv6 address with a port is written in brackets",
          `write "[${split.host}]:${split.port}"`,
        )
        : bad("not an IPv6 address (an IPv6 address with a port is written [v6]:PORT)");
    }
    if (split) {
      options.onNote?.(
        `sockit: note: "${text}" is read as the IPv6 address ${text} (port ${defaultPort}); ` +
          `for port ${split.port} on ${split.host} write "[${split.host}]:${split.port}"`,
      );
    }
    return { host: text, port: defaultPort };
  }
  const [host, digits] = text.split(":");
  if (host === "") throw bad('missing host before ":"');
  return { host, port: port(digits) };
}

/** `::1:123` as the IPv6 host `::1` and the port 123, when the rest is an address. */
function splitTrailingPort(text: string): { host: string; port: number } | undefined {
  const at = text.lastIndexOf(":");
  const host = text.slice(0, at);
  const port = parsePort(text.slice(at + 1));
  if (port === undefined || port === 0 || host.endsWith(":") && !host.endsWith("::")) {
    return undefined;
  }
  return isIPv6(host) ? { host, port } : undefined;
}

function portOf(
  text: string,
  bad: (why: string, hint?: string) => Error,
  allowZero: boolean,
): number {
  const port = parsePort(text);
  if (port === undefined) throw bad(`"${text}" is not a port number (0-65535)`);
  if (port === 0 && !allowZero) {
    throw bad(
      "port 0 cannot be dialled",
      "give the server's port, 1-65535; port 0 means \"any free port\" only to a server's --port",
    );
  }
  return port;
}

/**
 * Formats an address the way {@linkcode parseAddress} reads it back.
 *
 * @example
 * ```ts
 * formatAddress({ host: "::1", port: 7 }); // "[::1]:7"
 * formatAddress({ host: "127.0.0.1", port: 7 }); // "127.0.0.1:7"
 * ```
 */
export function formatAddress(address: Address): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/**
 * Formats a Deno network address (`{hostname, port}`) like {@linkcode formatAddress}.
 *
 * @example
 * ```ts
 * formatNetAddr({ transport: "tcp", hostname: "::1", port: 7 }); // "[::1]:7"
 * ```
 */
export function formatNetAddr(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return formatAddress({ host: addr.hostname, port: addr.port });
  }
  return "path" in addr ? addr.path : String(addr.transport);
}

/**
 * Whether `host` is an IPv4 literal such as `127.0.0.1`.
 *
 * @example
 * ```ts
 * isIPv4("127.0.0.1"); // true
 * isIPv4("localhost"); // false
 * ```
 */
export function isIPv4(host: string): boolean {
  return parseIpv4(host) !== undefined;
}

/**
 * Whether `host` is an IPv6 literal such as `::1`, `fe80::1%eth0` or
 * `::ffff:192.0.2.1`: at most eight groups of 1-4 hex digits, `::` at most once, an
 * optional IPv4 tail and zone.
 *
 * @example
 * ```ts
 * isIPv6("fe80::1%eth0"); // true
 * isIPv6("::1:38425"); // false: a group has at most 4 hex digits
 * isIPv6("127.0.0.1"); // false
 * ```
 */
export function isIPv6(host: string): boolean {
  const percent = host.indexOf("%");
  if (percent < 0) return parseIpv6(host) !== undefined;
  return /^[\w.-]+$/.test(host.slice(percent + 1)) &&
    parseIpv6(host.slice(0, percent)) !== undefined;
}

/**
 * Whether `host` is an IP literal that needs no name resolution.
 *
 * @example
 * ```ts
 * isIPLiteral("::1"); // true
 * isIPLiteral("time.nist.gov"); // false: it needs resolving
 * ```
 */
export function isIPLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}
