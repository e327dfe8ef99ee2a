/**
 * This node's heartbeat: every quarter of `--node-timeout` one `beat` script refreshes
 * the node's heartbeat key (which lives 60% of the timeout) and its claims (which live
 * the whole timeout), checks the room's epoch, and reaps the nodes whose heartbeat
 * expired. A node that dies is so noticed within 0.6 + 0.25 of the timeout of its last
 * beat: inside `--node-timeout`. A reaper that was stalled itself (its previous beat
 * more than 1.5 periods ago) waits one beat before reaping, so a paused Redis does not
 * make live nodes look dead.
 *
 * @module
 */

import type { Link } from "./link.ts";

/** What one beat found. */
export interface Beat {
  /** `ok`; `reset`: Redis lost the room (restarted empty); `reaped`: others took us for dead. */
  status: "ok" | "reset" | "reaped";
  /** People of dead nodes announced as `node_lost` by this beat. */
  reaped: number;
}

/**
 * The heartbeat key's lifetime and the beat's period, for a `--node-timeout`.
 *
 * @example
 * ```ts
 * beatTimes(10_000); // { ttl: 6000, every: 2500 }
 * ```
 */
export function beatTimes(nodeTimeout: number): { ttl: number; every: number } {
  return { ttl: Math.max(1, Math.round(nodeTimeout * 0.6)), every: Math.max(1, nodeTimeout / 4) };
}

/** Options of {@linkcode startHeartbeat}. */
export interface HeartbeatOptions {
  node: string;
  nodeTimeout: number;
  /** Called after each beat that reached Redis. */
  onBeat: (beat: Beat) => void | Promise<void>;
  signal: AbortSignal;
}

/**
 * A heartbeat, started by {@linkcode startHeartbeat}: `beat()` runs one now (the first
 * runs at start, before the node serves anyone).
 */
export interface Heartbeat {
  beat(): Promise<Beat | undefined>;
}

/**
 * Beats until `signal` aborts. A beat that fails (link down) is skipped; the next one
 * runs on time.
 *
 * @example
 * ```ts
 * const heart = startHeartbeat(link, { node, nodeTimeout: 10_000, onBeat, signal });
 * await heart.beat();
 * ```
 */
export function startHeartbeat(link: Link, options: HeartbeatOptions): Heartbeat {
  const { ttl, every } = beatTimes(options.nodeTimeout);
  let epoch = "";
  let running: Promise<Beat | undefined> | undefined;
  const once = async (): Promise<Beat | undefined> => {
    if (!link.up) return undefined;
    try {
      const reply = await link.script("beat", [
        options.node,
        ttl,
        options.nodeTimeout,
        crypto.randomUUID(),
        epoch,
        Math.round(every),
      ]) as [string, string, number];
      epoch = reply[1];
      const beat: Beat = { status: reply[0] as Beat["status"], reaped: Number(reply[2]) };
      await options.onBeat(beat);
      return beat;
    } catch {
      return undefined; // the link is down; the room hears of it from the link
    }
  };
  const beat = () => {
    // One beat at a time: a slow Redis must not pile them up.
    running ??= once().finally(() => running = undefined);
    return running;
  };
  const timer = setInterval(beat, every);
  options.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  return { beat };
}
