/**
 * The messages between the echo command and its `--workers` Web Workers.
 *
 * @module
 */

import type { AccessRules, ServerStats, ServerTls } from "../../lib/server/mod.ts";

/** What a worker needs to open its own listener on the shared port. */
export interface WorkerStart {
  type: "start";
  index: number;
  host: string;
  port: number;
  maxConns: number;
  /** The connection count all threads share, so --max-conns caps their total. */
  openAcrossThreads: Int32Array;
  idleTimeout: number;
  quiet: boolean;
  json: boolean;
  trace: boolean;
  noColor: boolean;
  /** The certificate and key, when the port speaks TLS. */
  tls?: ServerTls;
  access?: AccessRules;
  /** The per-address counts all threads share, with --max-conns-per-ip. */
  perIpAcrossThreads?: Int32Array;
}

/** Main thread to worker. */
export type ToWorker = WorkerStart | { type: "stop" };

/** Worker to main thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "stopped"; stats: ServerStats };
