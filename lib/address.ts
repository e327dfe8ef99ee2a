/**
 * Addresses as people type them (SPEC, "Conventions"): `HOST:PORT`, `[IPv6]:PORT`,
 * a bare `HOST` (the command's default port), and a bare IPv6 literal such as `::1`.
 *
 * @module
 */

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

/**
 * Parses `HOST:PORT`, `[v6]:PORT`, `HOST` or a bare IPv6 literal.
 *
 * @param text What the user typed.
 * @param defaultPort The port used when `text` names none.
 * @throws {UsageError} when the text is empty, the brackets are unbalanced or the port
 * is not a number from 0 to 65535.
 *
 * @example
 * ```ts
 * parseAddress("example.org", 13); // { host: "example.org", port: 13 }
 * parseAddress("[::1]:7", 13); // { host: "::1", port: 7 }
 * parseAddress("::1", 13); // { host: "::1", port: 13 }
 * ```
 */
export function parseAddress(text: string, defaultPort: number): Address {
  const bad = (why: string) => new UsageError(`address "${text}": ${why}`);
  if (text === "") throw bad("empty");
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw bad('missing "]"');
    const host = text.slice(1, close);
    if (host.includes("[")) throw bad('unbalanced "["');
    if (!host.includes(":")) throw bad("brackets are for IPv6 addresses");
    const rest = text.slice(close + 1);
    if (rest === "") return { host, port: defaultPort };
    if (!rest.startsWith(":")) throw bad('expected ":PORT" after "]"');
    return { host, port: portOf(rest.slice(1), bad) };
  }
  if (text.includes("]") || text.includes("[")) throw bad("unbalanced brackets");
  const colons = text.split(":").length - 1;
  if (colons === 0) return { host: text, port: defaultPort };
  if (colons > 1) {
    // More than one colon and no brackets: a bare IPv6 literal, whose last group would
    // be ambiguous with a port, so it never carries one.
    if (!isIPv6(text)) throw bad("IPv6 addresses with a port are written [v6]:PORT");
    return { host: text, port: defaultPort };
  }
  const [host, port] = text.split(":");
  if (host === "") throw bad('missing host before ":"');
  return { host, port: portOf(port, bad) };
}

function portOf(text: string, bad: (why: string) => Error): number {
  const port = parsePort(text);
  if (port === undefined) throw bad(`"${text}" is not a port number (0-65535)`);
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
  const parts = host.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * Whether `host` looks like an IPv6 literal such as `::1` or `fe80::1%eth0`.
 *
 * @example
 * ```ts
 * isIPv6("fe80::1%eth0"); // true
 * isIPv6("127.0.0.1"); // false
 * ```
 */
export function isIPv6(host: string): boolean {
  return host.includes(":") && /^[0-9a-fA-F:.]+(%[\w.-]+)?$/.test(host);
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
