/**
 * `sockit echo` without `--to`: the echo server on the server runtime, on one thread or
 * with `--workers` on several. commands/echo/mod.ts imports it only when it serves.
 *
 * @module
 */

import type { RunOptions } from "../../lib/command.ts";
import { ExitCode, SockitError } from "../../lib/errors.ts";
import type { Io } from "../../lib/io.ts";
import type { Output } from "../../lib/output.ts";
import {
  emptyStats,
  mergeStats,
  serve,
  type Server,
  serverSettings,
  type ServerStats,
  SHARED_PER_IP_BUCKETS,
} from "../../lib/server/mod.ts";
import type { echoMeta } from "./meta.ts";
import { echoConnection, echoDatagram, workerPlan } from "./server.ts";
import type { FromWorker, ToWorker, WorkerStart } from "./worker_protocol.ts";

/**
 * Serves echo until a stop signal; returns the exit code.
 *
 * @example
 * ```ts
 * return await runServer(options, io, createOutput(io, { json: false, noColor: false }));
 * ```
 */
export async function runServer(
  options: RunOptions<typeof echoMeta.flags>,
  io: Io,
  out: Output,
): Promise<number> {
  const settings = await serverSettings(options);
  const { tls, access } = settings;
  const plan = workerPlan(io.os, options.workers);
  if (plan.note) out.note(plan.note);
  const threads = plan.threads;
  // One count of open connections for every thread, so --max-conns caps the total.
  const openAcrossThreads = threads > 1 ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  // And one count per address, so --max-conns-per-ip caps an address's total.
  const perIpAcrossThreads = threads > 1 && access?.maxPerIp
    ? new Int32Array(new SharedArrayBuffer(4 * SHARED_PER_IP_BUCKETS))
    : undefined;
  return await serve({
    ...settings,
    name: "echo",
    transport: options.transport,
    openAcrossThreads,
    reusePort: threads > 1,
    perIpAcrossThreads,
    tcp: echoConnection,
    udp: echoDatagram,
  }, {
    io,
    out,
    trace: options.trace,
    started: threads > 1 && options.transport !== "udp"
      ? (server) =>
        startWorkers(threads - 1, server, {
          host: options.host,
          maxConns: options.maxConns,
          openAcrossThreads: openAcrossThreads!,
          idleTimeout: options.idleTimeout,
          quiet: options.quiet,
          json: options.json,
          trace: options.trace,
          noColor: options.noColor,
          tls,
          access,
          perIpAcrossThreads,
        })
      : undefined,
  });
}

/** Starts `count` echo workers on the server's TCP port; resolves once all listen. */
async function startWorkers(
  count: number,
  server: Server,
  settings: Omit<WorkerStart, "type" | "index" | "port">,
): Promise<{ stop(): Promise<ServerStats> }> {
  const port = server.addrs.find((a) => a.transport === "tcp")!.port;
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }),
  );
  const next = (worker: Worker) =>
    new Promise<FromWorker>((resolve) => {
      worker.onmessage = (e: MessageEvent<FromWorker>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        resolve({ type: "failed", message: e.message });
      };
    });
  const replies = await Promise.all(workers.map((worker, i) => {
    const reply = next(worker);
    worker.postMessage({ type: "start", index: i + 2, port, ...settings } satisfies ToWorker);
    return reply;
  }));
  const failed = replies.find((r) => r.type === "failed");
  if (failed && failed.type === "failed") {
    workers.forEach((w) => w.terminate());
    await server.shutdown();
    throw new SockitError(
      `echo: a --workers thread did not start: ${failed.message}`,
      ExitCode.listen,
      {
        hint: "try without --workers",
      },
    );
  }
  return {
    async stop() {
      const stopped = await Promise.all(workers.map((worker) => {
        const reply = next(worker);
        worker.postMessage({ type: "stop" } satisfies ToWorker);
        return reply;
      }));
      workers.forEach((w) => w.terminate());
      const sum = emptyStats();
      for (const r of stopped) if (r.type === "stopped") mergeStats(sum, r.stats);
      return sum;
    },
  };
}
