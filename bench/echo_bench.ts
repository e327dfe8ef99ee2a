/**
 * `deno task bench echo`: sockit's echo server against a minimal Node.js `net` echo
 * server and a bare Deno read/write loop (what sockit's runtime costs on top of Deno),
 * all on loopback in the same run, driven by the same load generator.
 *
 * Measures round trips/s with 64-byte messages on 1 and 100 connections (each one
 * writes 64 bytes, waits for the 64 back, repeats) and stream MB/s on one connection
 * (64 KiB writes while reading concurrently). On Linux it also reports the same work per
 * CPU-second of the server process, read from /proc: on a 2-core machine the generator
 * takes about one core and whatever else runs takes its share, which moves throughput a
 * lot and the work done per CPU-second much less.
 *
 * The generator is this file run again with `--load`, one process per scenario: it takes
 * turns on the servers, reversing their order each round, ROUNDS times, and the best
 * figure of each server is kept, to damp the noise.
 *
 * Then the goals are measured the way they are defined: with the shared load
 * generator (`../shared/bench/run-one.sh`: C, pinned to its own CPU, every byte
 * verified), `echo-rr` over 100 connections and `echo-stream`, sockit against the Node
 * and C epoll references, the servers in a rotated order for `ECHO_SHARED_ROUNDS`
 * rounds (default 4), each figure a median of each round's ratio. The two generators
 * disagree (a Deno generator on the same two cores favours the Deno servers less
 * evenly); the goals are judged on the shared one.
 *
 * @module
 */

import { formatCount } from "../lib/numbers.ts";
import {
  type BenchServer,
  clockTicks,
  measureRate,
  overRounds,
  printTable,
  ratio,
  rotated,
  RUN_ONE,
  runGenerator,
  runOne,
  sockitLine,
  startServer,
  startSockitServer,
} from "./harness.ts";

/** Seconds of load on a fresh set of connections before measuring (JIT, buffers). */
const WARMUP_S = 0.3;
/** Seconds each measurement runs after the warm-up. */
const MEASURE_S = 1.2;
/** Turns per server per scenario; the order of the servers alternates each round. */
const ROUNDS = 3;
const MESSAGE_SIZE = 64;
const STREAM_CHUNK = 64 * 1024;

/** One server under test, as the generator sees it. */
interface Target {
  name: string;
  port: number;
  pid: number;
}

/** What the generator was asked to do, passed as one JSON argument. */
interface LoadPlan {
  mode: "rtt" | "stream";
  conns: number;
  targets: Target[];
  ticksPerSecond: number;
}

/** One measurement. */
interface Sample {
  name: string;
  /** Round trips (rtt) or bytes echoed back (stream) per second. */
  rate: number;
  /** The same work per CPU-second of the server process, where /proc tells. */
  perCpuSecond?: number;
}

// ---------------------------------------------------------------- load generator

/** Warms up, then measures `work()` (a running total) and the server's CPU time. */
async function measure(work: () => number, target: Target, ticks: number): Promise<Sample> {
  const rate = await measureRate(work, {
    warmupMs: WARMUP_S * 1000,
    measureMs: MEASURE_S * 1000,
    cpu: { pid: target.pid, ticksPerSecond: ticks },
  });
  return { name: target.name, ...rate };
}

/** Round trips: `conns` connections, each writing 64 bytes and awaiting them back. */
async function roundTrips(target: Target, conns: number, ticks: number): Promise<Sample> {
  const sockets = await Promise.all(
    Array.from({ length: conns }, () => Deno.connect({ hostname: "127.0.0.1", port: target.port })),
  );
  for (const s of sockets) s.setNoDelay(true);
  let stop = false;
  let count = 0;
  const loop = async (conn: Deno.TcpConn) => {
    const message = new Uint8Array(MESSAGE_SIZE).fill(0x61);
    const buf = new Uint8Array(MESSAGE_SIZE);
    while (!stop) {
      // The write and the first read are issued together (one turn of the generator's
      // event loop instead of two): the generator competes with the server for the
      // cores, so the less it spends per round trip, the more the figure says about the
      // server. 64 bytes into an empty socket buffer are always written whole; checked.
      const writing = conn.write(message);
      let got = 0;
      while (got < MESSAGE_SIZE) {
        const n = await conn.read(buf.subarray(got));
        if (n === null) throw new Error(`${target.name} closed the connection`);
        got += n;
      }
      if ((await writing) !== MESSAGE_SIZE) throw new Error("short write of a 64-byte message");
      count++;
    }
  };
  const loops = sockets.map(loop);
  const sample = await measure(() => count, target, ticks);
  stop = true;
  await Promise.all(loops);
  for (const s of sockets) s.close();
  return sample;
}

/** Stream: one connection, 64 KiB writes and a concurrent reader counting bytes back. */
async function stream(target: Target, ticks: number): Promise<Sample> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: target.port });
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
  const sample = await measure(() => received, target, ticks);
  stop = true;
  await writer;
  await reader; // the server echoes what is in flight, then closes: EOF
  conn.close();
  return sample;
}

/** Runs a scenario on every target, ROUNDS times, alternating the order each round. */
async function generate(plan: LoadPlan): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? plan.targets : [...plan.targets].reverse();
    for (const target of order) {
      samples.push(
        plan.mode === "stream"
          ? await stream(target, plan.ticksPerSecond)
          : await roundTrips(target, plan.conns, plan.ticksPerSecond),
      );
    }
  }
  return samples;
}

// ---------------------------------------------------------------- servers

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

/**
 * A bare Deno echo server: the same read/write loop as sockit's handler with nothing
 * around it (no registry, limits, logging, trace hooks, idle timeout), so sockit/deno
 * is what sockit's runtime costs.
 */
const DENO_ECHO = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(listener.addr.port);
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        let written = 0;
        while (written < n) written += await conn.write(buf.subarray(written, n));
      }
    } catch { /* reset */ } finally {
      try { conn.close(); } catch { /* closed */ }
    }
  })();
}
`;

// ---------------------------------------------------------------- driver

interface Scenario {
  label: string;
  cpuLabel: string;
  mode: LoadPlan["mode"];
  conns: number;
  scale: number;
}

const SCENARIOS: Scenario[] = [
  {
    label: "round trips/s, 1 conn, 64 B",
    cpuLabel: "round trips per server CPU-s, 1 conn",
    mode: "rtt",
    conns: 1,
    scale: 1,
  },
  {
    label: "round trips/s, 100 conns, 64 B",
    cpuLabel: "round trips per server CPU-s, 100 conns",
    mode: "rtt",
    conns: 100,
    scale: 1,
  },
  {
    label: "stream MB/s, 1 conn, 64 KiB writes",
    cpuLabel: "stream MB per server CPU-s",
    mode: "stream",
    conns: 1,
    scale: 1e-6,
  },
];

/** Runs the load generator (this file with `--load`) for one scenario. */
function load(plan: LoadPlan): Promise<Sample[]> {
  const perRun = WARMUP_S + MEASURE_S + 1;
  return runGenerator(import.meta.filename!, ["--load", JSON.stringify(plan)], {
    timeoutMs: (perRun * ROUNDS * plan.targets.length + 20) * 1000,
    // Deno lets only --allow-all read /proc, where the servers' CPU times are.
    permissions: ["--allow-all"],
  });
}

async function main(): Promise<void> {
  const ticksPerSecond = await clockTicks();
  const peers: BenchServer[] = [
    await startSockitServer("sockit", ["echo", "--port", "0", "--quiet"]),
    await startServer("deno", Deno.execPath(), ["eval", DENO_ECHO]),
    await startServer("node", "node", ["-e", NODE_ECHO]),
  ];
  try {
    const nodeVersion = new TextDecoder().decode(
      (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
    ).trim();
    console.log(
      `sockit echo vs a bare Deno ${Deno.version.deno} read/write loop vs node ${nodeVersion} ` +
        `net echo (s.pipe(s)); ${WARMUP_S}s warm-up + ${MEASURE_S}s per run, best of ` +
        `${ROUNDS} runs each, the order reversed each round`,
    );
    const head = ["sockit", "deno", "node", "sockit/node", "sockit/deno"];
    const rows: string[][] = [];
    const cpuRows: string[][] = [];
    let ok = true;
    for (const scenario of SCENARIOS) {
      const samples = await load({
        mode: scenario.mode,
        conns: scenario.conns,
        targets: peers.map(({ name, port, pid }) => ({ name, port, pid })),
        ticksPerSecond,
      });
      const best = (name: string, key: "rate" | "perCpuSecond") =>
        Math.max(...samples.filter((s) => s.name === name).map((s) => s[key] ?? 0)) *
        scenario.scale;
      const row = (label: string, key: "rate" | "perCpuSecond") => {
        const [s, d, n] = ["sockit", "deno", "node"].map((name) => best(name, key));
        const fmt = (x: number) => formatCount(Math.round(x));
        return [label, fmt(s), fmt(d), fmt(n), ratio(s, n), ratio(s, d)];
      };
      rows.push(row(scenario.label, "rate"));
      if (samples.every((s) => s.perCpuSecond)) {
        cpuRows.push(row(scenario.cpuLabel, "perCpuSecond"));
      }
      const vsNode = best("sockit", "rate") / best("node", "rate");
      if (scenario.mode === "rtt" && scenario.conns === 100 && vsNode < 1.1) ok = false;
      if (scenario.mode === "stream" && best("sockit", "rate") < 1000) ok = false;
    }
    printTable(["throughput", ...head], rows);
    if (cpuRows.length > 0) {
      console.log("\nper CPU-second of the server process (steadier when the cores are shared)");
      printTable(["efficiency", ...head], cpuRows);
    }
    console.log(
      `\nwith this Deno generator (the goals are judged on the shared one, below): ` +
        `sockit ≥ 1.1× node on 100 conns, stream ≥ 1000 MB/s — ` +
        (ok ? "met" : "NOT met"),
    );
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
}

const SHARED_ROUNDS = Number(Deno.env.get("ECHO_SHARED_ROUNDS") ?? 4);

/** The goals, on the shared load generator (see the module doc). */
async function sharedGoals(): Promise<void> {
  try {
    Deno.statSync(RUN_ONE);
  } catch {
    console.log(`\nskip: no shared load generator at ${RUN_ONE}`);
    return;
  }
  // run-one.sh builds the C references next to its load generator on first use.
  const build = `${Deno.env.get("TMPDIR") ?? "/tmp"}/sockit-bench-build`;
  const servers: Record<string, string> = {
    sockit: sockitLine(["echo", "--quiet", "--host", "127.0.0.1", "--port", "{PORT}"]),
    node: `node ${RUN_ONE.replace(/run-one\.sh$/, "ref/echo_node.js")} {PORT}`,
    "c-epoll": `${build}/ref/echo_epoll {PORT}`,
  };
  const loads = [
    {
      label: "echo-rr, 100 conns x 64 B (round trips/s)",
      args: ["echo-rr", "--conns", "100", "--size", "64", "--total", "100000"],
    },
    { label: "echo-stream, 200 MB (MB/s)", args: ["echo-stream", "--bytes", "200000000"] },
  ];
  console.log(
    `\nthe shared load generator (run-one.sh), ${SHARED_ROUNDS} rounds in rotated order; ` +
      "ratios: the median of each round's",
  );
  const rows: string[][] = [];
  let rr: Map<string, number | undefined>[] = [];
  for (const { label, args } of loads) {
    const rounds = await rotated(
      SHARED_ROUNDS,
      Object.keys(servers),
      (name) => runOne(servers[name], args),
    );
    if (args[0] === "echo-rr") rr = rounds;
    const times = (x: number | undefined) => x === undefined ? "-" : `${x.toFixed(2)}×`;
    const figure = (x: number | undefined) => x === undefined ? "-" : formatCount(Math.round(x));
    rows.push([
      label,
      figure(overRounds(rounds, "sockit")),
      figure(overRounds(rounds, "node")),
      figure(overRounds(rounds, "c-epoll")),
      times(overRounds(rounds, "sockit", "node")),
      times(overRounds(rounds, "sockit", "c-epoll")),
    ]);
  }
  printTable(["load", "sockit", "node", "c-epoll", "vs node", "vs c-epoll"], rows);
  const vsNode = overRounds(rr, "sockit", "node");
  const vsC = overRounds(rr, "sockit", "c-epoll");
  const verdict = (x: number | undefined, goal: number) =>
    x === undefined
      ? "not measured"
      : x >= goal
      ? `met (${x.toFixed(2)}×)`
      : `NOT met (${x.toFixed(2)}×)`;
  console.log(`goal: echo-rr 100 conns sockit ≥ 1.1× node — ${verdict(vsNode, 1.1)}`);
  console.log(`goal: echo-rr 100 conns sockit ≥ 0.75× c-epoll — ${verdict(vsC, 0.75)}`);
}

if (import.meta.main) {
  if (Deno.args[0] === "--load") {
    console.log(JSON.stringify(await generate(JSON.parse(Deno.args[1]) as LoadPlan)));
  } else {
    await main();
    await sharedGoals();
  }
}
