/**
 * `deno task bench echo`: sockit's echo server against a minimal Node.js `net` echo
 * server, both on loopback in the same run, driven by the same load generator (this file
 * run again as a child process with `--load`, so the generator never shares a thread
 * with the benchmark's bookkeeping).
 *
 * Measures round trips/s with 64-byte messages on 1 and 100 connections (each one
 * writes 64 bytes, waits for the 64 back, repeats) and stream MB/s on one connection
 * (64 KiB writes while reading concurrently). Every figure is measured twice with the
 * order of the servers alternated, and the better of the two is kept, to damp the noise
 * of a 2-core machine where the generator competes with the server for CPU.
 *
 * @module
 */

import { sockitCommand } from "../tests/helpers.ts";

/** Seconds of load before measuring, so both servers are warm (JIT, buffers). */
const WARMUP_S = 0.5;
/** Seconds each measurement runs after the warm-up. */
const MEASURE_S = 2.5;
const MESSAGE_SIZE = 64;
const STREAM_CHUNK = 64 * 1024;

interface LoadResult {
  /** Round trips (rtt mode) or bytes echoed back (stream mode) per second. */
  rate: number;
}

// ---------------------------------------------------------------- load generator

/** Round trips: `conns` connections, each writing 64 bytes and awaiting them back. */
async function roundTrips(port: number, conns: number): Promise<LoadResult> {
  const sockets = await Promise.all(
    Array.from({ length: conns }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  for (const s of sockets) s.setNoDelay(true);
  let counting = false;
  let stop = false;
  let count = 0;
  const loop = async (conn: Deno.TcpConn) => {
    const message = new Uint8Array(MESSAGE_SIZE).fill(0x61);
    const buf = new Uint8Array(MESSAGE_SIZE);
    while (!stop) {
      // The write and the first read are issued together (one turn of the client's event
      // loop instead of two): the generator competes with the server for the two cores,
      // so the less it spends per round trip, the more the figure says about the server.
      // 64 bytes into an empty socket buffer are always written whole; checked below.
      const writing = conn.write(message);
      let got = 0;
      while (got < MESSAGE_SIZE) {
        const n = await conn.read(buf.subarray(got));
        if (n === null) throw new Error("echo server closed the connection");
        got += n;
      }
      if ((await writing) !== MESSAGE_SIZE) throw new Error("short write of a 64-byte message");
      if (counting) count++;
    }
  };
  const loops = sockets.map(loop);
  await delay(WARMUP_S * 1000);
  counting = true;
  const began = performance.now();
  await delay(MEASURE_S * 1000);
  counting = false;
  const elapsed = (performance.now() - began) / 1000;
  stop = true;
  await Promise.all(loops);
  for (const s of sockets) s.close();
  return { rate: count / elapsed };
}

/** Stream: one connection, 64 KiB writes and a concurrent reader counting bytes back. */
async function stream(port: number): Promise<LoadResult> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(STREAM_CHUNK).fill(0x62);
  let stop = false;
  let received = 0;
  const writer = (async () => {
    while (!stop) {
      let written = 0;
      while (written < chunk.length) written += await conn.write(chunk.subarray(written));
    }
    await conn.closeWrite();
  })();
  const reader = (async () => {
    const buf = new Uint8Array(256 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      received += n;
    }
  })();
  await delay(WARMUP_S * 1000);
  const from = received;
  const began = performance.now();
  await delay(MEASURE_S * 1000);
  const bytes = received - from;
  const elapsed = (performance.now() - began) / 1000;
  stop = true;
  await writer;
  await reader;
  conn.close();
  return { rate: bytes / elapsed };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- servers

/** A server under test: its port and how to stop it. */
interface Peer {
  name: string;
  port: number;
  stop(): Promise<void>;
}

/** Reads the first stdout line of a child process (its port announcement). */
async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = AbortSignal.timeout(20_000);
  while (!text.includes("\n")) {
    if (deadline.aborted) throw new Error(`no port announced; got ${JSON.stringify(text)}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before announcing its port: ${text}`);
    text += value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return text.slice(0, text.indexOf("\n"));
}

function stopper(proc: Deno.ChildProcess): () => Promise<void> {
  return async () => {
    try {
      proc.kill("SIGKILL");
    } catch { /* already gone */ }
    await proc.status;
  };
}

async function startSockitEcho(): Promise<Peer> {
  const { cmd, args } = sockitCommand(["echo", "--port", "0", "--quiet"]);
  const proc = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
    .spawn();
  const line = await firstLine(proc.stdout);
  const m = /:(\d+)$/.exec(line);
  if (!m) throw new Error(`unexpected first line from sockit: ${line}`);
  return { name: "sockit", port: Number(m[1]), stop: stopper(proc) };
}

/**
 * The Node peer: the idiomatic minimal echo server, `s.pipe(s)` (backpressure included).
 * A `data` handler writing each chunk back measured the same within noise here (round
 * trips on 100 connections equal, stream slower), so the idiom it is.
 */
const NODE_ECHO = `
const net = require("net");
const server = net.createServer((s) => {
  s.setNoDelay(true);
  s.on("error", () => {});
  s.pipe(s);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function startNodeEcho(): Promise<Peer> {
  const proc = new Deno.Command("node", {
    args: ["-e", NODE_ECHO],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const port = Number(await firstLine(proc.stdout));
  return { name: "node", port, stop: stopper(proc) };
}

// ---------------------------------------------------------------- driver

type Scenario = { label: string; unit: string; args: string[]; scale: number };

const SCENARIOS: Scenario[] = [
  { label: "round trips/s, 1 conn, 64 B", unit: "rt/s", args: ["rtt", "1"], scale: 1 },
  { label: "round trips/s, 100 conns, 64 B", unit: "rt/s", args: ["rtt", "100"], scale: 1 },
  { label: "stream MB/s, 1 conn, 64 KiB writes", unit: "MB/s", args: ["stream"], scale: 1e-6 },
];

/** Runs the load generator (this file with `--load`) against `port`. */
async function load(port: number, args: string[]): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", import.meta.filename!, "--load", String(port), ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout((WARMUP_S + MEASURE_S) * 1000 + 20_000),
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`load generator failed: ${new TextDecoder().decode(stderr)}`);
  return (JSON.parse(text) as LoadResult).rate;
}

async function main(): Promise<void> {
  const peers = [await startSockitEcho(), await startNodeEcho()];
  const [sockit, node] = peers;
  try {
    const nodeVersion = new TextDecoder().decode(
      (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
    ).trim();
    console.log(
      `sockit echo (port ${sockit.port}) vs node ${nodeVersion} net echo (port ${node.port}); ` +
        `${WARMUP_S}s warm-up + ${MEASURE_S}s per run, best of 2 runs in alternating order`,
    );
    const rows: string[][] = [];
    let ok = true;
    for (const scenario of SCENARIOS) {
      const best = new Map<string, number>();
      // Alternate the order: sockit first, then node first.
      for (const order of [[sockit, node], [node, sockit]]) {
        for (const peer of order) {
          const rate = (await load(peer.port, scenario.args)) * scenario.scale;
          best.set(peer.name, Math.max(best.get(peer.name) ?? 0, rate));
        }
      }
      const s = best.get("sockit")!;
      const n = best.get("node")!;
      rows.push([scenario.label, fmt(s), fmt(n), `${(s / n).toFixed(2)}×`]);
      if (scenario.args[0] === "rtt" && scenario.args[1] === "100" && s / n < 1.1) ok = false;
      if (scenario.args[0] === "stream" && s < 1000) ok = false;
    }
    printTable(["measurement", "sockit", "node", "sockit/node"], rows);
    console.log(
      `goal: sockit ≥ 1.1× node on 100 conns, stream ≥ 1000 MB/s — ${ok ? "met" : "NOT met"}`,
    );
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function printTable(head: string[], rows: string[][]): void {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

if (import.meta.main) {
  if (Deno.args[0] === "--load") {
    const port = Number(Deno.args[1]);
    const result = Deno.args[2] === "stream"
      ? await stream(port)
      : await roundTrips(port, Number(Deno.args[3]));
    console.log(JSON.stringify(result));
  } else {
    await main();
  }
}
