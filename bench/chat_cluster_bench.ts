/**
 * `deno task bench cluster`: `chat-serve --cluster` against one plain `chat-serve`, in
 * one run, under the same load: 30 line clients per node, one sender per node.
 *
 * - **burst**: each sender writes `MSGS` numbered lines at once; deliveries per second
 *   until every client has every other sender's lines, each receiver checked for lost,
 *   duplicated and out-of-order lines (per sender);
 * - **one in flight**: sender 0 sends one line, waits until every other client has it,
 *   100 times: p50/p99 of "one message to all";
 * - 1, 2 and 3 cluster nodes (on a 2-core machine this shows the cost of going through
 *   Redis, not a gain), and Redis's own CPU per delivered message.
 *
 * Each setup runs `REPS` times (default 3): the table shows medians, and the lost,
 * duplicated and out-of-order counts summed over every run.
 *
 * Needs `redis-server`. Environment: `MSGS` (default 1000), `CLIENTS` per node (30).
 *
 * @module
 */

import { hasTool } from "../tests/helpers.ts";
import { redisCpuSeconds, type RedisServer, startRedis } from "../tests/redis_helpers.ts";
import { type BenchServer, median, printTable, ratio, startSockitServer } from "./harness.ts";

const MSGS = Number(Deno.env.get("MSGS") ?? 1000);
const CLIENTS = Number(Deno.env.get("CLIENTS") ?? 30);
const ROUNDS = 100;
const REPS = Number(Deno.env.get("REPS") ?? 3);
const DEADLINE_MS = 60_000;
const encoder = new TextEncoder();

/** A line client that counts what it receives from each sender. */
class Client {
  readonly conn: Deno.TcpConn;
  readonly name: string;
  /** Per sender: the next sequence number expected. */
  readonly next = new Map<string, number>();
  lost = 0;
  dup = 0;
  disorder = 0;
  got = 0;
  #wanted: { text: string; resolve: () => void } | undefined;
  #buffer = "";

  constructor(conn: Deno.TcpConn, name: string) {
    this.conn = conn;
    this.name = name;
    this.#read();
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(256 * 1024);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) return;
        this.#buffer += decoder.decode(buf.subarray(0, n), { stream: true });
        let at: number;
        while ((at = this.#buffer.indexOf("\n")) >= 0) {
          this.#line(this.#buffer.slice(0, at));
          this.#buffer = this.#buffer.slice(at + 1);
        }
      }
    } catch { /* closed */ }
  }

  #line(line: string): void {
    if (this.#wanted && line.endsWith(this.#wanted.text)) {
      const w = this.#wanted;
      this.#wanted = undefined;
      w.resolve();
    }
    const m = /^(\S+): b (\d+)$/.exec(line);
    if (!m) return;
    const [, from, seqText] = m;
    const seq = Number(seqText);
    const expected = this.next.get(from) ?? 0;
    if (seq === expected) this.got++;
    else if (seq < expected) this.dup++;
    else {
      this.disorder++;
      this.lost += seq - expected;
      this.got++;
    }
    this.next.set(from, Math.max(expected, seq + 1));
  }

  /** Resolves when a line ending in `text` arrives. */
  waitFor(text: string): Promise<void> {
    return new Promise((resolve) => this.#wanted = { text, resolve });
  }

  send(text: string): Promise<number> {
    return this.conn.write(encoder.encode(text));
  }
}

async function join(port: number, name: string): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const client = new Client(conn, name);
  const welcome = client.waitFor("/help for commands");
  await client.send(name + "\n");
  await welcome;
  return client;
}

function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<T>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`${what}: over ${DEADLINE_MS}ms`)), DEADLINE_MS)
    ),
  ]).finally(() => clearTimeout(timer));
}

interface Figures {
  name: string;
  deliveriesPerSec: number;
  lost: number;
  dup: number;
  disorder: number;
  p50: number;
  p99: number;
  redisCpuUsPerDelivery?: number;
}

async function measure(name: string, nodes: number, redis?: RedisServer): Promise<Figures> {
  const servers: BenchServer[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const args = ["chat-serve", "--port", "0", "--quiet", "--max-clients", "10000"];
      if (redis) args.push("--cluster", redis.url);
      servers.push(await startSockitServer(`node${i}`, args));
    }
    // Every node gets its clients; the same total load on one node without --cluster.
    const perNode = redis ? CLIENTS : CLIENTS * 3;
    for (const [i, server] of servers.entries()) {
      for (let c = 0; c < perNode; c++) clients.push(await join(server.port, `n${i}c${c}`));
    }
    const senders = redis ? servers.map((_, i) => clients[i * perNode]) : clients.slice(0, 3);
    // Everyone has heard of everyone once a line sent after the last join reached all.
    const sync = clients.slice(1).map((c) => c.waitFor("sync"));
    await senders[0].send("sync\n");
    await bounded(Promise.all(sync), `${name}: sync`);

    const redisBefore = redis ? await redisCpuSeconds(redis.port) : undefined;
    const lines = (from: number) =>
      Array.from({ length: MSGS }, (_, i) => `b ${i}\n`).join("").slice(from);
    const expected = MSGS * senders.length;
    const done = clients.map((c) =>
      new Promise<void>((resolve) => {
        const own = senders.includes(c) ? MSGS : 0;
        const check = setInterval(() => {
          if (c.got + c.lost >= expected - own) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      })
    );
    const began = performance.now();
    await Promise.all(senders.map((s) => s.send(lines(0))));
    await bounded(Promise.all(done), `${name}: burst`);
    const seconds = (performance.now() - began) / 1000;
    const deliveries = clients.reduce((sum, c) => sum + c.got, 0);
    const redisAfter = redis ? await redisCpuSeconds(redis.port) : undefined;

    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const marker = `ping ${round}`;
      const all = clients.filter((c) => c !== senders[0]).map((c) => c.waitFor(marker));
      const sent = performance.now();
      await senders[0].send(marker + "\n");
      await bounded(Promise.all(all), `${name}: one in flight`);
      latencies.push(performance.now() - sent);
    }
    latencies.sort((a, b) => a - b);
    const figures: Figures = {
      name,
      deliveriesPerSec: deliveries / seconds,
      lost: clients.reduce((s, c) => s + c.lost, 0),
      dup: clients.reduce((s, c) => s + c.dup, 0),
      disorder: clients.reduce((s, c) => s + c.disorder, 0),
      p50: latencies[Math.floor(ROUNDS * 0.5)],
      p99: latencies[Math.floor(ROUNDS * 0.99)],
    };
    if (redisBefore !== undefined && redisAfter !== undefined) {
      figures.redisCpuUsPerDelivery = (redisAfter - redisBefore) * 1e6 / deliveries;
    }
    return figures;
  } finally {
    for (const c of clients) {
      try {
        c.conn.close();
      } catch { /* closed */ }
    }
    for (const s of servers) await s.stop();
  }
}

if (!hasTool("redis-server")) {
  console.log("skip: redis-server not installed (.ci/run installs it)");
  Deno.exit(0);
}
console.log(
  `${CLIENTS} line clients per node, one sender per node, ${MSGS} lines each (burst); ` +
    `${ROUNDS} single messages to all (latency). Figures under whatever else runs here.`,
);
/** Runs one setup `REPS` times: medians of the rates and latencies, sums of the faults. */
async function repeated(name: string, nodes: number, cluster: boolean): Promise<Figures> {
  const runs: Figures[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    if (!cluster) {
      runs.push(await measure(name, nodes));
      continue;
    }
    await using redis = await startRedis();
    runs.push(await measure(name, nodes, redis));
  }
  const mid = (pick: (f: Figures) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  const sum = (pick: (f: Figures) => number) => runs.reduce((total, f) => total + pick(f), 0);
  return {
    name,
    deliveriesPerSec: mid((f) => f.deliveriesPerSec)!,
    lost: sum((f) => f.lost),
    dup: sum((f) => f.dup),
    disorder: sum((f) => f.disorder),
    p50: mid((f) => f.p50)!,
    p99: mid((f) => f.p99)!,
    redisCpuUsPerDelivery: mid((f) => f.redisCpuUsPerDelivery),
  };
}

const results: Figures[] = [];
results.push(await repeated("1 node, no --cluster (90 clients, 3 senders)", 1, false));
for (const nodes of [1, 2, 3]) {
  results.push(await repeated(`${nodes} node${nodes > 1 ? "s" : ""}, --cluster`, nodes, true));
}
const base = results[0];
printTable(
  [
    "setup",
    "deliveries/s",
    "vs one node",
    "lost",
    "dup",
    "out of order",
    "p50 ms",
    "p99 ms",
    "redis CPU µs/delivery",
  ],
  results.map((r) => [
    r.name,
    Math.round(r.deliveriesPerSec).toLocaleString("en-US"),
    ratio(r.deliveriesPerSec, base.deliveriesPerSec),
    String(r.lost),
    String(r.dup),
    String(r.disorder),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.redisCpuUsPerDelivery === undefined ? "-" : r.redisCpuUsPerDelivery.toFixed(2),
  ]),
);
