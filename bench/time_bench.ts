/**
 * `deno task bench time`: two figures, each against a C peer measured in the same run.
 *
 * 1. Daytime connections/s: sockit's `daytime` server against xinetd's built-in daytime
 *    service (configured here in a temp dir on a loopback port), driven by the same load
 *    generator — this file run again as a child with `--load`: a Deno client keeping
 *    CONCURRENCY connections in flight, each one connect → read to EOF → close, bounded
 *    in count and time. sockit runs with `--quiet` (no per-connection log lines; stderr
 *    to /dev/null), and once more without it (logging two lines per connection to
 *    /dev/null) to show what the logs cost. A bare Deno accept-write-close loop (this
 *    file with `--bare`) is measured too: the distance between it and sockit is what the
 *    shared server runtime costs per connection. Each figure is the best of 3 short runs
 *    in rotating order: on a 2-core machine the generator competes with the server for
 *    CPU, and other work only ever slows a run down.
 * 2. What connection logs cost, with the shared load generator (`../shared/bench`,
 *    `connect-rate --total 5000 --conc 50`, server output to a file as run-one.sh does):
 *    `sockit daytime` with its default logging against `--quiet` and xinetd's built-in
 *    (which logs nothing); and echo with 5,000 short connections (connect, one round
 *    trip, close; a Deno generator pinned like the shared one, which has no such load)
 *    logging against `--quiet`. Goals: default ≥ 0.9× quiet and ≥ 1.0× xinetd.
 * 3. The whole-process time of one `sockit time-fetch --protocol ntp` against a local
 *    chronyd, next to `sntp` and `ntpdate -q` against the same server. Those two cannot
 *    be pointed at another port, so chronyd listens on 127.0.0.1:123 when that port is
 *    free (the peers are skipped, with the reason, when it is not).
 *
 * @module
 */

import { formatCount } from "../lib/numbers.ts";
import { hasTool, sockitCommand } from "../tests/helpers.ts";
import { startChronyd, startXinetdDaytime } from "../tests/time_peers.ts";
import {
  type BenchServer,
  measureRate,
  median,
  overRounds,
  printTable,
  ratio,
  rotated,
  RUN_ONE,
  runGenerator,
  runOne,
  shellLine,
  sockitLine,
  startServer,
  startSockitServer,
} from "./harness.ts";

const WARMUP_S = 0.3;
const MEASURE_S = 1;
/** Runs per server and load, each round in a rotated order; the best is kept. */
const ROUNDS = 3;
const CONCURRENCY = [1, 32];
/** The most connections one load run opens, whatever the rate. */
const MAX_CONNECTIONS = 400_000;
const PROCESS_RUNS = 7;

// ---------------------------------------------------------------- load generator

/**
 * Opens connections to `port`, `concurrency` at a time, each read to EOF and closed;
 * measures how fast they complete after a warm-up.
 */
async function connections(
  port: number,
  concurrency: number,
): Promise<{ rate: number; failed: number }> {
  let stop = false;
  let completed = 0;
  let opened = 0;
  let failed = 0;
  const buf = new Uint8Array(256);
  const worker = async () => {
    while (!stop && opened++ < MAX_CONNECTIONS) {
      let conn: Deno.TcpConn;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
      } catch {
        failed++;
        continue;
      }
      let bytes = 0;
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          bytes += n;
        }
      } catch {
        // a reset after the answer counts like EOF
      } finally {
        conn.close();
      }
      if (bytes === 0) failed++;
      else completed++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  const { rate } = await measureRate(() => completed, {
    warmupMs: WARMUP_S * 1000,
    measureMs: MEASURE_S * 1000,
  });
  stop = true;
  await Promise.all(workers);
  return { rate, failed };
}

// ---------------------------------------------------------------- servers

/** The reference: the least a Deno daytime server can do per connection. */
async function bareServer(): Promise<never> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`listening on tcp 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  const bytes = new TextEncoder().encode("Sunday, November 22, 2026 01:30:39-UTC\r\n");
  for (;;) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch {
      continue;
    }
    conn.write(bytes).catch(() => 0).finally(() => {
      try {
        conn.close();
      } catch { /* reset */ }
    });
  }
}

function load(port: number, concurrency: number): Promise<{ rate: number; failed: number }> {
  return runGenerator(import.meta.filename!, ["--load", String(port), String(concurrency)], {
    timeoutMs: (WARMUP_S + MEASURE_S) * 1000 + 20_000,
  });
}

// ---------------------------------------------------------------- whole-process time

/** Median wall time of running `cmd args` to completion, `runs` times; throws on failure. */
async function processTime(cmd: string, args: string[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    const { code, stderr } = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    times.push(performance.now() - began);
    if (code !== 0) {
      throw new Error(
        `${cmd} ${args.join(" ")} exited ${code}: ${new TextDecoder().decode(stderr)}`,
      );
    }
  }
  return median(times);
}

function port123Free(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 123 }).close();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- driver

async function daytimeRates(): Promise<void> {
  if (!hasTool("xinetd")) {
    console.log("skip: xinetd not installed (.ci/run installs it); no inetd baseline");
    return;
  }
  const servers: Pick<BenchServer, "name" | "port" | "stop">[] = [
    await startSockitServer("sockit --quiet", ["daytime", "--port", "0", "--quiet"]),
    await startSockitServer("sockit, logs to /dev/null", ["daytime", "--port", "0"]),
    await startServer("bare Deno loop (reference)", Deno.execPath(), [
      "run",
      "--allow-net",
      import.meta.filename!,
      "--bare",
    ]),
  ];
  const inetd = await startXinetdDaytime();
  servers.push({
    name: "xinetd built-in",
    port: inetd.port,
    stop: () => inetd[Symbol.asyncDispose](),
  });
  try {
    console.log(
      `daytime connections/s (connect, read the line to EOF, close); ${WARMUP_S}s warm-up + ` +
        `${MEASURE_S}s per run, best of ${ROUNDS} runs in rotating order; one Deno load generator`,
    );
    const rows: string[][] = [];
    let goal = true;
    for (const concurrency of CONCURRENCY) {
      const best = new Map<string, number>();
      let failed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const order = [...servers.slice(round), ...servers.slice(0, round)];
        for (const server of order) {
          const result = await load(server.port, concurrency);
          failed += result.failed;
          best.set(server.name, Math.max(best.get(server.name) ?? 0, result.rate));
        }
      }
      const base = best.get("xinetd built-in")!;
      for (const server of servers) {
        const rate = best.get(server.name)!;
        rows.push([
          `${concurrency} at a time`,
          server.name,
          formatCount(Math.round(rate)),
          ratio(rate, base),
        ]);
      }
      if (best.get("sockit --quiet")! < base) goal = false;
      if (failed > 0) {
        console.log(`note: ${failed} connections failed at concurrency ${concurrency}`);
      }
    }
    printTable(["load", "server", "conn/s", "vs xinetd"], rows, 2);
    console.log(
      `goal: sockit --quiet ≥ 1.0× xinetd's built-in daytime — ${goal ? "met" : "NOT met"}`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------- what logs cost

/** Rounds of each log-cost comparison, the servers in a rotated order each round. */
const LOG_ROUNDS = 5;
const CHURN_TOTAL = 5000;
const CHURN_CONCURRENCY = 50;
const CHURN_RUNS = 3;

/**
 * Echo churn: `total` connections, `concurrency` at a time, each connect → write 16
 * bytes → read them back (verified) → close; after an untimed tenth as warm-up.
 */
async function echoChurn(
  port: number,
  total: number,
  concurrency: number,
): Promise<{ rate: number; failed: number }> {
  const message = new TextEncoder().encode("sockit churn 16\n");
  let failed = 0;
  const run = async (count: number) => {
    let next = 0;
    const worker = async () => {
      const buf = new Uint8Array(message.length);
      while (next++ < count) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(message);
          let got = 0;
          while (got < message.length) {
            const n = await conn.read(buf.subarray(got));
            if (n === null) break;
            got += n;
          }
          if (got !== message.length || buf.some((b, i) => b !== message[i])) failed++;
        } catch {
          failed++;
        } finally {
          conn.close();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await run(Math.ceil(total / 10));
  const began = performance.now();
  await run(total);
  return { rate: total / ((performance.now() - began) / 1000), failed };
}

/**
 * Echo churn of a fresh `sockit echo ARGS`, server and load pinned apart: the median of
 * {@linkcode CHURN_RUNS} runs against the same server (as run-one.sh takes the median of
 * its REPS), since one run's figure swings by 10-15% from one run to the next here.
 */
async function echoChurnRate(args: string[]): Promise<number | undefined> {
  const pin = hasTool("taskset") && navigator.hardwareConcurrency >= 2;
  const log = await Deno.makeTempFile({ prefix: "sockit-bench-echo-", suffix: ".log" });
  const line = `${sockitLine(["echo", "--port", "0", ...args])} 2>${shellLine(log, [])}`;
  const server = await startServer("echo", pin ? "taskset" : "bash", [
    ...(pin ? ["-c", "1", "bash"] : []),
    "-c",
    `exec ${line}`,
  ]);
  try {
    const generator = [
      Deno.execPath(),
      "run",
      "--allow-net",
      import.meta.filename!,
      "--churn",
      String(server.port),
      String(CHURN_TOTAL),
      String(CHURN_CONCURRENCY),
    ];
    const [cmd, ...args] = pin ? ["taskset", "-c", "0", ...generator] : generator;
    const rates: number[] = [];
    for (let run = 0; run < CHURN_RUNS; run++) {
      const { code, stdout } = await new Deno.Command(cmd, {
        args,
        stdout: "piped",
        stderr: "null",
        signal: AbortSignal.timeout(120_000),
      }).output();
      if (code !== 0) return undefined;
      const { rate, failed } = JSON.parse(new TextDecoder().decode(stdout));
      if (failed !== 0) return undefined;
      rates.push(rate);
    }
    return median(rates);
  } finally {
    await server.stop();
    await Deno.remove(log).catch(() => {});
  }
}

async function logCost(): Promise<void> {
  try {
    Deno.statSync(RUN_ONE);
  } catch {
    console.log(`\nskip: no shared load generator at ${RUN_ONE}; no log-cost figures`);
    return;
  }
  const connectRate = ["connect-rate", "--total", "5000", "--conc", "50"];
  const daytime: Record<string, string> = {
    "sockit daytime (logs to a file)": sockitLine(["daytime", "--port", "{PORT}"]),
    "sockit daytime --quiet": sockitLine(["daytime", "--quiet", "--port", "{PORT}"]),
  };
  if (hasTool("xinetd")) {
    daytime["xinetd built-in (logs nothing)"] = `${
      shellLine(RUN_ONE.replace(/run-one\.sh$/, "serve-xinetd.sh"), ["daytime"])
    } {PORT}`;
  } else {
    console.log("skip: xinetd not installed (.ci/run installs it); no inetd baseline");
  }
  console.log(
    `\nwhat connection logs cost: daytime with the shared load generator (${
      connectRate.join(" ")
    },` +
      ` run-one.sh, median of 3 runs), echo with ${CHURN_TOTAL} short connections ` +
      `(${CHURN_CONCURRENCY} at a time, median of ${CHURN_RUNS} runs); median of ${LOG_ROUNDS} rotated rounds`,
  );
  const day = await rotated(
    LOG_ROUNDS,
    Object.keys(daytime),
    (name) => runOne(daytime[name], connectRate),
  );
  const echo = await rotated(
    LOG_ROUNDS,
    ["sockit echo (logs to a file)", "sockit echo --quiet"],
    (name) => echoChurnRate(name.endsWith("--quiet") ? ["--quiet"] : []),
  );
  const show = (n: number | undefined) => n === undefined ? "failed" : formatCount(Math.round(n));
  const times = (n: number | undefined) => n === undefined ? "-" : `${n.toFixed(2)}×`;
  const [logged, quiet, inetd] = Object.keys(daytime);
  const [echoLogged, echoQuiet] = ["sockit echo (logs to a file)", "sockit echo --quiet"];
  printTable(["server", "conn/s", "vs --quiet", "vs xinetd"], [
    ...Object.keys(daytime).map((name) => [
      name,
      show(overRounds(day, name)),
      times(overRounds(day, name, quiet)),
      inetd === undefined ? "" : times(overRounds(day, name, inetd)),
    ]),
    ...[echoLogged, echoQuiet].map((name) => [
      name,
      show(overRounds(echo, name)),
      times(overRounds(echo, name, echoQuiet)),
      "",
    ]),
  ]);
  console.log("(ratios: the median of each round's ratio, servers measured side by side)");
  const goal = (what: string, figure: number | undefined, min: number) =>
    console.log(
      `goal: ${what} ≥ ${min.toFixed(1)}× — ${
        figure === undefined ? "not measured" : figure >= min ? "met" : "NOT met"
      } (${times(figure)})`,
    );
  goal("daytime default logging vs --quiet", overRounds(day, logged, quiet), 0.9);
  if (inetd !== undefined) {
    goal("daytime default logging vs xinetd", overRounds(day, logged, inetd), 1.0);
  }
  goal("echo churn default logging vs --quiet", overRounds(echo, echoLogged, echoQuiet), 0.9);
}

async function ntpProcessTimes(): Promise<void> {
  if (!hasTool("chronyd")) {
    console.log("skip: chronyd not installed; no NTP process timing");
    return;
  }
  const on123 = port123Free();
  await using chrony = await startChronyd(on123 ? { port: 123 } : {});
  const target = `127.0.0.1:${chrony.port}`;
  console.log(
    `\nwhole-process time of one NTP query to chronyd on ${target}, median of ${PROCESS_RUNS} runs`,
  );
  const rows: string[][] = [];
  const sockit = sockitCommand(["time-fetch", "--protocol", "ntp", target]);
  const sockitMs = await processTime(sockit.cmd, sockit.args, PROCESS_RUNS);
  rows.push([
    "sockit time-fetch --protocol ntp (deno run main.ts, from source)",
    sockitMs.toFixed(1),
    "1.00×",
  ]);
  const peers: [string, string, string[]][] = [
    ["sntp 127.0.0.1", "sntp", ["127.0.0.1"]],
    ["ntpdate -q 127.0.0.1", "ntpdate", ["-q", "127.0.0.1"]],
  ];
  for (const [label, cmd, args] of peers) {
    if (!hasTool(cmd)) {
      console.log(`skip: ${cmd} not installed`);
      continue;
    }
    if (!on123) {
      console.log(`skip: ${cmd} only asks port 123, which is taken here`);
      continue;
    }
    const ms = await processTime(cmd, args, PROCESS_RUNS);
    rows.push([label, ms.toFixed(1), ratio(ms, sockitMs)]);
  }
  printTable(["command", "ms", "vs sockit"], rows, 1);
}

if (import.meta.main) {
  if (Deno.args[0] === "--bare") {
    await bareServer();
  } else if (Deno.args[0] === "--churn") {
    const [port, total, concurrency] = Deno.args.slice(1).map(Number);
    console.log(JSON.stringify(await echoChurn(port, total, concurrency)));
  } else if (Deno.args[0] === "--load") {
    console.log(JSON.stringify(await connections(Number(Deno.args[1]), Number(Deno.args[2]))));
  } else {
    // TIME_BENCH_PARTS=rates,logs,ntp (default: all three)
    const parts = Deno.env.get("TIME_BENCH_PARTS")?.split(",") ?? ["rates", "logs", "ntp"];
    if (parts.includes("rates")) await daytimeRates();
    if (parts.includes("logs")) await logCost();
    if (parts.includes("ntp")) await ntpProcessTimes();
  }
}
