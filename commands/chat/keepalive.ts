/**
 * `chat-join --keepalive DUR`: a ping every period, so that a server's
 * `--idle-timeout` never drops a client that is only listening, and a server that has
 * gone silent (a dead machine, a cut cable: no FIN ever comes) is noticed without
 * waiting for the user to type. Anything heard from the server proves it alive; a ping
 * followed by `timeout` of silence means it is lost.
 *
 * @module
 */

/** Options of {@linkcode keepAlive}. */
export interface KeepAliveOptions {
  /** How often to ping, in milliseconds. */
  everyMs: number;
  /** How long after a ping the server may stay silent before it counts as lost. */
  timeoutMs: number;
  /** Sends one ping. */
  ping: () => void;
  /** The server did not answer within `timeoutMs`: called once, then nothing more. */
  onLost: () => void;
}

/** A running keepalive: tell it about every message heard; stop it with the connection. */
export interface KeepAlive {
  /** Something came from the server: it is alive. */
  heard(): void;
  stop(): void;
}

/**
 * The period to ping at: `keepalive`, or more often when the server drops clients idle
 * for less than twice that (`idleTimeout` from its welcome; 0: never); 0 when off.
 *
 * @example
 * ```ts
 * pingEvery(30_000, 0); // 30000
 * pingEvery(30_000, 10_000); // 5000: well inside the server's idle timeout
 * pingEvery(0, 10_000); // 0: --keepalive 0 turns it off
 * ```
 */
export function pingEvery(keepalive: number, idleTimeout: unknown): number {
  if (keepalive <= 0) return 0;
  const idle = typeof idleTimeout === "number" && idleTimeout > 0 ? idleTimeout : Infinity;
  return Math.max(1, Math.min(keepalive, Math.floor(idle / 2)));
}

/**
 * Starts pinging every `everyMs`. Timers are unref'd: a keepalive never keeps a
 * finished client running.
 *
 * @example
 * ```ts
 * const alive = keepAlive({ everyMs: 30_000, timeoutMs: 5000, ping, onLost });
 * onServerMessage(() => alive.heard());
 * alive.stop();
 * ```
 */
export function keepAlive(options: KeepAliveOptions): KeepAlive {
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const interval = setInterval(() => {
    if (deadline !== undefined) return; // the last ping is still unanswered
    options.ping();
    deadline = setTimeout(() => {
      stop();
      options.onLost();
    }, options.timeoutMs);
    Deno.unrefTimer(deadline);
  }, options.everyMs);
  Deno.unrefTimer(interval);
  const stop = () => {
    stopped = true;
    clearInterval(interval);
    clearTimeout(deadline);
    deadline = undefined;
  };
  return {
    heard() {
      if (stopped || deadline === undefined) return;
      clearTimeout(deadline);
      deadline = undefined;
    },
    stop,
  };
}
