/**
 * `deno task bench tls`: TLS echo stream through one connection — sockit's TLS echo
 * server against `socat OPENSSL-LISTEN:...,fork PIPE`, a Node `tls` echo
 * (`../shared/bench/ref/tls_echo_node.js`) and a bare Deno `listenTls` read/write loop
 * (what Deno itself can do), all with the same certificate, in the same run.
 *
 * The client is the shared C TLS client `../shared/bench/tls_stream.c` (OpenSSL), built
 * on first use: it streams `BYTES` through the server while reading the echo back,
 * verifies every byte, and prints MB/s. The servers take turns, their order reversed
 * each round, ROUNDS times; the best figure of each is kept, to damp the noise of a
 * shared machine. Skips, saying why, when the C client or a peer cannot be had.
 *
 * @module
 */

import { join } from "node:path";
import { freePort, hasTool, ROOT } from "../tests/helpers.ts";
import { testCerts } from "../tests/tls_helpers.ts";
import { type BenchServer, delay, printTable, ratio, startSockitServer } from "./harness.ts";

const BYTES = 200_000_000;
const ROUNDS = 3;
/** The shared load generator and references, next to the checkout (`../shared/bench/`). */
const SHARED = join(ROOT, "..", "shared", "bench") + "/";
const BUILD = `${Deno.env.get("TMPDIR") ?? "/tmp"}/sockit-bench-build`;

/** A bare Deno TLS echo: the loop sockit's handler runs, with nothing around it. */
const DENO_TLS_ECHO = `
const [port, cert, key] = [Number(Deno.args[0]), Deno.readTextFileSync(Deno.args[1]), Deno.readTextFileSync(Deno.args[2])];
const listener = Deno.listenTls({ hostname: "127.0.0.1", port, cert, key });
for (;;) {
  const conn = await listener.accept();
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        let at = 0;
        while (at < n) at += await conn.write(buf.subarray(at, n));
      }
    } catch { /* the client left */ }
    try { conn.close(); } catch { /* closed */ }
  })();
}`;

/** Builds the C client if needed; its path, or why it cannot be had. */
async function tlsClient(): Promise<{ path?: string; why?: string }> {
  const source = `${SHARED}tls_stream.c`;
  const path = `${BUILD}/tls_stream`;
  try {
    Deno.statSync(source);
  } catch {
    return { why: `${source} is not there` };
  }
  if (!hasTool("cc")) return { why: "no C compiler (cc)" };
  try {
    if (Deno.statSync(path).mtime! >= Deno.statSync(source).mtime!) return { path };
  } catch { /* not built yet */ }
  await Deno.mkdir(BUILD, { recursive: true });
  const { code, stderr } = await new Deno.Command("cc", {
    args: ["-O2", "-o", path, source, "-lssl", "-lcrypto"],
    stderr: "piped",
  }).output();
  if (code !== 0) return { why: `cc failed: ${new TextDecoder().decode(stderr).trim()}` };
  return { path };
}

/** Starts a peer that takes its port as an argument, waiting until it accepts. */
async function startPeer(name: string, cmd: string, args: (port: number) => string[]) {
  const port = freePort();
  const proc = new Deno.Command(cmd, { args: args(port), stdout: "null", stderr: "null" })
    .spawn();
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch { /* gone */ }
    await proc.status;
  };
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { name, port, pid: proc.pid, stop } satisfies BenchServer;
    } catch {
      await delay(50);
    }
  }
  await stop();
  throw new Error(`${name} never accepted on port ${port}`);
}

/** One verified stream through `server`: MB/s, or undefined when it did not verify. */
async function stream(client: string, server: BenchServer): Promise<number | undefined> {
  const { stdout } = await new Deno.Command(client, {
    args: ["--port", String(server.port), "--bytes", String(BYTES), "--timeout-s", "60"],
    stdout: "piped",
    stderr: "null",
  }).output();
  try {
    const result = JSON.parse(new TextDecoder().decode(stdout));
    return result.verified ? result.MB_per_s : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const client = await tlsClient();
  if (!client.path) return console.log(`skip: TLS bench: ${client.why}`);
  if (!hasTool("openssl")) return console.log("skip: TLS bench: openssl is not installed");
  const { cert, key } = await testCerts();
  const servers: BenchServer[] = [
    await startSockitServer("sockit", [
      "echo",
      "--port",
      "0",
      "--quiet",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
    ]),
    await startPeer("deno", Deno.execPath(), (p) => ["eval", DENO_TLS_ECHO, String(p), cert, key]),
  ];
  if (hasTool("socat")) {
    servers.push(
      await startPeer("socat", "socat", (p) => [
        `OPENSSL-LISTEN:${p},bind=127.0.0.1,reuseaddr,fork,cert=${cert},key=${key},verify=0`,
        "PIPE",
      ]),
    );
  } else console.log("socat is not installed: measured without it");
  const nodeRef = `${SHARED}ref/tls_echo_node.js`;
  if (hasTool("node") && (await Deno.stat(nodeRef).catch(() => undefined))) {
    servers.push(await startPeer("node", "node", (p) => [nodeRef, String(p), cert, key]));
  } else console.log("node or its TLS reference is missing: measured without it");
  const best = new Map<string, number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const server of order) {
        const rate = await stream(client.path, server);
        if (rate !== undefined) best.set(server.name, Math.max(best.get(server.name) ?? 0, rate));
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  report(best);
}

function report(best: Map<string, number>): void {
  const sockit = best.get("sockit");
  console.log(`TLS echo stream, one connection, ${BYTES / 1e6} MB verified, best of ${ROUNDS}`);
  printTable(
    ["server", "MB/s", "sockit ÷ it"],
    [...best].map(([name, rate]) => [
      name,
      rate.toFixed(1),
      sockit === undefined || name === "sockit" ? "" : ratio(sockit, rate),
    ]),
  );
  console.log("goals: sockit ≥ 1.1× socat, ≥ 1.2× node; 'deno' is the bare listenTls loop");
}

await main();
