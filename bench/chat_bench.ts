/**
 * `deno task bench chat`: chat fan-out measured with the shared load generator
 * (`../shared/bench/`, the yardstick the goals are set in), so these figures agree
 * with it. For `sockit chat-serve`, `ncat --chat`, the Node reference, the C epoll
 * reference and `deno-bare` (bench/chat_bare_server.ts: the Node reference on
 * `Deno.listen`, the floor — a goal above what it reaches is beyond the runtime here),
 * all in this one run:
 *
 * - **burst** `chat-fanout --clients 100 --msgs 1000` and `--clients 500 --msgs 200`:
 *   client 0 writes every line in one `send()`; deliveries per second until every
 *   other client has them all;
 * - **one in flight** `--clients 100 --msgs 1000 --window 1`: per-message fan-out;
 *
 * each **warm** (`run-one.sh`: an untimed warm-up, then the median of `REPS` runs) and
 * **fresh** (a server just started, its very first load). Then, for sockit:
 *
 * - the burst **with one client that never reads** (python3, 4 KiB receive buffer),
 *   its buffers filled with 8 MiB first, against the same server flags without it;
 * - **idle clients**: RSS with 5,000 and 10,000 named line clients that read but say
 *   nothing, per client over the empty server, and the latency of one message to all
 *   of them (`chat-fanout --clients 2 --window 1` joined last, so it is written last).
 *
 * Every step is bounded in time; a peer that is not installed is skipped with a note.
 * Each fan-out figure is the median over `CHAT_BENCH_STARTS` (default 3) starts of each
 * server, taken in alternation: one start's figures swing up to 2x.
 *
 * Environment: `REPS` (default 3), `CHAT_BENCH_SERVERS=sockit,node,deno-bare`,
 * `CHAT_BENCH_IDLE=5000,10000` (`0`: skip), `CHAT_BENCH_LOADS=burst100,window1`,
 * `CHAT_BENCH_PARTS=fanout,never,idle`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { neverReader } from "../tests/chat_flow_helpers.ts";
import { hasTool, sockitCommand } from "../tests/helpers.ts";
import { delay, median, printTable, ratio } from "./harness.ts";

const SHARED = fileURLToPath(new URL("../../shared/bench/", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUILD = `${Deno.env.get("TMPDIR") ?? "/tmp"}/sockit-bench-build`;
const LOADGEN = `${BUILD}/loadgen`;
const REPS = Number(Deno.env.get("REPS") ?? 3);
const STARTS = Number(Deno.env.get("CHAT_BENCH_STARTS") ?? 3);
const HOST = "127.0.0.1";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

// ------------------------------------------------------------------------ servers

interface ServerDef {
  name: string;
  /** Shell command with `{PORT}`. */
  command: string;
  /** The first line each client sends (sockit wants a name). */
  hello?: string;
  available: boolean;
}

function sockitShell(extra: string[] = []): string {
  const { cmd, args } = sockitCommand([
    "chat-serve",
    "--quiet",
    "--host",
    HOST,
    "--port",
    "{PORT}",
    "--max-clients",
    "20000",
    "--max-conns",
    "20000",
    ...extra,
  ]);
  return [cmd, ...args].join(" ");
}

const SERVERS: ServerDef[] = [
  { name: "sockit", command: sockitShell(), hello: "user%d", available: true },
  {
    name: "ncat",
    command: `ncat -l ${HOST} {PORT} -k --chat --max-conns 1000`,
    available: hasTool("ncat"),
  },
  { name: "node", command: `node ${SHARED}ref/chat_node.js {PORT}`, available: hasTool("node") },
  { name: "c-epoll", command: `${BUILD}/ref/chat_epoll {PORT}`, available: true },
  {
    // Not a goal's peer: the floor. A goal above what this reaches is beyond Deno here.
    name: "deno-bare",
    command: `${Deno.execPath()} run --allow-net ${ROOT}bench/chat_bare_server.ts {PORT}`,
    available: true,
  },
];

const LOADS: Record<string, string[]> = {
  burst100: ["--clients", "100", "--msgs", "1000"],
  burst500: ["--clients", "500", "--msgs", "200"],
  window1: ["--clients", "100", "--msgs", "1000", "--window", "1"],
};

// ------------------------------------------------------------------------ running

/** Builds the load generator and the C references as `run-one.sh` does. */
async function build(): Promise<void> {
  await Deno.mkdir(`${BUILD}/ref`, { recursive: true });
  const cc = async (out: string, src: string) => {
    const fresh = await Deno.stat(out).then((o) => o.mtime! >= Deno.statSync(src).mtime!).catch(
      () => false,
    );
    if (fresh) return;
    const { code } = await new Deno.Command("cc", {
      args: ["-O2", "-Wall", "-std=gnu11", "-o", out, src],
    }).output();
    if (code !== 0) throw new Error(`cc ${src} failed`);
  };
  await cc(LOADGEN, `${SHARED}loadgen.c`);
  await cc(`${BUILD}/ref/chat_epoll`, `${SHARED}ref/chat_epoll.c`);
}

async function sh(script: string, timeoutMs: number): Promise<string> {
  const { stdout } = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  return decoder.decode(stdout);
}

/** `run-one.sh`: warm-up, then the median deliveries/s of REPS verified runs. */
async function warm(server: ServerDef, load: string[]): Promise<number | undefined> {
  const hello = server.hello ? ["--hello", server.hello] : [];
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const out = await sh(
    `REPS=${REPS} ${SHARED}run-one.sh ${quote(server.command)} chat-fanout ${
      [...load, ...hello].map(quote).join(" ")
    }`,
    (REPS + 2) * 90_000,
  ).catch(() => "");
  const m = /# deliveries_per_s: median ([\d.]+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** A server started here, pinned like `run-one.sh` does (CPU 1; the load on CPU 0). */
interface Started {
  port: number;
  pid: number;
  rss(): number;
  stop(): Promise<void>;
}

async function start(command: string): Promise<Started> {
  const port = Number((await sh(`${LOADGEN} free-port`, 5000)).trim());
  const proc = new Deno.Command("setsid", {
    args: [
      "bash",
      "-c",
      `ulimit -n $(ulimit -Hn); exec taskset -c 1 ${command.replaceAll("{PORT}", String(port))}`,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sh(`${LOADGEN} wait-port --host ${HOST} --port ${port} --timeout-s 15`, 20_000);
  return {
    port,
    pid: proc.pid,
    rss: () => rssOf(proc.pid),
    async stop() {
      try {
        proc.kill("SIGKILL"); // the server only, by its pid (it exec'd in place of bash)
      } catch { /* gone */ }
      await proc.status;
    },
  };
}

interface FanoutResult {
  deliveries_per_s: number;
  bcast_p50_us: number;
  bcast_p99_us: number;
  verified: boolean;
}

/** One loadgen run against `port`, pinned to CPU 0. */
async function loadgen(port: number, args: string[]): Promise<FanoutResult | undefined> {
  const out = await sh(
    `ulimit -n $(ulimit -Hn); taskset -c 0 ${LOADGEN} chat-fanout ${args.join(" ")} ` +
      `--host ${HOST} --port ${port} --timeout-s 60`,
    90_000,
  ).catch(() => "");
  try {
    const result = JSON.parse(out) as FanoutResult;
    return result.verified ? result : undefined;
  } catch {
    return undefined;
  }
}

function helloArgs(server: ServerDef): string[] {
  return server.hello ? ["--hello", server.hello] : [];
}

/** The first load a freshly started server sees (no warm-up). */
async function fresh(server: ServerDef, load: string[]): Promise<number | undefined> {
  const s = await start(server.command);
  try {
    return (await loadgen(s.port, [...load, ...helloArgs(server)]))?.deliveries_per_s;
  } finally {
    await s.stop();
  }
}

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
  return Number(kb ?? 0) * 1024;
}

const rate = (n: number | undefined) => n === undefined ? "-" : `${(n / 1e6).toFixed(2)}M`;

// ------------------------------------------------------------------------ parts

async function fanout(): Promise<Map<string, Map<string, { warm?: number; fresh?: number }>>> {
  const wanted = Deno.env.get("CHAT_BENCH_SERVERS")?.split(",");
  const servers = SERVERS.filter((s) => !wanted || wanted.includes(s.name));
  const loads = Deno.env.get("CHAT_BENCH_LOADS")?.split(",") ?? Object.keys(LOADS);
  const results = new Map<string, Map<string, { warm?: number; fresh?: number }>>();
  for (const server of servers) {
    if (!server.available) console.log(`(${server.name} not installed: skipped)`);
  }
  const available = servers.filter((s) => s.available);
  for (const load of loads) {
    // A server's figures swing up to 2x from one start to the next: each server is
    // started STARTS times, alternating (A B C, then C B A, ...), and the medians kept.
    const seen = new Map<string, { warm: number[]; fresh: number[] }>();
    for (let round = 0; round < STARTS; round++) {
      for (const server of round % 2 === 0 ? available : [...available].reverse()) {
        const figures = seen.get(server.name) ?? { warm: [], fresh: [] };
        seen.set(server.name, figures);
        const f = await fresh(server, LOADS[load]);
        const w = await warm(server, LOADS[load]);
        if (f !== undefined) figures.fresh.push(f);
        if (w !== undefined) figures.warm.push(w);
      }
    }
    const row = new Map<string, { warm?: number; fresh?: number }>();
    results.set(load, row);
    for (const server of available) {
      const figures = seen.get(server.name)!;
      const mid = (values: number[]) => values.length > 0 ? median(values) : undefined;
      row.set(server.name, { warm: mid(figures.warm), fresh: mid(figures.fresh) });
      console.log(`${load} ${server.name} warm per start: ${figures.warm.map(rate).join(" ")}`);
    }
    const head = ["load", ...[...row.keys()].flatMap((n) => [`${n} warm`, "fresh"])];
    const cells = [...row.values()].flatMap((r) => [rate(r.warm), rate(r.fresh)]);
    printTable(head, [[load, ...cells]]);
    const sockit = row.get("sockit");
    const ratios = [...row.entries()].filter(([n]) => n !== "sockit").map(([n, r]) =>
      sockit?.warm && r.warm
        ? `${n} ${ratio(sockit.warm, r.warm)} warm` +
          (sockit.fresh && r.fresh ? `, ${ratio(sockit.fresh, r.fresh)} fresh` : "")
        : `${n} -`
    );
    console.log(`sockit vs ${ratios.join("; ")}\n`);
  }
  return results;
}

/** The burst with a stuck client in the room, against the same flags without it. */
async function neverReads(): Promise<void> {
  if (!hasTool("python3")) return console.log("(python3 not installed: never-reads skipped)");
  // A stall timeout longer than the measurement keeps the stuck client in the room for
  // all of it (with the default 1 s it would be dropped while the load connects).
  const command = sockitShell(["--stall-timeout", "120s"]);
  const rows: string[][] = [];
  for (const name of ["burst100", "burst500"]) {
    const load = LOADS[name];
    const args = [...load, "--hello", "user%d"];
    const runs = async (stuck: boolean) => {
      const s = await start(command);
      await using _stuck = stuck ? await neverReader(s.port, "stuck") : undefined;
      try {
        if (stuck) await fill(s.port);
        await loadgen(s.port, args); // warm-up
        const rates: number[] = [];
        for (let i = 0; i < REPS; i++) {
          const r = await loadgen(s.port, args);
          if (r) rates.push(r.deliveries_per_s);
        }
        return rates.sort((a, b) => a - b)[rates.length >> 1];
      } finally {
        await s.stop();
      }
    };
    const without = await runs(false);
    const withStuck = await runs(true);
    rows.push([
      name,
      rate(without),
      rate(withStuck),
      without && withStuck ? ratio(withStuck, without) : "-",
    ]);
  }
  printTable(["load", "sockit", "with a never-reader", "ratio"], rows);
  console.log("");
}

/** Pushes 8 MiB through the room, so a stuck member's kernel buffers are full. */
async function fill(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: HOST, port });
  try {
    await conn.write(encoder.encode("filler\n"));
    const line = encoder.encode("f".repeat(1023) + "\n");
    const chunk = new Uint8Array(line.length * 256);
    for (let i = 0; i < 256; i++) chunk.set(line, i * line.length);
    for (let sent = 0; sent < 8 * 1024 * 1024; sent += chunk.length) {
      for (let at = 0; at < chunk.length;) at += await conn.write(chunk.subarray(at));
    }
    await conn.write(encoder.encode("/quit\n"));
  } finally {
    conn.close();
  }
}

/**
 * N named line clients that read their welcome and then nothing, and say nothing: the server's
 * RSS per client, and one message's latency to all of them.
 */
async function idle(n: number): Promise<string[] | undefined> {
  const limit = openFileLimit();
  if (limit !== undefined && limit < n + 100) {
    console.log(`(${n} idle clients need ulimit -n ${n + 100}; this process has ${limit})`);
    return undefined;
  }
  const s = await start(sockitShell());
  const conns: Deno.TcpConn[] = [];
  const drains: Promise<void>[] = [];
  try {
    await delay(500);
    const empty = s.rss();
    const began = performance.now();
    for (let i = 0; i < n; i++) {
      const conn = await Deno.connect({ hostname: HOST, port: s.port });
      conns.push(conn);
      await conn.write(encoder.encode(`idle${i}\n`));
      drains.push(drain(conn));
    }
    // Everyone is in once the last one's name shows up in a /who.
    const probe = await Deno.connect({ hostname: HOST, port: s.port });
    conns.push(probe);
    await probe.write(encoder.encode("probe\n"));
    const deadline = Date.now() + 600_000;
    for (;;) {
      await probe.write(encoder.encode("/who\n"));
      if ((await readUntil(probe, `idle${n - 1}`, deadline)) || Date.now() > deadline) break;
    }
    const joined = (performance.now() - began) / 1000;
    await delay(2000); // settle
    const full = s.rss();
    const latency = await loadgen(s.port, [
      "--clients",
      "2",
      "--msgs",
      "50",
      "--window",
      "1",
      "--hello",
      "lg%d",
    ]);
    return [
      String(n),
      `${(empty / 2 ** 20).toFixed(0)} MiB`,
      `${(full / 2 ** 20).toFixed(0)} MiB`,
      `${((full - empty) / n / 1024).toFixed(1)} KiB`,
      latency ? `${(latency.bcast_p50_us / 1000).toFixed(1)} ms` : "-",
      latency ? `${(latency.bcast_p99_us / 1000).toFixed(1)} ms` : "-",
      `${joined.toFixed(1)} s`,
    ];
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await Promise.allSettled(drains);
    await s.stop();
  }
}

/** This process's soft limit of open files, from /proc; undefined off Linux. */
function openFileLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    return line ? Number(line.split(/\s+/)[3]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads `conn` up to the end of its welcome line, then no more: an idle client's
 * kernel buffers hold the little that follows, and this process, reading nothing,
 * takes no CPU from the server while the latency is measured.
 */
async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null || buf.subarray(0, n).includes(10)) return;
    }
  } catch { /* closed */ }
}

/** Reads `conn` until `text` shows up in a `*** users:` line; false at the deadline. */
async function readUntil(conn: Deno.Conn, text: string, deadline: number): Promise<boolean> {
  const buf = new Uint8Array(256 * 1024);
  let tail = "";
  while (Date.now() < deadline) {
    const n = await conn.read(buf);
    if (n === null) return false;
    tail = (tail + decoder.decode(buf.subarray(0, n))).slice(-512 * 1024);
    const users = tail.lastIndexOf("*** users:");
    const end = users >= 0 ? tail.indexOf("\n", users) : -1;
    if (end > 0) return tail.slice(users, end).includes(text);
  }
  return false;
}

// ------------------------------------------------------------------------ main

await build();
console.log(`chat fan-out, shared load generator (${SHARED}), REPS=${REPS}, deliveries/s:\n`);
const PARTS = Deno.env.get("CHAT_BENCH_PARTS")?.split(",") ?? ["fanout", "never", "idle"];
if (PARTS.includes("fanout")) await fanout();
if (PARTS.includes("never")) await neverReads();
const sizes = (Deno.env.get("CHAT_BENCH_IDLE") ?? "5000,10000").split(",").map(Number)
  .filter((n) => n > 0);
if (PARTS.includes("idle") && sizes.length > 0) {
  const rows: string[][] = [];
  for (const n of sizes) {
    const row = await idle(n);
    if (row) rows.push(row);
  }
  printTable(
    ["idle clients", "RSS empty", "RSS full", "per client", "to all p50", "p99", "joined in"],
    rows,
  );
}
