/**
 * TLS through the runtime and the dialer, sockit on both ends: `listening on tls`,
 * `--trace` showing the plaintext, the exit codes of a client whose server cannot be
 * trusted (8: untrusted, expired, wrong name; `--servername` fixes the last), 6 against
 * a plain server, `--insecure` with its one note; a plain-TCP client and garbage logged
 * and closed while the server goes on; `--workers` over TLS; daytime and chat-serve
 * over TLS; and the usage errors of the flags.
 */

import assert from "node:assert/strict";
import { assertEveryServerRefuses, runSockit, startSockit } from "./helpers.ts";
import { testCerts, tlsSkipReason } from "./tls_helpers.ts";

const ignore = tlsSkipReason() !== undefined;
if (ignore) console.log(`skip: TLS tests: ${tlsSkipReason()}`);

const tlsServer = async (command: string, cert?: string, more: string[] = []) => {
  const certs = await testCerts();
  return await startSockit([
    command,
    "--port",
    "0",
    "--tls-cert",
    cert ?? certs.cert,
    "--tls-key",
    certs.key,
    ...more,
  ]);
};

const probe = (port: number, ...more: string[]) =>
  runSockit(["echo", "--to", `127.0.0.1:${port}`, "-c", "2", "-i", "0", "-W", "5s", ...more]);

Deno.test({
  name: "tls: echo serves TLS, says so first, and a verifying client gets every byte back",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", undefined, ["--json"]);
    assert.equal(server.listening[0].transport, "tls");
    for (const host of ["127.0.0.1", "localhost"]) {
      const { code, stdout, stderr } = await runSockit([
        "echo",
        "--to",
        `${host}:${server.port}`,
        "--tls",
        "--ca",
        certs.ca,
        "-c",
        "3",
        "-i",
        "0",
        "--size",
        "100000",
      ]);
      assert.equal(code, 0, `${host}: ${stdout}${stderr}`);
      assert.match(stdout, /^ECHO .* \(tls\): 3 probes$/m);
      assert.match(stdout, /3 sent, 3 received, 0 mismatched, 0% loss/);
    }
    const connect = JSON.parse(await server.stdout.until((l) => l.includes('"connect"')));
    assert.equal(connect.transport, "tls");
  },
});

Deno.test({
  name: "tls: --trace shows the plaintext on the server and on the client",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", undefined, ["--trace"]);
    const { code, stderr } = await probe(
      server.port,
      "--tls",
      "--ca",
      certs.ca,
      "-m",
      "plain words",
      "--trace",
    );
    assert.equal(code, 0, stderr);
    assert.match(stderr, /plain words/, "the client's trace");
    await server.stderr.until((l) => l.includes("plain words"));
  },
});

Deno.test({
  name: "tls: a certificate that cannot be verified is exit 8 with the reason and the hint",
  ignore,
  async fn() {
    const certs = await testCerts();
    const cases: [string, string, string[], RegExp][] = [
      ["untrusted", certs.cert, [], /not signed by a trusted CA \(pass --ca FILE, or --insecure/],
      ["self-made CA", certs.untrusted, ["--ca", certs.ca], /not signed by a trusted CA/],
      ["expired", certs.expired, ["--ca", certs.ca], /certificate expired on 2020-01-02/],
      [
        "wrong name",
        certs.wrongName,
        ["--ca", certs.ca],
        /not valid for "127\.0\.0\.1".*--servername/,
      ],
    ];
    for (const [what, cert, flags, reason] of cases) {
      await using server = await tlsServer("echo", cert);
      const { code, stderr } = await probe(server.port, "--tls", ...flags);
      assert.equal(code, 8, `${what}: ${stderr}`);
      assert.match(stderr, reason, what);
      assert.equal(stderr.trim().split("\n").length, 1, `${what}: one line: ${stderr}`);
      // The server goes on, and says why that client went.
      await server.stderr.until((l) => l.startsWith("tls handshake with 127.0.0.1:"));
    }
  },
});

Deno.test({
  name: "tls: --servername checks the name the certificate holds",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", certs.wrongName);
    const ok = await probe(server.port, "--tls", "--ca", certs.ca, "--servername", "other.example");
    assert.equal(ok.code, 0, ok.stderr);
    const wrong = await probe(server.port, "--tls", "--ca", certs.ca, "--servername", "x.example");
    assert.equal(wrong.code, 8, wrong.stderr);
    assert.match(wrong.stderr, /not valid for "x\.example"/);
  },
});

Deno.test({
  name: "tls: --insecure skips the check and says so once; without --tls it is a usage error",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", certs.expired);
    const { code, stdout, stderr } = await probe(server.port, "--tls", "--insecure");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /2 sent, 2 received/);
    assert.equal(stderr.match(/--insecure/g)?.length, 1, stderr);
    assert.match(stderr, /not verified/);
    for (
      const flags of [["--insecure"], ["--ca", certs.ca], ["--tls", "--insecure", "--ca", certs.ca]]
    ) {
      const usage = await probe(server.port, ...flags);
      assert.equal(usage.code, 2, `${flags.join(" ")}: ${usage.stderr}`);
    }
  },
});

Deno.test({
  name: "tls: a TLS client against a plain server is exit 6",
  ignore,
  async fn() {
    const certs = await testCerts();
    // A plain echo server echoes the ClientHello back; a daytime server sends text.
    for (const command of ["echo", "daytime"]) {
      await using server = await startSockit([command, "--port", "0", "--quiet"]);
      const { code, stderr } = await probe(server.port, "--tls", "--ca", certs.ca);
      assert.equal(code, 6, `${command}: ${stderr}`);
      assert.match(stderr, /does not speak TLS/);
    }
  },
});

Deno.test({
  name: "tls: a plain-TCP client and garbage are logged and closed; the server goes on",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", undefined, ["--json"]);
    for (const bytes of ["hello\n", "\x16\x03\x01\x00\x05garbage that is not a ClientHello"]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new TextEncoder().encode(bytes));
      const failed = JSON.parse(await server.stdout.until((l) => l.includes('"tls_failed"')));
      assert.equal(failed.transport, "tls");
      assert.ok(failed.reason.length > 0);
      conn.close();
    }
    const { code, stderr } = await probe(server.port, "--tls", "--ca", certs.ca);
    assert.equal(code, 0, stderr);
    assert.equal((await server.stop()).code, 0);
    const summary = (await server.stdout.rest()).map((l) => JSON.parse(l))
      .find((e) => e.event === "summary");
    assert.equal(summary.tlsFailed, 2);
    assert.equal(summary.connections, 1);
  },
});

Deno.test({
  name: "tls: --workers serves TLS on every thread",
  ignore: ignore || Deno.build.os !== "linux",
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("echo", undefined, ["--workers", "2", "--json"]);
    const threads = new Set<string>();
    for (let i = 0; i < 40 && (i < 4 || threads.size < 2); i++) {
      const { code, stderr } = await probe(server.port, "--tls", "--ca", certs.ca, "-c", "1");
      assert.equal(code, 0, stderr);
      const gone = JSON.parse(await server.stdout.until((l) => l.includes('"disconnect"')));
      threads.add(/^(w\d+)\./.exec(gone.id)?.[1] ?? "main");
    }
    assert.equal(threads.size, 2, "both threads served TLS");
  },
});

Deno.test({
  name: "tls: daytime answers over TLS",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using server = await tlsServer("daytime", undefined, ["--format", "iso"]);
    assert.equal(server.listening[0].transport, "tls");
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [await Deno.readTextFile(certs.ca)],
    });
    const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(text, /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)\r?\n$/);
  },
});

Deno.test({
  name: "tls: --tls-cert and --tls-key are both needed and must match; a bad file names itself",
  ignore,
  async fn() {
    const certs = await testCerts();
    const cases: [string[], RegExp][] = [
      [["--tls-cert", certs.cert], /--tls-cert needs --tls-key/],
      [["--tls-key", certs.key], /--tls-key needs --tls-cert/],
      [["--tls-cert", certs.ca, "--tls-key", certs.key], /does not match/],
      [["--tls-cert", `${certs.dir}/nothing.pem`, "--tls-key", certs.key], /nothing\.pem.*no such/],
      [["--tls-cert", certs.key, "--tls-key", certs.key], /--tls-cert/],
    ];
    await assertEveryServerRefuses(cases);
  },
});

Deno.test({
  name: "tls: --max-conns counts a client still in its handshake",
  ignore,
  async fn() {
    await using server = await tlsServer("echo", undefined, ["--max-conns", "1"]);
    // Connects and says nothing: its handshake holds the one slot (for up to 10 s).
    const silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const next = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      const line = await server.stderr.until((l) => l.startsWith("reject "));
      assert.match(line, /1 connections open \(--max-conns\)/);
    } finally {
      silent.close();
      next.close();
    }
  },
});
