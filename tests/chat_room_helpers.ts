/**
 * What the in-process chat room tests share: a room's limits small enough to reason about
 * (ten people, 1 MiB queues, no idle timeout, no history).
 *
 * @module
 */

import type { Limits } from "../commands/chat/protocol.ts";

/**
 * Limits for a `Room` built in a test: 1 KiB messages in 5 KiB frames, ten people, a
 * 1 MiB queue per person, no idle timeout and no history.
 *
 * @example
 * ```ts
 * const room = new Room({ limits: testLimits(), out, now: () => 0 });
 * ```
 */
export function testLimits(): Limits {
  return {
    maxMessage: 1024,
    maxFrame: 5120,
    maxClients: 10,
    maxQueue: 1 << 20,
    idleTimeout: 0,
    history: 0,
  };
}
