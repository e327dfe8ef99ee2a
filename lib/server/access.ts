/**
 * Who may connect (README, "Who may connect"): `--allow` and `--deny` CIDR rules
 * for TCP and UDP alike (with any `--allow`, only those are served; `--deny` wins), and
 * `--max-conns-per-ip`. A refused peer is closed at once without a byte, or its datagram
 * dropped; the runtime logs and counts it.
 *
 * @module
 */

import { type Cidr, contains, ipKey, parseCidr, parseIp } from "../cidr.ts";
import { UsageError } from "../errors.ts";

/** The access rules of one server. */
export interface AccessRules {
  allow: Cidr[];
  deny: Cidr[];
  /** Most connections open at once from one address; 0 for no limit. */
  maxPerIp: number;
}

/**
 * Reads `--allow`, `--deny` (each repeatable, each value a comma list) and
 * `--max-conns-per-ip`; undefined when none restricts anything.
 *
 * @throws {UsageError} (exit 2) naming the flag and the value that is not a CIDR.
 *
 * @example
 * ```ts
 * accessRules({ allow: ["10.0.0.0/8,::1"], deny: [], maxConnsPerIp: 0 })!.allow.length; // 2
 * ```
 */
export function accessRules(
  flags: { allow: string[]; deny: string[]; maxConnsPerIp: number },
): AccessRules | undefined {
  const rules = {
    allow: cidrList("--allow", flags.allow),
    deny: cidrList("--deny", flags.deny),
    maxPerIp: flags.maxConnsPerIp,
  };
  if (rules.allow.length + rules.deny.length === 0 && rules.maxPerIp === 0) return undefined;
  return rules;
}

function cidrList(flag: string, values: string[]): Cidr[] {
  return values.flatMap((value) => value.split(",")).map((item) => {
    try {
      return parseCidr(item);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`, {
        hint: "give an address or a block like 10.0.0.0/8 or 2001:db8::/32",
      });
    }
  });
}

/**
 * The rule that refuses `host`, or undefined when it may connect: a matching `--deny`
 * (deny wins), else "not in --allow" when there are allow rules and none matches.
 *
 * @example
 * ```ts
 * refusal(rules, "10.1.2.3"); // "--deny 10.0.0.0/8"
 * refusal(rules, "127.0.0.1"); // undefined
 * ```
 */
export function refusal(rules: AccessRules, host: string): string | undefined {
  if (rules.allow.length + rules.deny.length === 0) return undefined;
  const ip = parseIp(host);
  if (!ip) return "not an IP address";
  const denied = rules.deny.find((block) => contains(block, ip));
  if (denied) return `--deny ${denied.text}`;
  if (rules.allow.length > 0 && !rules.allow.some((block) => contains(block, ip))) {
    return "not in --allow";
  }
  return undefined;
}

/** Connections open per address, to enforce `--max-conns-per-ip`. */
export interface PerIpCount {
  /** Counts one more from `host`, or says no (counting nothing) when it has `limit` open. */
  add(host: string): boolean;
  /** Counts one fewer from `host`. */
  remove(host: string): void;
  /** How many are open from `host`. */
  open(host: string): number;
}

/**
 * An exact count per address, for one thread.
 *
 * @example
 * ```ts
 * const count = perIpCount(2);
 * count.add("10.0.0.1"); count.add("10.0.0.1"); // true, true
 * count.add("::ffff:10.0.0.1"); // false: the same address
 * ```
 */
export function perIpCount(limit: number): PerIpCount {
  const counts = new Map<string, number>();
  return {
    add(host) {
      if (limit === 0) return true;
      const key = ipKey(host);
      const n = counts.get(key) ?? 0;
      if (n >= limit) return false;
      counts.set(key, n + 1);
      return true;
    },
    remove(host) {
      if (limit === 0) return;
      const key = ipKey(host);
      const n = (counts.get(key) ?? 1) - 1;
      if (n <= 0) counts.delete(key);
      else counts.set(key, n);
    },
    open: (host) => counts.get(ipKey(host)) ?? 0,
  };
}

/** Buckets of {@linkcode sharedPerIpCount}: an Int32Array of this length. */
export const SHARED_PER_IP_BUCKETS = 65_536;

/**
 * A count per address shared by every `--workers` thread, in an Int32Array over a
 * SharedArrayBuffer ({@linkcode SHARED_PER_IP_BUCKETS} long). Addresses are hashed into
 * buckets: exact unless two addresses share a bucket, which then share one limit (a
 * stricter limit, never a looser one).
 *
 * @example
 * ```ts
 * const buckets = new Int32Array(new SharedArrayBuffer(4 * SHARED_PER_IP_BUCKETS));
 * const count = sharedPerIpCount(2, buckets); // the same buckets in every thread
 * ```
 */
export function sharedPerIpCount(limit: number, buckets: Int32Array): PerIpCount {
  const slot = (host: string) => hash(ipKey(host)) % buckets.length;
  return {
    add(host) {
      if (limit === 0) return true;
      const i = slot(host);
      if (Atomics.add(buckets, i, 1) < limit) return true;
      Atomics.sub(buckets, i, 1);
      return false;
    },
    remove(host) {
      if (limit !== 0) Atomics.sub(buckets, slot(host), 1);
    },
    open: (host) => Atomics.load(buckets, slot(host)),
  };
}

/** FNV-1a, 32 bits: spreads similar addresses over the buckets. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
