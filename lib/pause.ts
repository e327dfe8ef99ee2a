/**
 * Waiting that a stop signal cuts short: a client's pause between probes or rounds,
 * which Ctrl-C must end at once rather than after the rest of `--interval`.
 *
 * @module
 */

/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (at once if it already
 * has). It never rejects: the caller checks `signal.aborted` and stops. The timer is
 * cleared on abort, so an interrupted pause does not keep the process alive.
 *
 * @example
 * ```ts
 * const interrupted = new AbortController();
 * await pause(1000, interrupted.signal);
 * if (interrupted.signal.aborted) return;
 * ```
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * `work`'s result, or `undefined` if `ms` milliseconds pass first. Nothing is cancelled:
 * `work` goes on, so a caller that keeps it (a pending read) can wait on it again. The
 * timer is cleared either way, so it never keeps the process alive. `work` must not
 * resolve to `undefined` itself, or the two cannot be told apart.
 *
 * @example
 * ```ts
 * const n = await within(conn.read(buf), 250);
 * if (n === undefined) console.log("nothing within 250ms");
 * ```
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
