/**
 * Logging and counting what `--allow`/`--deny` refused, for TCP and UDP alike.
 *
 * @module
 */

import type { Runtime } from "./runtime.ts";
import { logsDrop, sampledSuffix } from "./udp_guard.ts";

/**
 * Counts a refused connection or datagram and logs it (`denied 10.1.2.3:5123 (...)`): the
 * first few one by one, then one per thousand, so a flood does not become a log flood.
 *
 * @example
 * ```ts
 * logDenied(rt, "udp", "10.1.2.3:5123", "--deny 10.0.0.0/8");
 * ```
 */
export function logDenied(rt: Runtime, transport: string, peer: string, rule: string): void {
  const count = ++rt.stats.denied;
  if (rt.spec.quiet || !logsDrop(count)) return;
  rt.out.log(
    "denied",
    { transport, peer, rule, count },
    `denied ${peer} (${transport}: ${rule})${sampledSuffix(count, "denials")}`,
  );
}
