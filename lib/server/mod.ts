/**
 * The one server runtime every server command uses: TCP and UDP listeners, the accept
 * loop, the connection it hands to handlers (which owns reads, writes, counts, trace,
 * the idle timer and the lingering close), `--max-conns`, the `listening on ...` lines
 * and `--json` events, connection logging, and graceful shutdown on SIGINT/SIGTERM with
 * a one-line summary (README, "Every server").
 *
 * A command supplies only what is its own: a TCP handler (with its per-connection
 * hooks), a UDP handler, its flags. The files, one concern each:
 *
 * - `spec.ts`: what a command gives the runtime (`ServerSpec`, handlers, hooks)
 * - `connection.ts`: the connection a handler gets
 * - `listen.ts`: binding, the loops, graceful shutdown; `serve.ts`: a whole command
 * - `accept.ts`: the TCP accept loop and one connection's life
 * - `udp.ts`, `udp_guard.ts`: the datagram loop and its source guard
 * - `tls.ts`: `--tls-cert`/`--tls-key`, the TLS listener, each client's handshake
 * - `access.ts`: `--allow`, `--deny`, `--max-conns-per-ip` (CIDR parsing: `lib/cidr.ts`)
 * - `stats.ts`: the numbers and the summary line
 * - `flags.ts`: the shared flags; `settings.ts`: `serverSettings()`, their values as spec fields
 *
 * @module
 */

export { type AccessRules, accessRules, refusal, SHARED_PER_IP_BUCKETS } from "./access.ts";
export { type Connection, LINGER_MS } from "./connection.ts";
export { serverFlags, type ServerFlagValues } from "./flags.ts";
export { type ServerSettings, serverSettings } from "./settings.ts";
export { listen, type Server } from "./listen.ts";
export type { ListenOptions } from "./runtime.ts";
export { announceListening, serve, type ServeOptions } from "./serve.ts";
export {
  type ConnectionHooks,
  type DatagramHandler,
  DEFAULT_GRACE_MS,
  type Handling,
  type ServerSpec,
  type TcpHandler,
  type Transport,
} from "./spec.ts";
export { emptyStats, mergeStats, type ServerStats, summaryLine } from "./stats.ts";
export { HANDSHAKE_MS, type ServerTls, serverTls } from "./tls.ts";
export { udpDropReason } from "./udp_guard.ts";
