/**
 * The node's link to Redis: two connections from node-redis (`npm:redis`), one for
 * commands and scripts, one for the blocking `XREAD` (a blocked connection can send
 * nothing else). The link is up while both are ready and the scripts are loaded; it
 * tells its owner each time it goes down and comes back, and node-redis reconnects with
 * backoff in between. Commands issued while it is down fail at once (no offline queue):
 * the room refuses rather than queue what it might lose.
 *
 * @module
 */

// The exact version is pinned here, not in deno.json's import map: the command that
// `deno install` makes (docs/LEARN.md) does not read deno.json, and would not find it.
// deno-lint-ignore no-import-prefix
import * as redis from "npm:@redis/client@6.3.1";
import { ConnectError, ResolveError, TlsError } from "../../../lib/errors.ts";
import { within } from "../../../lib/pause.ts";
import { type ScriptName, SCRIPTS } from "./scripts.ts";
import type { ClusterTarget } from "./url.ts";

/** Longest wait between two reconnection attempts. */
export const MAX_BACKOFF_MS = 2000;
/** The first wait before reconnecting; doubled on each failed attempt. */
export const FIRST_BACKOFF_MS = 100;

type Client = ReturnType<typeof redis.createClient>;

/** Options of {@linkcode openLink}. */
export interface LinkOptions {
  /** Called each time the link goes down (once per outage). */
  onDown?: (cause: string) => void;
  /** Called each time the link is whole again after being down. */
  onUp?: () => void;
  /** Longest a connection attempt may take. */
  connectTimeout?: number;
  /** For `rediss://`: the PEM of the CA(s) to trust instead of the system's (`--ca`). */
  ca?: string;
}

/** A Redis link, made by {@linkcode openLink}. */
export interface Link {
  /** Whether commands can be sent now. */
  readonly up: boolean;
  /** How many times the link went down. */
  readonly losses: number;
  /** Runs one of {@linkcode SCRIPTS}; `args` become ARGV[3...] (after prefix and cap). */
  script(name: ScriptName, args: (string | number)[]): Promise<unknown>;
  /** Any command on the command connection. */
  command(args: string[]): Promise<unknown>;
  /**
   * Reads stream entries after `id` on the reading connection, waiting up to `blockMs`;
   * null when none came.
   */
  read(
    key: string,
    id: string,
    options: { count: number; blockMs: number },
  ): Promise<{ id: string; fields: Record<string, string> }[] | null>;
  /** Resolves the next time the link is up (at once when it is). */
  whenUp(): Promise<void>;
  /** Closes both connections. */
  close(): Promise<void>;
}

/**
 * Backoff before reconnection attempt `attempt` (0-based): 100 ms doubling to 2 s.
 *
 * @example
 * ```ts
 * backoff(0); // 100
 * backoff(10); // 2000
 * ```
 */
export function backoff(attempt: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
}

/**
 * Whether a failed command certainly did not run: Redis answered it with an error (a
 * script is refused before it runs), or the client never sent it (offline, closed).
 * Otherwise it was sent and the link lost its answer: it may have run.
 *
 * @example
 * ```ts
 * neverRan(new Error("Socket closed unexpectedly")); // false
 * ```
 */
export function neverRan(err: unknown): boolean {
  return err instanceof redis.ErrorReply || err instanceof redis.ClientOfflineError ||
    err instanceof redis.ClientClosedError;
}

/**
 * Why connecting at start failed, in words: the cause, and what to do.
 *
 * @example
 * ```ts
 * startFailure(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));
 * // { text: "connection refused", hint: "is redis-server running there? ..." }
 * ```
 */
export function startFailure(
  err: unknown,
): { text: string; hint: string; resolve?: true; tls?: true } {
  const message = String((err as Error)?.message ?? err);
  const code = String((err as { code?: string })?.code ?? "");
  const running = "is redis-server running there? --cluster redis://HOST:PORT";
  // node:tls's verification failures ("self-signed certificate in certificate chain",
  // "certificate has expired", "... does not match certificate's altnames"); the code
  // (SELF_SIGNED_CERT_IN_CHAIN, ...) does not always survive the client library.
  if (/CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)/.test(code) || /certificate/i.test(message)) {
    return {
      text: `Redis's certificate could not be verified: ${message}`,
      hint: "pass --ca FILE (the CA that signed it)",
      tls: true,
    };
  }
  if (code === "ENOTFOUND" || /ENOTFOUND|EAI_AGAIN/.test(message)) {
    return { text: "host not found", hint: running, resolve: true };
  }
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return { text: "connection refused", hint: running };
  }
  if (/^(WRONGPASS|NOAUTH)/.test(message)) {
    return {
      text: "authentication failed: " + message.replace(/[.,].*$/s, ""),
      hint: "give the user and password in the URL: --cluster redis://USER:PASS@HOST:PORT",
    };
  }
  if (/timeout/i.test(message) || code === "ETIMEDOUT") {
    return { text: "no answer in time", hint: running };
  }
  return { text: message, hint: running };
}

/**
 * Connects to Redis. Failing at start is an error (exit 4, or 3 when the host does not
 * resolve); once connected, a lost link is reconnected for as long as the node runs.
 *
 * @example
 * ```ts
 * const link = await openLink(clusterTarget("redis://127.0.0.1:6379", "lobby"), 10_000);
 * await link.script("publish", [node, conn, key, seq, event]);
 * ```
 */
export async function openLink(
  target: ClusterTarget,
  cap: number,
  options: LinkOptions = {},
): Promise<Link> {
  let started = false;
  let closing = false;
  const connectTimeout = options.connectTimeout ?? 5000;
  const make = (): Client =>
    redis.createClient({
      url: target.url,
      disableOfflineQueue: true,
      // The enterprise "maintenance notifications" handshake reads environment variables
      // (REDIS_DEBUG_MAINTENANCE): off, so the binary needs no --allow-env for Redis.
      maintNotifications: "disabled",
      socket: {
        connectTimeout,
        // rediss:// turns TLS on (node:tls, verifying the host given); --ca says whom to trust.
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        // At start a failure is final (exit 4 at once); later, reconnect with backoff.
        reconnectStrategy: (attempt: number, cause: Error) =>
          started && !closing ? backoff(attempt) : cause,
      },
    });
  const commands = make();
  const reader = make();
  const shas = new Map<ScriptName, string>();
  let up = false;
  let losses = 0;
  let waiters: (() => void)[] = [];
  let lastCause = "";
  // The next look at whether the link can be up again, while it is down.
  let retries = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const down = (cause: string) => {
    lastCause = cause;
    if (!up || closing) return;
    up = false;
    losses++;
    options.onDown?.(cause);
    if (retry === undefined) retry = setTimeout(check, backoff(retries++));
  };
  const loadScripts = async () => {
    for (const [name, text] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
      shas.set(name, await commands.scriptLoad(text));
    }
  };
  // Loading the scripts can fail on connections that stay up (a Redis still loading its
  // data, an ACL change): no "ready" comes again, so the link tries again by itself.
  const check = () => {
    clearTimeout(retry);
    retry = undefined;
    if (up || closing || !started) return;
    // While down, look again after a backoff even without a "ready": a heal whose events
    // came while the other client was not ready yet must not leave the link down for good.
    if (!commands.isReady || !reader.isReady) {
      retry = setTimeout(check, backoff(retries++));
      return;
    }
    // A Redis restarted empty has forgotten the scripts: load them before anything runs.
    loadScripts().then(() => {
      if (up || closing) return;
      if (!commands.isReady || !reader.isReady) {
        if (retry === undefined) retry = setTimeout(check, backoff(retries++));
        return;
      }
      retries = 0;
      up = true;
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
      options.onUp?.();
    }, (err) => {
      down(String(err?.message ?? err));
      if (!closing && retry === undefined) retry = setTimeout(check, backoff(retries++));
    });
  };
  for (const client of [commands, reader]) {
    client.on("error", (err: Error) => down(err.message));
    client.on("end", () => down("connection closed"));
    client.on("reconnecting", () => down(lastCause || "reconnecting"));
    client.on("ready", check);
  }

  try {
    // connectTimeout covers each TCP connect only: a peer that accepts and never speaks
    // Redis (a wrong port) would hang the handshake, and with it the start, for good.
    const ready = await within(
      (async () => {
        await commands.connect();
        await reader.connect();
        await loadScripts();
        return true;
      })(),
      connectTimeout,
    );
    if (!ready) throw Object.assign(new Error("start timeout"), { code: "ETIMEDOUT" });
  } catch (err) {
    closing = true;
    commands.destroy();
    reader.destroy();
    const what = `connect redis ${target.address}`;
    const failure = startFailure(err);
    if (failure.resolve) throw new ResolveError(`${what}: host not found`, { cause: err });
    if (failure.tls) {
      throw new TlsError(`${what}: ${failure.text}`, { hint: failure.hint, cause: err });
    }
    throw new ConnectError(`${what}: ${failure.text}`, { hint: failure.hint, cause: err });
  }
  started = true;
  up = true;

  const prefixArgs = [target.prefix, String(cap)];
  return {
    get up() {
      return up;
    },
    get losses() {
      return losses;
    },
    async script(name, args) {
      const sha = shas.get(name)!;
      const argv = [...prefixArgs, ...args.map(String)];
      return await commands.sendCommand(["EVALSHA", sha, "0", ...argv]);
    },
    command(args) {
      return commands.sendCommand(args);
    },
    async read(key, id, { count, blockMs }) {
      const reply = await reader.xRead({ key, id }, { COUNT: count, BLOCK: blockMs });
      if (!reply) return null;
      const streams = reply as unknown as {
        messages: { id: string; message: Record<string, string> }[];
      }[];
      return streams[0]?.messages.map((m) => ({ id: m.id, fields: m.message })) ?? [];
    },
    whenUp() {
      if (up) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      closing = true;
      up = false;
      clearTimeout(retry);
      for (const wake of waiters) wake();
      waiters = [];
      for (const client of [reader, commands]) {
        try {
          client.destroy();
        } catch { /* already gone */ }
      }
      await Promise.resolve();
    },
  };
}
