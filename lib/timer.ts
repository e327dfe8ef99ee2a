/**
 * A cancellable timer that does not load the Node layer. Deno 2.9's global `setTimeout`
 * is Node's: its first call loads node:timers, async_hooks and util.inspect, 3-5 ms of
 * CPU that a one-probe `sockit echo --to` would pay for one deadline (issue 10, measured
 * with `deno run --cpu-prof`). `AbortSignal.timeout` is the web runtime's own timer and
 * costs nothing to start, but it cannot be cancelled: so at most one is armed at a time,
 * for the earliest deadline, and a cancelled deadline is dropped from the list. Many
 * deadlines (a probe flood) cost one native timer, not one each.
 *
 * Unlike `clearTimeout`, cancelling does not let the process end sooner: the armed
 * native timer holds the event loop until it fires (the CLI ends with `Deno.exit`).
 *
 * @module
 */

interface Deadline {
  /** `performance.now()` at which `fn` runs. */
  at: number;
  fn: () => void;
}

const pending = new Set<Deadline>();
/** When the armed native timer fires; `Infinity` when none is armed. */
let armedAt = Infinity;

/**
 * Runs `fn` once, `ms` milliseconds from now, unless the returned function is called
 * first.
 *
 * @example
 * ```ts
 * const cancel = after(5000, () => reject(new Error("timed out")));
 * await work;
 * cancel();
 * ```
 */
export function after(ms: number, fn: () => void): () => void {
  const deadline: Deadline = { at: performance.now() + ms, fn };
  pending.add(deadline);
  if (deadline.at < armedAt) arm(deadline.at);
  return () => {
    pending.delete(deadline);
  };
}

/**
 * `work`'s result, or `undefined` if `ms` milliseconds pass first: lib/pause.ts's
 * `within()` on this module's timer, for a client's hot path (it loads no Node layer;
 * the armed native timer still holds the event loop until it fires). Nothing is
 * cancelled: `work` goes on. `work` must not resolve to `undefined` itself.
 *
 * @example
 * ```ts
 * const got = await before(socket.receive(), 1000);
 * if (got === undefined) console.log("nothing within 1s");
 * ```
 */
export async function before<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let cancel = () => {};
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => cancel = after(ms, () => resolve(undefined))),
    ]);
  } finally {
    cancel();
  }
}

function arm(at: number): void {
  armedAt = at;
  const ms = Math.max(0, Math.ceil(at - performance.now()));
  AbortSignal.timeout(ms).addEventListener("abort", () => fire(at), { once: true });
}

/** Runs every deadline that is due, and arms a timer for the next one. */
function fire(at: number): void {
  // An earlier deadline may have armed another timer since; that one is still coming.
  if (at !== armedAt) return;
  armedAt = Infinity;
  const now = performance.now();
  const due = [...pending].filter((d) => d.at <= now);
  for (const d of due) pending.delete(d);
  let next = Infinity;
  for (const d of pending) next = Math.min(next, d.at);
  if (next < Infinity) arm(next);
  for (const d of due) d.fn();
}
