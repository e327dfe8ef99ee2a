/**
 * IP addresses and CIDR blocks for `--allow` and `--deny` (README, "Who may
 * connect"): IPv4 and IPv6, a bare address is a /32 or /128, and an IPv4-mapped IPv6
 * address (`::ffff:10.1.2.3`, what a dual-stack listener reports for an IPv4 peer) is
 * the IPv4 address it maps, on either side, so one rule covers a peer however the socket
 * saw it. Addresses are numbers (`bigint`) so a block is a mask and a compare.
 *
 * @module
 */

/** One CIDR block. */
export interface Cidr {
  family: 4 | 6;
  /** The network's first address. */
  base: bigint;
  /** Leading bits that must match. */
  prefix: number;
  /** As the user wrote it, for logs. */
  text: string;
}

/** An address as a number, with its family. */
export interface Ip {
  family: 4 | 6;
  value: bigint;
}

/**
 * Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4; brackets and a zone
 * `%eth0` are allowed), or undefined when it is not one.
 *
 * @example
 * ```ts
 * parseIp("10.0.0.1"); // { family: 4, value: 167772161n }
 * parseIp("::ffff:10.0.0.1"); // the same
 * parseIp("::1"); // { family: 6, value: 1n }
 * ```
 */
export function parseIp(text: string): Ip | undefined {
  const host = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (!host.includes(":")) {
    const v4 = parseIpv4(host);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  const v6 = parseIpv6(host);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffff_ffffn };
  return { family: 6, value: v6 };
}

/**
 * A dotted-quad IPv4 address as a number, or undefined when `text` is not one. A part
 * with a leading zero is not one either: `010` is 10 to some parsers and 8 (octal) to
 * others, such as the system resolver's, so it is refused rather than guessed (as Go
 * and Python's `ipaddress` do).
 *
 * @example
 * ```ts
 * parseIpv4("10.0.0.1"); // 167772161n
 * parseIpv4("10.0.0.256"); // undefined
 * parseIpv4("010.0.0.1"); // undefined
 * ```
 */
export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/**
 * Why digits and dots that look like an IPv4 address are not one, or undefined when
 * `text` is not such a look-alike (or is a valid address).
 *
 * @example
 * ```ts
 * dottedQuadProblem("01.2.3.4"); // "a leading zero (octal or decimal?): write 1.2.3.4"
 * dottedQuadProblem("1.2.3.400"); // "400 is over 255"
 * dottedQuadProblem("example.org"); // undefined
 * ```
 */
export function dottedQuadProblem(text: string): string | undefined {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(text) || parseIpv4(text) !== undefined) return undefined;
  const parts = text.split(".");
  const big = parts.find((p) => Number(p) > 255);
  if (big !== undefined) return `${big} is over 255`;
  return `a leading zero (octal or decimal?): write ${parts.map(Number).join(".")}`;
}

/**
 * An IPv6 address (no zone, no brackets) as a number, or undefined when `text` is not
 * one: eight groups of 1-4 hex digits, or fewer with one `::`; the last two may be a
 * dotted quad (`::ffff:10.0.0.1`).
 *
 * @example
 * ```ts
 * parseIpv6("::1"); // 1n
 * parseIpv6("::1:38425"); // undefined: a group has at most 4 hex digits
 * ```
 */
export function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  // A trailing dotted quad is two groups.
  const last = halves.length === 2 ? tail : head;
  const words: bigint[] = [];
  if (last.length > 0 && last[last.length - 1].includes(".")) {
    const v4 = parseIpv4(last.pop()!);
    if (v4 === undefined) return undefined;
    last.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  for (const group of [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail]) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    words.push(BigInt(`0x${group}`));
  }
  return words.reduce((value, word) => (value << 16n) | word, 0n);
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). A mapped
 * IPv6 block (`::ffff:10.0.0.0/104`) is the IPv4 block it maps.
 *
 * @throws {Error} saying what is wrong, for the caller to name its flag.
 *
 * @example
 * ```ts
 * parseCidr("192.168.0.0/16").prefix; // 16
 * parseCidr("::1").prefix; // 128
 * ```
 */
export function parseCidr(text: string): Cidr {
  const [addr, bits, ...extra] = text.trim().split("/");
  const ip = parseIp(addr);
  const quad = dottedQuadProblem(addr);
  if (quad) throw new Error(`${JSON.stringify(text)} is not an IPv4 address: ${quad}`);
  if (!ip || extra.length > 0) {
    throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR block`);
  }
  const wasMapped = ip.family === 4 && addr.includes(":");
  const width = ip.family === 4 ? 32 : 128;
  let prefix = width;
  if (bits !== undefined) {
    if (!/^\d{1,3}$/.test(bits)) throw new Error(`${JSON.stringify(text)}: bad prefix length`);
    prefix = Number(bits) - (wasMapped ? 96 : 0);
    if (prefix < 0 || prefix > width) {
      const range = wasMapped ? "96 to 128 for a mapped IPv4 block" : `0 to ${width}`;
      throw new Error(`${JSON.stringify(text)}: the prefix length must be ${range}`);
    }
  }
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix, text: text.trim() };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const width = family === 4 ? 32n : 128n;
  const all = (1n << width) - 1n;
  return all ^ ((1n << (width - BigInt(prefix))) - 1n);
}

/**
 * Whether `ip` is in `block`.
 *
 * @example
 * ```ts
 * contains(parseCidr("10.0.0.0/8"), parseIp("10.1.2.3")!); // true
 * contains(parseCidr("10.0.0.0/8"), parseIp("::ffff:10.1.2.3")!); // true
 * ```
 */
export function contains(block: Cidr, ip: Ip): boolean {
  return block.family === ip.family && (ip.value & mask(ip.family, block.prefix)) === block.base;
}

/**
 * The canonical text of an address, the same for every spelling of it (IPv4-mapped
 * IPv6 as IPv4), to count connections per address.
 *
 * @example
 * ```ts
 * ipKey("::ffff:127.0.0.1"); // "127.0.0.1"
 * ipKey("0:0::1"); // "6:1"
 * ```
 */
export function ipKey(text: string): string {
  const ip = parseIp(text);
  if (!ip) return text;
  if (ip.family === 6) return `6:${ip.value.toString(16)}`;
  return [24n, 16n, 8n, 0n].map((s) => (ip.value >> s) & 255n).join(".");
}
