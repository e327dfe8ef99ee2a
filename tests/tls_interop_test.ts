/**
 * TLS interop with real peers: `openssl s_client` and Python's `ssl` module against
 * sockit's TLS echo server (byte-exact, 1 MiB in irregular chunks; Python half-closes);
 * `ncat --ssl` as a line client of TLS chat-serve, chatting with `chat-join --tls --ca`;
 * `sockit echo --to --tls` checking `socat OPENSSL-LISTEN ... PIPE` and
 * `ncat --ssl -l -k --exec /bin/cat`. Each test skips, saying why, when a peer is missing.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  assertSameBytes,
  freePort,
  LineReader,
  missing,
  ROOT,
  runSockit,
  sockitCommand,
  startSockit,
} from "./helpers.ts";
import { spawnPeer, waitUntilAccepting } from "./peers.ts";
import { testCerts } from "./tls_helpers.ts";

const MiB = 1024 * 1024;

/** 1 MiB of varied bytes, and the irregular sizes it is written in. */
function irregular(): { data: Uint8Array; chunks: number[] } {
  const data = new Uint8Array(MiB);
  let x = 862;
  for (let i = 0; i < data.length; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const sizes = [1, 7, 100, 1500, 4096, 16384, 65536, 100_000];
  const chunks: number[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[(i * 5) % sizes.length], data.length - at);
    chunks.push(n);
    at += n;
  }
  return { data, chunks };
}

async function readExactly(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  const reader = stream.getReader();
  try {
    while (got < n) {
      const { value, done } = await reader.read();
      if (done) break;
      out.set(value.subarray(0, n - got), got);
      got += Math.min(value.length, n - got);
    }
  } finally {
    reader.releaseLock();
  }
  return out.subarray(0, got);
}

const tlsEcho = async () => {
  const certs = await testCerts();
  return startSockit(["echo", "--port", "0", "--tls-cert", certs.cert, "--tls-key", certs.key]);
};

Deno.test({
  name: "tls interop: openssl s_client gets 1 MiB of irregular writes back byte for byte",
  ignore: missing("openssl"),
  async fn() {
    const certs = await testCerts();
    await using server = await tlsEcho();
    const proc = new Deno.Command("openssl", {
      args: [
        "s_client",
        "-connect",
        `127.0.0.1:${server.port}`,
        "-CAfile",
        certs.ca,
        "-verify_return_error",
        "-quiet",
        "-no_ign_eof", // stdin's end ends it (after the echo is read)
        "-nocommands", // a line starting with R, K or Q is data, not a command
      ],
      signal: AbortSignal.timeout(30_000),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { data, chunks } = irregular();
    const writer = proc.stdin.getWriter();
    const writing = (async () => {
      let at = 0;
      for (const n of chunks) await writer.write(data.subarray(at, at += n));
    })();
    const echoed = await readExactly(proc.stdout, data.length);
    await writing;
    await writer.close(); // now s_client sends close_notify and exits
    const status = await proc.status;
    const stderr = new TextDecoder().decode(await new Response(proc.stderr).arrayBuffer());
    await proc.stdout.cancel();
    assertSameBytes(echoed, data, "s_client's output");
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /verify return:1/);
  },
});

Deno.test({
  name: "tls interop: Python ssl sends 1 MiB in irregular chunks, half-closes, gets it all back",
  ignore: missing("python3"),
  async fn() {
    const certs = await testCerts();
    await using server = await tlsEcho();
    const script = fileURLToPath(new URL("./tls/py_echo_client.py", import.meta.url));
    const { code, stdout, stderr } = await new Deno.Command("python3", {
      args: [script, String(server.port), certs.ca, String(MiB)],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, text + new TextDecoder().decode(stderr));
    assert.equal(text.trim(), `ok ${MiB}`);
  },
});

Deno.test({
  name: "tls interop: ncat --ssl chats on TLS chat-serve with chat-join --tls --ca",
  ignore: missing("ncat"),
  async fn() {
    const certs = await testCerts();
    await using server = await startSockit([
      "chat-serve",
      "--port",
      "0",
      "--tls-cert",
      certs.cert,
      "--tls-key",
      certs.key,
    ]);
    const port = String(server.port);
    await using alice = spawnPiped("ncat", [
      "--ssl",
      "--ssl-verify",
      "--ssl-trustfile",
      certs.ca,
      "localhost",
      port,
    ]);
    await alice.say("alice");
    await alice.lines.until((l) => l.startsWith("*** welcome"));
    const { cmd, args } = sockitCommand([
      "chat-join",
      `localhost:${port}`,
      "--tls",
      "--ca",
      certs.ca,
      "--name",
      "bob",
      "--json",
    ]);
    await using bob = spawnPiped(cmd, args);
    await bob.lines.until((l) => l.includes('"welcome"'));
    await alice.lines.until((l) => l.includes("bob"));
    await alice.say("hi bob");
    const got = JSON.parse(await bob.lines.until((l) => l.includes("hi bob")));
    assert.equal(got.from, "alice");
    await bob.say("hello alice");
    await alice.lines.until((l) => l === "bob: hello alice");
    await bob.end();
    assert.equal((await bob.proc.status).code, 0, "chat-join leaves with 0 at the end of stdin");
  },
});

for (
  const [peer, start] of [
    [
      "socat OPENSSL-LISTEN ... PIPE",
      (port: number, cert: string, key: string) =>
        spawnPeer("socat", [
          `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${cert},key=${key},verify=0`,
          "PIPE",
        ]),
    ],
    [
      "ncat --ssl -l -k --exec /bin/cat",
      (port: number, cert: string, key: string) =>
        spawnPeer("ncat", [
          "--ssl",
          "--ssl-cert",
          cert,
          "--ssl-key",
          key,
          "-l",
          "-k",
          "--exec",
          "/bin/cat",
          "127.0.0.1",
          String(port),
        ]),
    ],
  ] as const
) {
  Deno.test({
    name: `tls interop: sockit echo --to --tls --ca checks ${peer}`,
    ignore: missing(peer.split(" ")[0]),
    async fn() {
      const certs = await testCerts();
      const port = freePort();
      await using server = start(port, certs.cert, certs.key);
      await waitUntilAccepting(port, server);
      for (const host of ["127.0.0.1", "localhost"]) {
        const { code, stdout, stderr } = await runSockit([
          "echo",
          "--to",
          `${host}:${port}`,
          "--tls",
          "--ca",
          certs.ca,
          "-c",
          "3",
          "-i",
          "0",
          "--size",
          "20000",
        ]);
        assert.equal(code, 0, `${host}: ${stdout}${stderr}`);
        assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
      }
      const untrusted = await runSockit(["echo", "--to", `127.0.0.1:${port}`, "--tls", "-c", "1"]);
      assert.equal(untrusted.code, 8, untrusted.stderr);
    },
  });
}

/** A process with piped stdin and stdout read line by line; disposing it kills it. */
function spawnPiped(cmd: string, args: string[]) {
  const proc = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = proc.stdin.getWriter();
  const lines = new LineReader(proc.stdout);
  let ended = false;
  return {
    proc,
    lines,
    say: (line: string) => writer.write(new TextEncoder().encode(`${line}\n`)),
    async end() {
      if (ended) return;
      ended = true;
      await writer.close().catch(() => {});
    },
    async [Symbol.asyncDispose]() {
      await this.end();
      try {
        proc.kill("SIGKILL");
      } catch { /* exited */ }
      await proc.status;
      await lines.cancel();
    },
  };
}
