/**
 * Third-party programs as test and benchmark peers (ncat, socat, chronyd, xinetd):
 * started with their output discarded or read line by line, stopped by PID, and waited
 * for until they accept connections — they print nothing a test could wait on instead.
 *
 * @module
 */

import { LineReader } from "./helpers.ts";

/** A peer process; disposing it stops it by PID and waits for its exit. */
export interface Peer {
  proc: Deno.ChildProcess;
  /** Its stderr line by line, when asked for with `stderr: true`. */
  stderr?: LineReader;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@linkcode spawnPeer}. */
export interface SpawnPeerOptions {
  /** Read stderr line by line (else it is discarded). */
  stderr?: boolean;
  /** Runs after the process exited, e.g. to remove its configuration directory. */
  cleanup?: () => Promise<void>;
}

/**
 * Starts `cmd args` as a peer.
 *
 * @example
 * ```ts
 * await using peer = spawnPeer("ncat", ["-l", "-k", "-e", "/bin/cat", "127.0.0.1", "20007"]);
 * await waitUntilAccepting(20007, peer);
 * ```
 */
export function spawnPeer(cmd: string, args: string[], options: SpawnPeerOptions = {}): Peer {
  const proc = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: options.stderr ? "piped" : "null",
  }).spawn();
  const stderr = options.stderr ? new LineReader(proc.stderr) : undefined;
  let stopped: Promise<void> | undefined;
  return {
    proc,
    stderr,
    [Symbol.asyncDispose]() {
      stopped ??= (async () => {
        try {
          proc.kill("SIGTERM");
        } catch { /* already exited */ }
        await proc.status;
        await stderr?.cancel();
        await options.cleanup?.();
      })();
      return stopped;
    },
  };
}

/**
 * Waits until something accepts TCP connections on 127.0.0.1:`port`, connecting until
 * one succeeds; fails at once if `peer` exits first, or after `timeoutMs`.
 *
 * @example
 * ```ts
 * await using peer = spawnPeer("ncat", ["-l", "-k", "127.0.0.1", String(port)]);
 * await waitUntilAccepting(port, peer);
 * ```
 */
export async function waitUntilAccepting(
  port: number,
  peer: Peer,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.ConnectionRefused)) throw err;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      peer.proc.status,
      // Between attempts: the port opening is not an event we can wait on.
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 20)),
    ]);
    clearTimeout(timer);
    if (exited) throw new Error(`the peer exited with ${exited.code} before listening`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
  }
}
