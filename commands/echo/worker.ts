/**
 * An echo `--workers` Web Worker: one more TCP listener on the shared port
 * (SO_REUSEPORT), run by the same server runtime as the main thread. The main thread
 * owns signals and the summary; it tells the worker when to stop.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { flushStdio, systemIo } from "../../lib/io.ts";
import { createOutput } from "../../lib/output.ts";
import { listen } from "../../lib/server/mod.ts";
import { echoConnection } from "./server.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

const post = (message: FromWorker) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type !== "start") return;
  const io = systemIo();
  io.keepServingWithoutStdout?.();
  const out = createOutput(io, { json: message.json, noColor: message.noColor });
  try {
    const server = listen({
      name: "echo",
      host: message.host,
      port: message.port,
      transport: "tcp",
      reusePort: true,
      maxConns: message.maxConns,
      openAcrossThreads: message.openAcrossThreads,
      idleTimeout: message.idleTimeout,
      quiet: message.quiet,
      tls: message.tls,
      access: message.access,
      perIpAcrossThreads: message.perIpAcrossThreads,
      tcp: echoConnection,
    }, { out, trace: message.trace, idPrefix: `w${message.index}.` });
    self.onmessage = async (next: MessageEvent<ToWorker>) => {
      if (next.data.type !== "stop") return;
      const stats = await server.shutdown();
      flushStdio(); // the main thread terminates this worker on the reply: no later flush
      post({ type: "stopped", stats });
    };
    post({ type: "ready" });
  } catch (err) {
    post({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  }
};
